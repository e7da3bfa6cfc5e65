"""Grid fixtures: the benchmark county map, imported once per module inside an outer transaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
COUNTY_GEOJSON = (SHARED if SHARED.exists() else Path("/work/shared")) / "benchmark/grids/county.geojson"


@pytest.fixture(scope="session")
def county_doc() -> dict:
    return json.loads(COUNTY_GEOJSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def imported_map(django_db_setup, django_db_blocker, county_doc):
    """The whole county.geojson in the DB for every test of the module, rolled back afterwards.

    Each test's own transaction nests inside this one as a savepoint, so tests stay isolated
    while the (slowish) validated import runs once per module.
    """
    from django.db import transaction

    from zhifa.core import audit
    from zhifa.grid import index
    from zhifa.grid.importer import import_features, parse
    from zhifa.org.models import CommandCentre, County, Township

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            county = County.objects.create(code="C01", name="测试县")
            CommandCentre.objects.create(county=county)
            Township.objects.create(county=county, code="T01", name="东城街道", kind="街道", setting="城区")
            errors: list[str] = []
            features = parse(json.dumps(county_doc), "county.geojson", errors)
            with audit.acting_as("测试"):
                result = import_features(features, source="county.geojson", county=county)
            assert not errors
            yield result
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            index.invalidate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Accounts are made in many tests here; the production hasher costs a fraction of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

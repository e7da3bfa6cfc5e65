"""Routing fixtures: the benchmark county's catalogue and dev reports (read from ../shared)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
BENCH = (SHARED if SHARED.exists() else Path("/work/shared")) / "benchmark"
COUNTY_DIR = BENCH / "county"
GRIDS = BENCH / "grids" / "county.geojson"
DEV = BENCH / "reports" / "reports-dev.jsonl"


@pytest.fixture(scope="session")
def catalogue_rows() -> list[dict]:
    with (COUNTY_DIR / "catalog.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def dev_reports() -> list[dict]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def bench_county(django_db_setup, django_db_blocker):
    """The benchmark county (catalogue in force from 2020, grid map) for the whole module.

    Imported once inside an outer transaction that is rolled back afterwards; each test's own
    transaction nests inside it as a savepoint (the pattern of tests/grid/conftest.py).
    """
    import datetime as dt

    from django.db import transaction

    from zhifa.catalogue.importer import import_dir
    from zhifa.core import audit
    from zhifa.dispatch import routing
    from zhifa.grid import index
    from zhifa.grid.importer import import_file

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with audit.acting_as("测试"):
                result = import_dir(COUNTY_DIR, effective_date=dt.date(2020, 1, 1))
                import_file(GRIDS, county_code=result.county.code)
            index.invalidate()
            routing.invalidate()
            yield result.county
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            index.invalidate()
            routing.invalidate()

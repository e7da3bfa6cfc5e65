"""Loads the demo county step by step; each step is idempotent (a second run changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from zhifa.core import audit

DATA = Path(__file__).parent / "data"
DEMO_COUNTY = ("DEMO", "示范县")


def _county():
    from zhifa.org.models import CommandCentre, County

    county, _ = County.objects.get_or_create(code=DEMO_COUNTY[0], defaults={"name": DEMO_COUNTY[1]})
    CommandCentre.objects.get_or_create(county=county, defaults={"name": "示范县综合行政执法指挥中心"})
    return county


def _accounts(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.accounts import ensure_accounts

    log(f"演示账号：新建{ensure_accounts(county)}个")


def _catalogue(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.catalogue import step

    step(county, log)


def _grid(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.grid import step

    step(county, log)


def _cases(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.cases import step

    step(county, log)


def _documents(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.documents import step

    step(county, log)


def _dispatch(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.dispatch import step

    step(county, log)


def _supervision(county, log: Callable[[str], None]) -> None:
    from zhifa.demo.supervision import step

    step(county, log)


STEPS: list[Callable] = [_catalogue, _grid, _cases, _documents, _dispatch, _supervision]


def load(log: Callable[[str], None] = print) -> None:
    with audit.acting_as("演示数据"), transaction.atomic():
        county = _county()
        for step in STEPS:
            step(county, log)
        _accounts(county, log)

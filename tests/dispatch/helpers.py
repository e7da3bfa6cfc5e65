"""Builders for dispatch tests: catalogue items with T01 holding one, a fake location, users,
reports written straight into the table (the summary tests)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

CST = dt.timezone(dt.timedelta(hours=8))
# A point "inside T01" for tests that stub the grid, and one in T02.
T01_POINT = (112.80, 35.88)
T02_POINT = (112.90, 35.70)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def make_report(county, tracking_code: str, reported_at: dt.datetime, *, text: str = "测试事件", **fields):
    """A web report written straight into the table (no intake, no routing, no steps), at one
    fixed point; `fields` are the other columns (status, township, suggestion, handler, ...)."""
    from zhifa.dispatch.models import Report

    return Report.objects.create(
        county=county,
        tracking_code=tracking_code,
        channel=Report.WEB,
        text=text,
        lon=112.8,
        lat=35.8,
        wgs_lon=112.8,
        wgs_lat=35.8,
        reported_at=reported_at,
        **fields,
    )


def make_items(county, admin):
    """Z001 (城管, D01) held by T01 from 2026-01-01; Z002 (林业, D02) held by nobody."""
    from zhifa.catalogue import services as cat
    from zhifa.catalogue.models import Item
    from zhifa.org.models import Department, Township

    d1, d2 = Department.objects.get(code="D01"), Department.objects.get(code="D02")
    z1 = Item.objects.create(
        county=county,
        code="Z001",
        name="对擅自占道经营的处罚",
        action_type="penalty",
        source="empowered",
        domain="市容",
        department=d1,
        legal_basis="《城市市容和环境卫生管理条例》",
    )
    Item.objects.create(
        county=county,
        code="Z002",
        name="对滥伐林木的处罚",
        action_type="penalty",
        source="statutory",
        domain="林业",
        department=d2,
        legal_basis="《森林法》",
    )
    t1 = Township.objects.get(code="T01")
    version = cat.create_draft(admin, t1)
    cat.pick(admin, version.pk, z1.pk)
    cat.publish_version(version, dt.date(2026, 1, 1), actor=admin)


def fake_locate(lon: float, lat: float):
    """Stands in for the grid map in unit tests: west of 112.85 is T01, east is T02."""
    from zhifa.org.models import Township

    code = "T01" if lon < 112.85 else "T02"
    t = Township.objects.get(code=code)
    return SimpleNamespace(
        township=code,
        township_id=t.pk,
        community=f"{code}-C01",
        grid=f"{code}-G01",
        micro=f"{code}-M01",
        dedicated=None,
        micro_id=None,
    )


def fake_suggestion(item: str | None):
    handler = {"Z001": "township:T01", "Z002": "department:D02"}.get(item or "", "none")
    return SimpleNamespace(
        township="T01",
        grid="T01-G01",
        micro="T01-M01",
        item=item,
        handler=handler,
        candidates=[(item, 0.91, ["占道", "摆摊"]), ("Z002", 0.12, ["林"])] if item else [],
    )

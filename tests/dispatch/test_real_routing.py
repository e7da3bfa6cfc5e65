"""Intake → routing with the real grid map and router on the demo county (no stubs).

A report inside a micro grid of T01 about an item T01 holds lands with T01's team and the item's
squad; one about an item T01 does not hold goes to the county centre and on to the department.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from zhifa.catalogue.models import Item
from zhifa.catalogue.services import held_item_codes
from zhifa.core import audit
from zhifa.dispatch import services as s
from zhifa.dispatch.actions.suggestions import fill_suggestions
from zhifa.dispatch.models import Report
from zhifa.org.models import User


@pytest.fixture
def demo(db):
    from zhifa.demo import loader

    with audit.acting_as("演示数据"):
        county = loader._county()
        loader._catalogue(county, lambda m: None)
        loader._grid(county, lambda m: None)
    t01 = county.townships.get(code="T01")

    def user(name, role, township=None):
        return User.objects.create_user(
            username=name, password="Zhifa-test-2026", role=role, county=county, township=township
        )

    return {
        "county": county,
        "gw": user("gw", "grid_worker", t01),
        "td1": user("td1", "township_dispatcher", t01),
        "cd": user("cd", "county_dispatcher"),
    }


def _micro_point(county, township_code: str) -> tuple[float, float]:
    from shapely.geometry import shape

    from zhifa.grid.models import MICRO, GridUnit

    unit = GridUnit.objects.filter(county=county, level=MICRO, township__code=township_code).order_by("code")[
        0
    ]
    p = shape(json.loads(unit.geometry)).representative_point()
    return p.x, p.y


def test_held_item_goes_to_the_township_squad_else_to_the_department(demo, client):
    county = demo["county"]
    lon, lat = _micro_point(county, "T01")
    held = held_item_codes("T01", timezone.localdate())
    client.force_login(demo["gw"])
    r = client.post(
        "/api/dispatch/reports/",
        {
            "client_id": "real-1",
            "channel": "mobile",
            "text": "文化路一处工地晚上十一点还在打桩施工，噪音很大，居民睡不着",
            "lon": lon,
            "lat": lat,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    report = Report.objects.get(client_id="real-1")
    assert report.township.code == "T01" and report.micro_code
    # The API defers the router's suggestion; the queue page shows one computed for the page
    # without storing it (a GET writes nothing), and the dispatch worker stores it.
    assert report.suggestion == {}
    client.force_login(demo["td1"])
    assert report.tracking_code in client.get("/dispatch/").content.decode()
    report.refresh_from_db()
    assert report.suggestion == {}
    assert fill_suggestions(Report.objects.filter(pk=report.pk)) == 1
    report.refresh_from_db()
    item = report.suggestion["item"]
    assert item in held and len(report.suggestion["candidates"]) == 3
    assert report.suggestion["handler"] == "township:T01"
    assert report.suggestion["candidates"][0]["words"]
    # T01's dispatcher confirms the suggestion.
    s.do_route(demo["td1"], report.pk)
    report.refresh_from_db()
    assert s.handler_ref(report) == "township:T01"
    assert report.squad == Item.objects.get(county=county, code=item).domain

    other = s.do_intake(
        demo["gw"],
        county=county,
        text="村东有人在耕地里挖砂取土，已经挖了好几亩",
        lon=lon,
        lat=lat,
        now=timezone.now() + dt.timedelta(days=5),
    ).report
    assert other.suggestion["item"] not in held
    dept = Item.objects.get(county=county, code=other.suggestion["item"]).department
    assert other.suggestion["handler"] == f"department:{dept.code}"
    s.do_route(demo["cd"], other.pk)
    other.refresh_from_db()
    assert other.handler_department == dept and other.handler_kind == Report.DEPARTMENT


def test_the_dispatch_worker_fills_deferred_suggestions_in_one_batch(demo):
    county = demo["county"]
    lon, lat = _micro_point(county, "T01")
    texts = ["工地夜间打桩施工噪音扰民", "有人在耕地里挖砂取土", "小区路灯坏了请维修"]
    reports = [
        s.do_intake(demo["gw"], county=county, text=t, lon=lon, lat=lat, route_suggestion=False).report
        for t in texts
    ]
    assert all(r.suggestion == {} for r in reports)
    summary = s.urge_overdue(timezone.now())
    assert summary.suggested == 3
    for r in reports:
        r.refresh_from_db()
        assert len(r.suggestion["candidates"]) >= 1 and "handler" in r.suggestion
    assert s.urge_overdue(timezone.now()).suggested == 0


def _dev_lines(n: int) -> list[str]:
    from pathlib import Path

    for cand in (Path(__file__).resolve().parents[2].parent / "shared", Path("/work/shared")):
        path = cand / "benchmark" / "reports" / "reports-dev.jsonl"
        if path.exists():
            return path.read_text(encoding="utf-8").splitlines()[:n]
    raise FileNotFoundError("reports-dev.jsonl")


def test_import_routes_the_whole_file_in_one_batch(demo, tmp_path):
    from django.core.management import call_command

    f = tmp_path / "r.jsonl"
    f.write_text("\n".join(_dev_lines(5)) + "\n", encoding="utf-8")
    call_command("import_reports", str(f), "--county", "DEMO")
    reports = list(Report.objects.filter(channel=Report.IMPORT))
    assert len(reports) == 5
    assert all(r.suggestion.get("candidates") for r in reports)
    # R-0001: building a house on farmland without permission (a land or planning item).
    first = next(r for r in reports if r.external_id == "R-0001")
    assert any(w for c in first.suggestion["candidates"] for w in c["words"])

"""Open reports and cases for the grid map: /api/grid/activity/ is scoped and gives what a popup needs."""

from __future__ import annotations

import datetime as dt

import pytest
from dispatch.helpers import T01_POINT, T02_POINT, fake_locate, fake_suggestion
from django.utils import timezone

from zhifa.cases.models import Case
from zhifa.dispatch import services as ds
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report
from zhifa.org.models import Township

pytestmark = pytest.mark.django_db

URL = "/api/grid/activity/"


@pytest.fixture
def world(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion(None))
    monkeypatch.setattr(suggestions, "suggest_many", lambda reports: [fake_suggestion(None) for _ in reports])
    gw = make_user("grid_worker", township="T01", username="gw")
    gw2 = make_user("grid_worker", township="T02", username="gw2")

    def report(text, point, who=gw):
        return ds.do_intake(who, county=county, text=text, lon=point[0], lat=point[1]).report

    r1 = report("东城路口占道摆摊卖菜，持续三天", T01_POINT)
    r2 = report("北关街道路灯不亮", T02_POINT, gw2)
    done = report("已办结的事件", (T01_POINT[0] + 0.01, T01_POINT[1]))
    Report.objects.filter(pk=done.pk).update(status="closed")
    # r1 is overdue at its current step.
    Report.objects.filter(pk=r1.pk).update(step_due_at=timezone.now() - dt.timedelta(hours=1))
    t1, t2 = Township.objects.get(code="T01"), Township.objects.get(code="T02")

    def case(number, township, source="", status=Case.OPEN):
        return Case.objects.create(
            number=number,
            township=township,
            item_code="Z001",
            procedure="general",
            handler="O1",
            source_report=source,
            status=status,
        )

    return {
        "r1": r1,
        "r2": r2,
        "done": done,
        "c1": case("东城罚〔2026〕1号", t1, r1.tracking_code),
        "c_no_report": case("东城罚〔2026〕2号", t1),
        "c_closed": case("东城罚〔2026〕3号", t1, r1.tracking_code, Case.CLOSED),
        "c2": case("北关罚〔2026〕1号", t2, r2.tracking_code),
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "cd": make_user("county_dispatcher", username="cd"),
        "d2": make_user("department_staff", department="D02", username="d2"),
    }


def _get(client, user, query=""):
    client.force_login(user)
    r = client.get(URL + query)
    assert r.status_code == 200, r.content.decode()
    return r.json()


def _codes(data, kind):
    return {f["properties"]["code"] for f in data["features"] if f["properties"]["kind"] == kind}


def test_township_sees_its_own_open_reports_and_cases(client, world):
    data = _get(client, world["td1"])
    assert data["type"] == "FeatureCollection"
    assert _codes(data, "report") == {world["r1"].tracking_code}
    # Closed cases and cases with no source report are not drawn; the latter are counted.
    assert _codes(data, "case") == {world["c1"].number}
    assert data["unplaced_cases"] == 1 and data["counts"] == {"reports": 1, "cases": 1}
    report = next(f for f in data["features"] if f["properties"]["kind"] == "report")
    r1 = world["r1"]
    assert report["geometry"] == {"type": "Point", "coordinates": [r1.wgs_lon, r1.wgs_lat]}
    p = report["properties"]
    assert p["overdue"] is True and p["status_label"] == r1.status_label
    assert p["township"] == "东城街道" and p["township_code"] == "T01"
    assert p["url"] == f"/dispatch/{r1.pk}/" and p["summary"].startswith("东城路口")
    case = next(f for f in data["features"] if f["properties"]["kind"] == "case")
    # A case stands where the report it came from was made.
    assert case["geometry"]["coordinates"] == [r1.wgs_lon, r1.wgs_lat]
    assert case["properties"]["status_label"] == "办理中"
    assert case["properties"]["url"] == f"/cases/{world['c1'].pk}/"


def test_county_sees_all_and_filters_by_township_and_layer(client, world):
    data = _get(client, world["cd"])
    assert _codes(data, "report") == {world["r1"].tracking_code, world["r2"].tracking_code}
    assert _codes(data, "case") == {world["c1"].number, world["c2"].number}
    only_t2 = _get(client, world["cd"], "?township=T02&layers=reports")
    assert _codes(only_t2, "report") == {world["r2"].tracking_code} and not _codes(only_t2, "case")
    r2 = next(f for f in only_t2["features"])
    assert r2["properties"]["overdue"] is False
    client.force_login(world["cd"])
    bad = client.get(URL + "?layers=reports,tiles")
    assert bad.status_code == 400 and "图层“tiles”无效" in bad.content.decode()


def test_department_sees_only_reports_it_may_read(client, world):
    assert _get(client, world["d2"])["features"] == []
    ds.do_whistle(
        world["td1"],
        township=Township.objects.get(code="T01"),
        department_codes=["D02"],
        subject="联合执法",
        respond_by=timezone.now() + dt.timedelta(days=2),
        report_id=world["r1"].pk,
    )
    data = _get(client, world["d2"])
    # Called by a whistle: the report is on its map; the township's cases are not.
    assert _codes(data, "report") == {world["r1"].tracking_code} and not _codes(data, "case")


def test_anonymous_gets_nothing(client, world):
    assert client.get(URL).status_code in (401, 403)


def test_query_count_does_not_grow_with_points(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["cd"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    t1 = Township.objects.get(code="T01")
    for i in range(5):
        r = ds.do_intake(
            world["td1"], county=t1.county, text=f"占道经营{i}", lon=T01_POINT[0] - 0.01 * i, lat=T01_POINT[1]
        ).report
        Case.objects.create(
            number=f"东城罚〔2026〕{10 + i}号",
            township=t1,
            item_code="Z001",
            procedure="general",
            handler="O1",
            source_report=r.tracking_code,
        )
    with CaptureQueriesContext(connection) as many:
        data = client.get(URL).json()
    assert data["counts"] == {"reports": 7, "cases": 7}
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    # The endpoint is described in the OpenAPI schema.
    assert "/api/grid/activity/" in client.get("/api/schema/").content.decode()

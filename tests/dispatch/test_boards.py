"""Boards: on-time rates per unit, the map data and the weekly Excel summary."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dispatch.helpers import T01_POINT, at, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import boards
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report, Step


@pytest.fixture
def loop(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(
        suggestions, "suggest_many", lambda reports: [suggestions.suggest(r) for r in reports]
    )
    monkeypatch.setattr(
        suggestions, "suggest", lambda report: fake_suggestion("Z002" if "树" in report.text else "Z001")
    )
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    p = {
        "gw": make_user("grid_worker", township="T01", username="gw"),
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "td2": make_user("township_dispatcher", township="T02", username="td2"),
        "o1": make_user("officer", township="T01", username="o1"),
        "cd": make_user("county_dispatcher", username="cd"),
    }
    kw = {"county": county, "lon": T01_POINT[0], "lat": T01_POINT[1], "now": at("2026-09-29T08:00")}
    r1 = s.do_intake(p["gw"], text="门口占道摆摊", **kw).report
    s.do_route(p["td1"], r1.pk, now=at("2026-09-29T09:00"))
    s.do_accept(p["o1"], r1.pk, now=at("2026-09-29T10:00"))  # within the day: on time
    s.do_finish(p["o1"], r1.pk, result="已处理", now=at("2026-10-20T10:00"))  # due 10-12: late
    r2 = s.do_intake(p["gw"], text="后山有人砍树", **kw).report
    s.do_route(p["cd"], r2.pk, now=at("2026-09-29T09:00"))  # D02 never signs for it
    return p, r1, r2


def test_on_time_rates_per_township_and_department(loop):
    board = boards.on_time_rates(
        Step.objects.all(), dt.date(2026, 9, 1), dt.date(2026, 11, 1), at("2026-10-21T09:00")
    )
    t = {r.key: (r.on_time, r.late, r.open_overdue, r.pending) for r in board.townships}
    d = {r.key: (r.on_time, r.late, r.open_overdue, r.pending) for r in board.departments}
    assert t == {"T01": (1, 1, 0, 0)} and d == {"D02": (0, 0, 1, 0)}
    assert board.townships[0].percent == "50.0%" and board.departments[0].percent == "0.0%"
    points = boards.open_points(Report.objects.all(), at("2026-10-21T09:00"))
    assert {p["code"]: p["overdue"] for p in points} == {
        loop[1].tracking_code: False,  # verifying, due 22 October
        loop[2].tracking_code: True,
    }
    assert all("reporter" not in k for p in points for k in p)


def test_board_page_and_weekly_excel(loop, client):
    p, r1, r2 = loop
    client.force_login(p["cd"])
    body = client.get("/dispatch/board/?from=2026-09-01&to=2026-10-31").content.decode()
    assert "东城街道" in body and "县林业局" in body and "dispatch-points" in body
    assert (
        "结束日期不能早于开始日期"
        in client.get("/dispatch/board/?from=2026-10-01&to=2026-09-01").content.decode()
    )
    r = client.get("/dispatch/board/weekly.xlsx?week=2026-09-30")
    assert r["Content-Disposition"].endswith('dispatch-weekly-2026-09-28.xlsx"')
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "乡镇按时率", "部门按时率", "事件明细"]
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["上报事件"] == 2
    codes = [row[0] for row in wb["事件明细"].iter_rows(min_row=2, values_only=True)]
    assert codes == [r1.tracking_code, r2.tracking_code]
    # Another township's staff see neither the reports nor their rates.
    client.force_login(p["td2"])
    body = client.get("/dispatch/board/?from=2026-09-01&to=2026-10-31").content.decode()
    assert r1.tracking_code not in body and "县林业局" not in body
    wb = load_workbook(io.BytesIO(client.get("/dispatch/board/weekly.xlsx?week=2026-09-30").content))
    assert list(wb["事件明细"].iter_rows(min_row=2, values_only=True)) == []

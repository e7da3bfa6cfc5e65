"""The metrics board: activity rate (cases and inspections), empowered-item usage, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cases.fixtures import build_team
from django.urls import reverse
from openpyxl import load_workbook

from zhifa.cases import actions as A
from zhifa.org import roles

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


@pytest.fixture
def team(county):
    team = build_team(county)
    case = A.do_open_case(team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1))
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_legal_review(team.reviewer, case, D(2026, 9, 3), passed=True)
    return team


def test_activity_rate_counts_case_steps_and_inspections(team, make_user):
    from zhifa.supervision import metrics
    from zhifa.supervision.models import Enterprise, InspectionVisit

    sup = make_user(roles.SUPERVISOR, username="sup")
    rows = {r.township.code: r for r in metrics.board(sup, 2026, D(2026, 9, 1))}
    t1 = rows["T01"]
    # certified team in September: o1, o2, sec, reviewer (o3 expired in June, auxiliaries never count)
    assert (t1.officers, t1.active) == (4, 3) and t1.activity_rate == pytest.approx(0.75)
    assert (t1.empowered_held, t1.empowered_used, t1.empowered_cases) == (1, 1, 1)
    assert rows["T02"].active == 0 and rows["T02"].unused_items == ["Z028"]

    shop = Enterprise.objects.create(
        county=team.county, township=team.t1, name="店", credit_code="91350100M000100Y43"
    )
    visit = InspectionVisit.objects.create(
        county=team.county, township=team.t1, enterprise=shop, visited_on=D(2026, 9, 20),
        notice="n", token="tok", registered_by=team.sec,
    )  # fmt: skip
    visit.officers.set([team.sec, team.o1])
    t1 = {r.township.code: r for r in metrics.board(sup, 2026, D(2026, 9, 1))}["T01"]
    assert (t1.officers, t1.active, t1.inspections) == (4, 4, 1)
    october = {r.township.code: r for r in metrics.board(sup, 2026, D(2026, 10, 1))}["T01"]
    assert october.active == 0

    trend = metrics.activity_trend([team.t1], D(2026, 10, 1), months=3)
    assert [m["month"] for m in trend] == [D(2026, 8, 1), D(2026, 9, 1), D(2026, 10, 1)]
    assert trend[1]["active"] == 4 and trend[2]["active"] == 0


def test_board_page_scoped_and_export(team, client, make_user):
    client.force_login(team.other)  # a T02 officer sees only T02
    page = client.get(
        reverse("web:supervision:metrics"), {"year": "2026", "month": "2026-09"}
    ).content.decode()
    assert "北关街道" in page and "东城街道" not in page and "chart.umd.min.js" in page
    bad = client.get(reverse("web:supervision:metrics"), {"year": "abc"}).content.decode()
    assert "年度“abc”无效" in bad

    client.force_login(make_user(roles.SUPERVISOR, username="sup"))
    resp = client.get(reverse("web:supervision:metrics_export"), {"year": "2026", "month": "2026-09"})
    wb = load_workbook(io.BytesIO(resp.content))
    rows = list(wb["考核指标"].iter_rows(values_only=True))
    assert rows[1][0] == "乡镇（街道）"
    t1 = next(r for r in rows if r[0] == "东城街道")
    assert t1[1:4] == (4, 3, "75.0%")
    assert ("北关街道", "Z028") in list(wb["未使用的赋权事项"].iter_rows(values_only=True))


def test_board_queries_do_not_grow_with_townships(team, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhifa.org.models import Township
    from zhifa.supervision import metrics

    sup = make_user(roles.SUPERVISOR, username="sup")
    with CaptureQueriesContext(connection) as few:
        before = metrics.board(sup, 2026, D(2026, 9, 1))
    Township.objects.bulk_create(
        [Township(county=team.county, code=f"TX{i:02d}", name=f"新镇{i}", kind="镇") for i in range(8)]
    )
    with CaptureQueriesContext(connection) as many:
        after = metrics.board(sup, 2026, D(2026, 9, 1))
    assert len(after) == len(before) + 8
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    t1 = {r.township.code: r for r in after}["T01"]
    assert (t1.empowered_held, t1.empowered_used, t1.empowered_cases) == (1, 1, 1)

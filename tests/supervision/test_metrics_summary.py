"""The metrics page's steps done read from the worker's summaries (issue 11) equal the steps."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from cases.fixtures import build_team
from dispatch.helpers import make_report
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhifa.cases import actions as A
from zhifa.dispatch import summaries
from zhifa.dispatch.models import Step
from zhifa.org import roles
from zhifa.org.models import County, Township
from zhifa.rules import dispatch_workflow as wf
from zhifa.supervision import metrics

D = dt.date
CST = dt.timezone(dt.timedelta(hours=8))
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


def _steps(county, n: int, seed: int, code_prefix: str) -> None:
    """`n` reports in the county's townships with steps ended over 2025–2027 (some at local
    midnight around a new year, where the UTC date is the year before), late and on time."""
    rnd = random.Random(seed)
    towns = list(Township.objects.filter(county=county))
    edges = [dt.datetime(2025, 12, 31, 23, 30, tzinfo=CST), dt.datetime(2026, 12, 31, 23, 50, tzinfo=CST)]
    edges += [dt.datetime(2027, 1, 1, 0, 10, tzinfo=CST), dt.datetime(2026, 1, 1, 7, 59, tzinfo=CST)]
    for i in range(n):
        reported = dt.datetime(2025, 11, 1, 9, tzinfo=CST) + dt.timedelta(hours=rnd.randrange(24 * 450))
        r = make_report(
            county,
            f"{code_prefix}{i:05d}",
            reported,
            township=rnd.choice(towns) if i % 9 else None,
            status=wf.CLOSED,
        )
        for k in range(rnd.randrange(1, 4)):
            ended = (
                edges[i % len(edges)]
                if k == 0 and i % 5 == 0
                else reported + dt.timedelta(hours=rnd.randrange(1, 400))
            )
            if rnd.random() < 0.15:
                ended = None
            Step.objects.create(
                report=r,
                state=rnd.choice([wf.ROUTED, wf.HANDLING, wf.VERIFYING, wf.RECEIVED]),
                started_at=reported,
                due_at=reported + dt.timedelta(hours=48),
                ended_at=ended,
                overdue=bool(ended and rnd.random() < 0.3),
            )


@pytest.fixture
def team(county):
    team = build_team(county)
    case = A.do_open_case(team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1))
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    other = County.objects.create(code="C02", name="另一县")
    Township.objects.create(county=other, code="T91", name="西山镇", kind="镇", setting="农村")
    _steps(county, 150, 1, "A")
    _steps(other, 40, 2, "B")
    return team


def _table(user, year, month):
    return metrics.table(metrics.board(user, year, month))


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_summary_rows_equal_the_steps(team, make_user, year):
    users = [make_user(roles.SUPERVISOR, username="sup"), team.other, team.o1]
    month = D(year, 9, 1)
    want = {u.username: _table(u, year, month) for u in users}
    assert summaries.state() is None and metrics.board(users[0], year, month)[0].as_of is None
    assert any(r[4] for r in want["sup"]) and any(r[5] not in ("—", "100.0%") for r in want["sup"])
    summaries.fold_summaries()
    for u in users:
        got = metrics.board(u, year, month)
        assert metrics.table(got) == want[u.username], u.username
        assert got[0].as_of is not None
    # Steps ending after the pass count once the next pass has run, and only once.
    t1 = Township.objects.get(code="T01")
    span = (D(year, 1, 1), D(year, 12, 31))
    done, late = metrics._steps_done_reference([t1], *span).get(t1.pk, (0, 0))
    step = Step.objects.filter(ended_at__isnull=True, report__township=t1).select_related("report").first()
    step.ended_at, step.overdue = dt.datetime(year, 6, 1, 10, tzinfo=CST), True
    step.save()
    step.report.save()  # a state change saves its report
    summaries.fold_summaries()
    summaries.fold_summaries()
    row = next(r for r in metrics.board(users[0], year, month) if r.township == t1)
    assert (row.steps_done, row.steps_done - row.steps_on_time) == (done + 1, late + 1)
    towns = metrics.visible_townships(users[0])
    assert metrics._steps_done(towns, *span) == metrics._steps_done_reference(towns, *span)


def test_metrics_page_queries_constant_and_freshness_shown(team, client, make_user):
    sup = make_user(roles.SUPERVISOR, username="sup")
    client.force_login(sup)
    summaries.fold_summaries()
    url = reverse("web:supervision:metrics")
    with CaptureQueriesContext(connection) as few:
        page = client.get(url, {"year": "2026", "month": "2026-09"})
    assert page.status_code == 200 and "统计截至" in page.content.decode()
    _steps(team.county, 120, 3, "C")
    summaries.fold_summaries()
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, {"year": "2026", "month": "2026-09"})
    assert page.status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]

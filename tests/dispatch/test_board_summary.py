"""The board read from the worker's summaries (issue 11) equals the board read from the rows."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dispatch.helpers import at
from zhifa.dispatch import boards, summaries
from zhifa.dispatch.models import Report, RoutingDay, Step, StepEndDay, StepOutcomeDay, SummaryState
from zhifa.org.models import County, Department, Township
from zhifa.rules import dispatch_workflow as wf

NOW = at("2026-10-21T09:00")
WINDOWS = [
    (dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    (dt.date(2026, 9, 21), dt.date(2026, 10, 22)),
    (dt.date(2026, 8, 31), dt.date(2026, 9, 1)),  # one day, at a month's end
    (dt.date(2026, 10, 5), dt.date(2026, 10, 12)),
]
STATUSES = [wf.ROUTED, wf.HANDLING, wf.VERIFYING, wf.CLOSED, wf.CLOSED, wf.RECEIVED, wf.MERGED, wf.HELD]


@pytest.fixture
def province(county):
    """Two counties, four townships, two departments, 240 reports over four months with steps
    on time, late, open past due and open within it; handlers of every kind; suggestions sure,
    unsure, kept and overridden, and some from before the router gave a confidence."""
    other = County.objects.create(code="C02", name="另一县")
    Township.objects.create(county=other, code="T91", name="西山镇", kind="镇", setting="农村")
    Department.objects.create(county=other, code="D91", name="另一县林业局", domain="林业")
    rnd = random.Random(11)
    towns = list(Township.objects.order_by("code"))
    depts = list(Department.objects.order_by("code"))
    for i in range(240):
        town = rnd.choice(towns)
        c = town.county
        kind = rnd.choice([Report.TOWNSHIP, Report.TOWNSHIP, Report.DEPARTMENT, Report.SERVICE, Report.NONE])
        ht = rnd.choice([t for t in towns if t.county_id == c.pk]) if kind != Report.DEPARTMENT else None
        hd = (
            rnd.choice([d for d in depts if d.county_id == c.pk])
            if kind == Report.DEPARTMENT or i % 7 == 0
            else None
        )
        # Late at night local time on some, so a day bucket differs from the UTC date.
        reported = at("2026-07-01T06:00") + dt.timedelta(
            hours=rnd.randrange(0, 24 * 110), minutes=rnd.randrange(60)
        )
        item = rnd.choice(["Z001", "Z002", ""])
        sug = rnd.choice(
            [
                {},
                {"item": item, "confidence": 0.9},
                {"item": "Z001", "confidence": 0.4, "needs_review": True},
                {"item": "Z002", "confidence": 0.8},
                {"item": "Z001"},  # before confidences
            ]
        )
        status = rnd.choice(STATUSES)
        r = Report.objects.create(
            county=c,
            tracking_code=f"S{i:05d}",
            channel=Report.WEB,
            text="测试事件",
            lon=112.8,
            lat=35.8,
            wgs_lon=112.8,
            wgs_lat=35.8,
            township=town if i % 11 else None,
            reported_at=reported,
            status=status,
            suggestion=sug,
            needs_review=bool(sug.get("needs_review")) and status == wf.RECEIVED,
            item_code=item,
            handler_kind=kind,
            handler_township=ht,
            handler_department=hd,
        )
        start = reported
        for _ in range(rnd.randrange(1, 4)):
            state = rnd.choice([wf.ROUTED, wf.HANDLING, wf.JOINT, wf.VERIFYING, wf.RECEIVED])
            due = None if rnd.random() < 0.1 else start + dt.timedelta(hours=rnd.randrange(4, 200))
            ended = None if rnd.random() < 0.2 else start + dt.timedelta(hours=rnd.randrange(1, 300))
            Step.objects.create(
                report=r,
                state=state,
                started_at=start,
                due_at=due,
                ended_at=ended,
                overdue=bool(ended and due and ended > due),
            )
            start = ended or start + dt.timedelta(hours=5)
    return [c for c in County.objects.order_by("code")]


def _board(b: boards.Board) -> tuple:
    rates = lambda rs: [(r.key, r.label, r.on_time, r.late, r.open_overdue, r.pending) for r in rs]  # noqa: E731
    return rates(b.townships), rates(b.departments)


def _routing(q: boards.RoutingQuality) -> tuple:
    return (q.routed, q.confident, q.confident_right, q.unsure, q.unsure_right, q.waiting)


def _scopes(make_user):
    return [
        make_user("county_dispatcher", username="cd"),
        make_user("township_dispatcher", township="T01", username="td"),
        make_user("township_dispatcher", township="T91", username="td91"),
        make_user("department_staff", department="D01", username="ds"),
        make_user("supervisor", username="sup"),
    ]


def _assert_same(users):
    for user in users:
        steps = Step.objects.restrict(user)
        reports = Report.objects.restrict(user)
        for start, end in WINDOWS:
            got = boards.on_time_rates(steps, start, end, NOW)
            want = boards._on_time_rates_reference(steps, start, end, NOW)
            assert _board(got) == _board(want), (user.username, start, end)
            got_q = boards.routing_quality(reports, start, end)
            want_q = boards._routing_quality_reference(reports, start, end)
            assert _routing(got_q) == _routing(want_q), (user.username, start, end)
    # Everything, as the superuser's queryset is.
    got = boards.on_time_rates(Step.objects.all(), *WINDOWS[0], NOW)
    assert _board(got) == _board(boards._on_time_rates_reference(Step.objects.all(), *WINDOWS[0], NOW))
    assert got.as_of is not None


def test_summaries_equal_the_rows(province, make_user):
    users = _scopes(make_user)
    assert summaries.state() is None  # never built: the pages read the rows
    assert boards.on_time_rates(Step.objects.all(), *WINDOWS[0], NOW).as_of is None
    assert summaries.fold_summaries() > 0
    assert StepOutcomeDay.objects.exists() and StepEndDay.objects.exists() and RoutingDay.objects.exists()
    ref = boards._on_time_rates_reference(Step.objects.all(), *WINDOWS[0], NOW)
    assert sum(r.on_time + r.late for r in ref.townships + ref.departments) > 50  # the data is varied
    assert any(r.open_overdue for r in ref.townships) and any(
        r.pending for r in ref.townships + ref.departments
    )
    _assert_same(users)


def test_summary_path_is_taken_for_plain_scopes(province, make_user):
    """The summaries answer for what restrict gives (not for any queryset)."""
    summaries.fold_summaries()
    cd = make_user("county_dispatcher", username="cd")
    assert boards.plain_scope(Step.objects.restrict(cd), boards._STEP_PATHS) is not None
    assert boards.plain_scope(Step.objects.all(), boards._STEP_PATHS) is not None
    odd = Step.objects.filter(report__in=Report.objects.filter(status=wf.CLOSED))
    assert boards.plain_scope(odd, boards._STEP_PATHS) is None
    assert boards.plain_scope(Step.objects.filter(state=wf.ROUTED), boards._STEP_PATHS) is None
    # A queryset the summaries cannot prove is read from the rows, and still right.
    got = boards.on_time_rates(odd, *WINDOWS[0], NOW)
    assert got.as_of is None
    assert _board(got) == _board(boards._on_time_rates_reference(odd, *WINDOWS[0], NOW))


def _tables():
    """The three tables as multisets of their rows."""
    return (
        Counter(
            StepOutcomeDay.objects.values_list(
                "county",
                "township",
                "handler_department",
                "day",
                "unit_township",
                "unit_department",
                "on_time",
                "late",
            )
        ),
        Counter(StepEndDay.objects.values_list("county", "township", "day", "done", "late")),
        Counter(
            RoutingDay.objects.values_list(
                "county",
                "township",
                "handler_department",
                "day",
                "confident",
                "confident_right",
                "unsure",
                "unsure_right",
            )
        ),
    )


def test_passes_fold_changes_and_never_count_twice(province, make_user):
    users = _scopes(make_user)
    summaries.fold_summaries()
    first = _tables()
    summaries.fold_summaries()  # nothing changed: the same rows, not twice the counts
    summaries.fold_summaries()
    assert _tables() == first
    # Changes after the pass: steps end (on time and late), a report is re-routed to a department,
    # another is routed with its suggestion overridden, another moves to another township.
    open_steps = list(
        Step.objects.filter(ended_at__isnull=True, due_at__isnull=False).select_related("report")[:6]
    )
    assert len(open_steps) == 6
    for k, st in enumerate(open_steps):
        st.ended_at = st.due_at + dt.timedelta(hours=1 if k % 2 else -1)
        st.overdue = st.ended_at > st.due_at
        st.save()
        st.report.save()  # a state change saves its report
    moved = Report.objects.filter(handler_kind=Report.TOWNSHIP, county__code="C01").first()
    moved.handler_kind, moved.handler_township = Report.DEPARTMENT, None
    moved.handler_department = Department.objects.get(code="D02")
    moved.save()
    waiting = Report.objects.filter(status=wf.RECEIVED, county__code="C01").exclude(suggestion={}).first()
    waiting.status, waiting.item_code = wf.ROUTED, "Z009"
    waiting.save()
    relocated = Report.objects.filter(township__code="T01", steps__ended_at__isnull=False).first()
    relocated.township = Township.objects.get(code="T02")
    relocated.save()
    assert _tables() == first  # not folded yet
    summaries.fold_summaries()
    assert _tables() != first
    _assert_same(users)
    # A rebuild from scratch gives exactly what the passes kept.
    kept = _tables()
    summaries.rebuild_summaries()
    assert _tables() == kept


@pytest.mark.django_db(transaction=True)
def test_two_workers_do_not_double_count(province, make_user):
    """While one worker holds the pass, another skips it (SKIP LOCKED, PostgreSQL); two workers
    at once (PostgreSQL) or in turn (SQLite, one writer at a time) leave what one rebuild gives."""
    summaries.rebuild_summaries()
    want = _tables()
    SummaryState.objects.update(folded_to=None)  # the next pass would rebuild everything
    results: list = []
    if connection.features.has_select_for_update_skip_locked:
        held, release = threading.Event(), threading.Event()

        def holder():
            with transaction.atomic():
                list(SummaryState.objects.select_for_update().filter(name=summaries.NAME))
                held.set()
                release.wait(10)
            connection.close()

        t = threading.Thread(target=holder)
        t.start()
        assert held.wait(10)
        results.append(summaries.fold_summaries())  # the other connection holds the pass
        release.set()
        t.join()
        assert results == [None]
        assert _tables() == want

    def worker():
        try:
            results.append(summaries.fold_summaries())
        finally:
            connection.close()

    SummaryState.objects.update(folded_to=None)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    if connection.features.has_select_for_update_skip_locked:
        for t in threads:  # at once: one folds, the other skips or folds after it
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite has no row locks and takes one writer at a time: in turn
        for t in threads:
            t.start()
            t.join()
    assert len(results) >= 2 and any(r for r in results if r)
    assert _tables() == want


def test_board_page_queries_constant_and_freshness_shown(province, client, make_user):
    summaries.fold_summaries()
    cd = make_user("county_dispatcher", username="cd")
    client.force_login(cd)
    with CaptureQueriesContext(connection) as few:
        r = client.get("/dispatch/board/?from=2026-07-01&to=2026-10-31")
    assert r.status_code == 200
    body = r.content.decode()
    assert "统计截至" in body
    # Many more reports and steps over more days: the same queries.
    c01 = County.objects.get(code="C01")
    t1 = Township.objects.get(code="T01")
    for i in range(60):
        rep = Report.objects.create(
            county=c01,
            tracking_code=f"M{i:05d}",
            channel=Report.WEB,
            text="再来一件",
            lon=112.8,
            lat=35.8,
            wgs_lon=112.8,
            wgs_lat=35.8,
            township=t1,
            reported_at=at("2026-08-01T10:00") + dt.timedelta(days=i),
            status=wf.CLOSED,
            handler_kind=Report.TOWNSHIP,
            handler_township=Township.objects.get(code="T02"),
        )
        s0 = rep.reported_at
        Step.objects.create(
            report=rep,
            state=wf.HANDLING,
            started_at=s0,
            due_at=s0 + dt.timedelta(days=1),
            ended_at=s0 + dt.timedelta(hours=i),
        )
    summaries.fold_summaries()
    with CaptureQueriesContext(connection) as many:
        r = client.get("/dispatch/board/?from=2026-07-01&to=2026-10-31")
    assert r.status_code == 200
    assert len(many) == len(few)
    board = boards.on_time_rates(Step.objects.restrict(cd), dt.date(2026, 7, 1), dt.date(2026, 11, 1), NOW)
    ref = boards._on_time_rates_reference(
        Step.objects.restrict(cd), dt.date(2026, 7, 1), dt.date(2026, 11, 1), NOW
    )
    assert _board(board) == _board(ref)


def test_rebuild_command(province, capsys):
    from django.core.management import call_command

    call_command("rebuild_summaries")
    assert "统计表已重算" in capsys.readouterr().out
    assert summaries.state() is not None
    kept = _tables()
    assert kept[0] and kept[1] and kept[2]
    StepOutcomeDay.objects.all().delete()  # e.g. a restore that did not carry them
    call_command("rebuild_summaries")
    assert _tables() == kept


def test_worker_pass_folds(province):
    from zhifa.dispatch.actions.worker import urge_overdue

    summary = urge_overdue(NOW)
    assert summary.summary_rows and summaries.state() is not None
    got = boards.on_time_rates(Step.objects.all(), *WINDOWS[1], NOW)
    assert _board(got) == _board(boards._on_time_rates_reference(Step.objects.all(), *WINDOWS[1], NOW))

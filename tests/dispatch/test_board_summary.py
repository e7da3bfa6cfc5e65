"""The board read from the worker's summaries (issue 11) equals the board read from the rows."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch import summary_reference
from dispatch.helpers import at, make_report
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
        r = make_report(
            c,
            f"S{i:05d}",
            reported,
            township=town if i % 11 else None,
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


_tables = summary_reference.tables


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
        rep = make_report(
            c01,
            f"M{i:05d}",
            at("2026-08-01T10:00") + dt.timedelta(days=i),
            text="再来一件",
            township=t1,
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


@pytest.fixture
def odd_reports(province):
    """Reports at the edges of the buckets' rules, added to the province: suggestions with a null
    or missing item, needs_review false or missing, merged and split reports with a suggestion,
    handlers of a kind without their unit, a step ended exactly at its due time, steps starting
    and ending at local midnight (the UTC date the day before), a county with no township."""
    c01, c02 = County.objects.get(code="C01"), County.objects.get(code="C02")
    bare = County.objects.create(code="C03", name="无镇县")
    t1, t91 = Township.objects.get(code="T01"), Township.objects.get(code="T91")
    d1 = Department.objects.get(code="D01")
    midnight = at("2026-09-10T00:00")  # local midnight: 16:00 UTC the day before
    cases = [
        (c01, t1, wf.CLOSED, {"item": None, "confidence": 0.5}, "", Report.TOWNSHIP, t1, None),
        (c01, t1, wf.CLOSED, {"item": None, "confidence": 0.5}, "Z001", Report.SERVICE, t1, d1),
        (
            c01,
            t1,
            wf.ROUTED,
            {"item": "Z001", "confidence": 0.7, "needs_review": False},
            "Z001",
            Report.SERVICE,
            None,
            d1,
        ),
        (c01, None, wf.HANDLING, {"confidence": 0.3}, "", Report.DEPARTMENT, None, None),
        (
            c01,
            t1,
            wf.HANDLING,
            {"confidence": 0.3, "needs_review": True},
            "Z002",
            Report.DEPARTMENT,
            None,
            d1,
        ),
        (c01, t1, wf.MERGED, {"item": "Z001", "confidence": 0.9}, "Z001", Report.TOWNSHIP, t1, None),
        (c01, t1, wf.SPLIT, {"item": "Z001", "confidence": 0.9}, "Z001", Report.TOWNSHIP, t1, None),
        (c01, t1, wf.CLOSED, {"item": "Z001", "confidence": 0.9}, "Z001", Report.NONE, t1, d1),
        (
            c02,
            t91,
            wf.VERIFYING,
            {"item": "Z002", "confidence": 0.1, "needs_review": True},
            "Z002",
            Report.TOWNSHIP,
            t91,
            None,
        ),
        (bare, None, wf.CLOSED, {"item": "Z001", "confidence": 0.9}, "Z001", Report.DEPARTMENT, None, None),
    ]
    for i, (c, town, status, sug, item, kind, ht, hd) in enumerate(cases):
        r = make_report(
            c,
            f"E{i:05d}",
            midnight - dt.timedelta(seconds=i % 2),  # 23:59:59 the day before, or 00:00
            text="边界事件",
            township=town,
            status=status,
            suggestion=sug,
            item_code=item,
            handler_kind=kind,
            handler_township=ht,
            handler_department=hd,
        )
        start = midnight - dt.timedelta(seconds=i % 2)
        Step.objects.create(  # ended exactly at its due time: on time
            report=r,
            state=wf.HANDLING,
            started_at=start,
            due_at=start + dt.timedelta(hours=8),
            ended_at=start + dt.timedelta(hours=8),
        )
        Step.objects.create(  # ends at local midnight, late
            report=r,
            state=wf.JOINT,
            started_at=start,
            due_at=start + dt.timedelta(hours=1),
            ended_at=midnight + dt.timedelta(days=1),
            overdue=True,
        )
    return cases


def _stir(rnd: random.Random, n: int) -> None:
    """Change `n` reports the way a worker's day does, each saved (a state change saves its
    report): steps end, reports are re-routed within their county, move township, get their
    item corrected or a new suggestion."""
    towns = {c.pk: list(Township.objects.filter(county=c)) for c in County.objects.all()}
    depts = {c.pk: list(Department.objects.filter(county=c)) for c in County.objects.all()}
    for r in rnd.sample(list(Report.objects.order_by("pk")), n):
        for st in r.steps.filter(ended_at__isnull=True):
            if rnd.random() < 0.7:
                st.ended_at = st.started_at + dt.timedelta(hours=rnd.randrange(1, 90))
                st.overdue = bool(st.due_at and st.ended_at > st.due_at)
                st.save()
        move = rnd.randrange(5)
        if move == 0 and depts[r.county_id]:
            r.handler_kind, r.handler_township = Report.DEPARTMENT, None
            r.handler_department = rnd.choice(depts[r.county_id])
        elif move == 1 and towns[r.county_id]:
            r.handler_kind, r.handler_township = Report.TOWNSHIP, rnd.choice(towns[r.county_id])
        elif move == 2 and towns[r.county_id]:
            r.township = rnd.choice(towns[r.county_id])
        elif move == 3:
            r.item_code = rnd.choice(["Z001", "Z002", ""])
            r.status = rnd.choice([wf.ROUTED, wf.CLOSED, wf.RECEIVED])
        else:
            r.suggestion = {"item": "Z002", "confidence": 0.6, "needs_review": rnd.random() < 0.5}
        r.save()


def test_sql_rebuild_equals_the_python_rebuild(odd_reports):
    """The set-based rebuild writes exactly the rows the previous Python rebuild wrote, and so
    does every pass after changes (only the touched buckets recomputed)."""
    want = summary_reference.reference()
    assert all(want) and sum(want[2].values()) > 20  # every table has rows; the data is varied
    outcome_units = {(row[4], row[5]) for row in want[0]}
    assert any(t for t, _ in outcome_units) and any(d for _, d in outcome_units)
    assert any(row[6] for row in want[2]) and any(row[7] for row in want[2])  # unsure, unsure kept
    total = summaries.rebuild_summaries()
    assert total == sum(len(c) for c in want)
    assert _tables() == want
    # One step of one report ends: the pass rewrites that report's buckets, not the tables (the
    # watermark as if the last pass had run well after the fixture was written).
    SummaryState.objects.update(folded_to=timezone.now() + summaries.MARGIN)
    st = Step.objects.filter(
        ended_at__isnull=True, due_at__isnull=False, state=wf.HANDLING, report__handler_kind=Report.TOWNSHIP
    ).first()
    st.ended_at, st.overdue = st.due_at + dt.timedelta(hours=2), True
    st.save()
    st.report.save()
    assert _tables() != summary_reference.reference()
    rows = summaries.fold_summaries()
    assert 0 < rows < total
    assert _tables() == summary_reference.reference()
    rnd = random.Random(5)
    for n in (12, 40):
        _stir(rnd, n)
        assert _tables() != summary_reference.reference()  # the stir moved some bucket
        summaries.fold_summaries()
        assert _tables() == summary_reference.reference(), n
    kept = _tables()
    summaries.rebuild_summaries()
    assert _tables() == kept


@pytest.mark.django_db
def test_the_dirty_buckets_are_read_in_bounded_chunks_and_are_those_of_the_plain_join(province, monkeypatch):
    """The changed reports' steps are read in chunks, each from its reports' earliest possible
    step start (partition pruning at scale), and give exactly the buckets of the plain join of
    changed reports and their steps."""
    monkeypatch.setattr(summaries, "CHANGED_CHUNK", 50)
    since = timezone.now() - dt.timedelta(minutes=5)
    picked = list(Report.objects.order_by("?").values_list("id", flat=True)[:130])
    Report.objects.filter(id__in=picked).update(updated_at=timezone.now())
    Report.objects.exclude(id__in=picked).update(updated_at=since - dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as ctx:
        outcome, end, routing = summaries._dirty_buckets(since)
    step_reads = [q["sql"] for q in ctx.captured_queries if "dispatch_step" in q["sql"]]
    assert len(step_reads) == 3  # 130 reports in chunks of 50
    assert all('"dispatch_step"."started_at" >=' in sql and "JOIN" not in sql for sql in step_reads)

    tz = timezone.get_current_timezone()
    day = lambda t: t.astimezone(tz).date()  # noqa: E731
    steps = Step.objects.filter(report_id__in=picked).select_related("report")
    assert outcome == {(st.report.county_id, day(st.started_at)) for st in steps}
    assert end == {(st.report.county_id, day(st.ended_at)) for st in steps if st.ended_at}
    reports = Report.objects.filter(id__in=picked)
    assert routing == {(r.county_id, day(r.reported_at)) for r in reports}
    assert outcome and end and routing

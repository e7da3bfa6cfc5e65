"""Summary tables of the board and the metrics page (issue 11), kept by the worker.

Three tables of day buckets (zhifa.dispatch.models): `StepOutcomeDay` (ended unit steps by the
day they started and the unit now answerable: the board's on-time rates), `StepEndDay` (ended
steps by the day they ended and the report's township: the metrics page) and `RoutingDay`
(routed reports by the day they were reported: the board's routing quality).

`fold_summaries` (a pass of `zhifa urge-overdue`) finds the reports updated since its watermark
(`Report.updated_at`, which every save of a state change sets), and recomputes, from the steps
and reports themselves, every day bucket their steps or their own report day fall in, for all
counties. A bucket is replaced, never incremented, so a pass run twice, or a pass that looks at
a report again, counts nothing twice; the state row is locked for the pass (SKIP LOCKED: a second
worker skips it). The watermark starts `MARGIN` before the last pass, for transactions that
committed after it had looked. What no save announces (a report deleted, rows written straight
into the database such as `zhifa generate-province`, a restore) needs `zhifa rebuild-summaries`.

Every table is written set-based: one `INSERT … SELECT … GROUP BY` per table (the SELECT built
by the ORM, so the local day and the JSON keys read the same on PostgreSQL and SQLite), after one
`DELETE` of the buckets it replaces, in the pass's transaction. A rebuild replaces every bucket;
a pass replaces only the touched (county, day) buckets of each table: the county of each changed
report with the local day of its report (routing), of its steps' starts (outcomes) and of its
steps' ends (steps done). A bucket row's other keys (township, department, unit) are within its
county and day, so a report that changed unit or township within its county is recounted where
it was and where it is.

Until the first pass (or rebuild) the pages read the rows as before (`state()` is None).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connections, router, transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from zhifa.dispatch.models import Report, RoutingDay, Step, StepEndDay, StepOutcomeDay, SummaryState
from zhifa.rules import dispatch_workflow as wf

NAME = "dispatch"
MARGIN = dt.timedelta(minutes=10)
# The steps a handling unit is answerable for (签收 and 处置, alone or jointly): as the board.
UNIT_STEPS = (wf.ROUTED, wf.HANDLING, wf.JOINT)
# Routed reports: every status but these (as the board's routing quality).
UNROUTED = (wf.RECEIVED, wf.MERGED, wf.SPLIT)

# (county, local day) pairs of touched buckets; None: every bucket.
Buckets = set[tuple[int, dt.date]] | None


def state() -> SummaryState | None:
    """The summaries' state once they have been built, else None (read the rows)."""
    s = SummaryState.objects.filter(name=NAME, folded_at__isnull=False).first()
    return s


def _tz():
    return timezone.get_current_timezone()


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=_tz())


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = _tz()
    lo = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return lo, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _runs(days: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[dt.date, dt.date]] = []
    for d in sorted(days):
        if out and out[-1][1] + dt.timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _by_county(buckets: set[tuple[int, dt.date]]) -> dict[int, set[dt.date]]:
    out: dict[int, set[dt.date]] = defaultdict(set)
    for county, day in buckets:
        out[county].add(day)
    return out


def _rows_in(buckets: Buckets, county: str, instant: str) -> Q:
    """Rows whose `county` and local day of `instant` form one of the buckets: per county, the
    days as instant ranges (the county-led and the time indexes serve them)."""
    if buckets is None:
        return Q()

    def span(days: set[dt.date]) -> Q:
        q = Q()
        for first, last in _runs(days):
            q |= Q(**{f"{instant}__gte": _day_bounds(first)[0], f"{instant}__lt": _day_bounds(last)[1]})
        return q

    by_county = _by_county(buckets)
    exact = Q()
    for c, days in sorted(by_county.items()):
        exact |= Q(**{county: c}) & span(days)
    # The same rows, also said table by table (all the days, all the counties): PostgreSQL can
    # then read the steps or reports by their time index before the join instead of joining the
    # whole tables and filtering the pairs after it.
    return Q(**{f"{county}__in": sorted(by_county)}) & span({d for _, d in buckets}) & exact


def _buckets_in(buckets: Buckets) -> Q:
    """The bucket rows of a summary table in `buckets` (its (county, day) index serves it)."""
    if buckets is None:
        return Q()
    q = Q()
    for c, days in sorted(_by_county(buckets).items()):
        q |= Q(county_id=c, day__in=sorted(days))
    return q


def _outcome_select(buckets: Buckets) -> QuerySet:
    """Ended unit steps with a due time, by (county, township, department, day started, unit
    now answerable), the unit as boards._unit: the handling township for a township or service
    report, the department for a department report; none (not counted) otherwise."""
    kind = "report__handler_kind"
    to_town = Q(**{f"{kind}__in": (Report.TOWNSHIP, Report.SERVICE)})
    to_dept = Q(**{kind: Report.DEPARTMENT})
    return (
        Step.objects.filter(
            _rows_in(buckets, "report__county_id", "started_at"),
            (to_town & Q(report__handler_township__isnull=False))
            | (to_dept & Q(report__handler_department__isnull=False)),
            state__in=UNIT_STEPS,
            due_at__isnull=False,
            ended_at__isnull=False,
        )
        .annotate(
            b_county=F("report__county_id"),
            b_township=F("report__township_id"),
            b_department=F("report__handler_department_id"),
            b_day=_local_day("started_at"),
            b_unit_township=Case(When(to_town, then=F("report__handler_township_id")), default=None),
            b_unit_department=Case(When(to_dept, then=F("report__handler_department_id")), default=None),
        )
        .order_by()
        .values("b_county", "b_township", "b_department", "b_day", "b_unit_township", "b_unit_department")
        .annotate(
            b_on_time=Count("id", filter=Q(ended_at__lte=F("due_at"))),
            b_late=Count("id", filter=Q(ended_at__gt=F("due_at"))),
        )
    )


def _end_select(buckets: Buckets) -> QuerySet:
    """Ended steps of reports with a township, by (county, township, day ended): done and late."""
    return (
        Step.objects.filter(
            _rows_in(buckets, "report__county_id", "ended_at"),
            ended_at__isnull=False,
            report__township__isnull=False,
        )
        .annotate(
            b_county=F("report__county_id"), b_township=F("report__township_id"), b_day=_local_day("ended_at")
        )
        .order_by()
        .values("b_county", "b_township", "b_day")
        .annotate(b_done=Count("id"), b_late=Count("id", filter=Q(overdue=True)))
    )


def _routing_select(buckets: Buckets) -> QuerySet:
    """Routed reports with a suggestion that gave a confidence, by (county, township, department,
    day reported): sure and unsure, each with how many kept the suggested item. Unsure: the
    suggestion's needs_review is true (the router writes a boolean); kept: the suggested item,
    or "" when it has none, equals the report's item."""
    sure, unsure, right = Q(b_needs_review=0), Q(b_needs_review=1), Q(b_sug_item=F("b_item"))
    return (
        Report.objects.filter(
            _rows_in(buckets, "county_id", "reported_at"),
            suggestion__has_key="confidence",
        )
        .exclude(status__in=UNROUTED)
        .annotate(
            b_county=F("county_id"),
            b_township=F("township_id"),
            b_department=F("handler_department_id"),
            b_day=_local_day("reported_at"),
            # No item (the key missing or JSON null) reads "" (SQLite's KT gives a JSON null as 'null').
            b_sug_item=Case(
                When(Q(suggestion__item__isnull=True) | Q(suggestion__item=None), then=Value("")),
                default=KT("suggestion__item"),
                output_field=CharField(),
            ),
            b_item=Coalesce(F("item_code"), Value(""), output_field=CharField()),
            # 1 or 0, never NULL (a missing key must count as sure, and NOT NULL is NULL).
            b_needs_review=Case(
                When(suggestion__needs_review=True, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by()
        .values("b_county", "b_township", "b_department", "b_day")
        .annotate(
            b_confident=Count("id", filter=sure),
            b_confident_right=Count("id", filter=sure & right),
            b_unsure=Count("id", filter=unsure),
            b_unsure_right=Count("id", filter=unsure & right),
        )
    )


# Each table: its SELECT and the columns it fills, in the SELECT's aliases.
TABLES = (
    (
        StepOutcomeDay,
        _outcome_select,
        {
            "county_id": "b_county",
            "township_id": "b_township",
            "handler_department_id": "b_department",
            "day": "b_day",
            "unit_township_id": "b_unit_township",
            "unit_department_id": "b_unit_department",
            "on_time": "b_on_time",
            "late": "b_late",
        },
    ),
    (
        StepEndDay,
        _end_select,
        {
            "county_id": "b_county",
            "township_id": "b_township",
            "day": "b_day",
            "done": "b_done",
            "late": "b_late",
        },
    ),
    (
        RoutingDay,
        _routing_select,
        {
            "county_id": "b_county",
            "township_id": "b_township",
            "handler_department_id": "b_department",
            "day": "b_day",
            "confident": "b_confident",
            "confident_right": "b_confident_right",
            "unsure": "b_unsure",
            "unsure_right": "b_unsure_right",
        },
    ),
)


def _insert_select(model, select: QuerySet, columns: dict[str, str]) -> int:
    """INSERT INTO the model's table the rows of `select` (one statement); the rows written."""
    alias = router.db_for_write(model)
    conn = connections[alias]
    sql, params = select.query.get_compiler(using=alias).as_sql()
    qn = conn.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    picks = ", ".join(f"s.{qn(a)}" for a in columns.values())
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) SELECT {picks} FROM ({sql}) s", params)
        return cur.rowcount


def _delete(model, buckets: Buckets) -> None:
    """DELETE the buckets in one statement. Not QuerySet.delete(): with the audit's post_delete
    receiver connected for every model, Django would load and delete the rows one batch of ids at a
    time (minutes at province scale); nothing refers to a bucket row and buckets are not audited."""
    alias = router.db_for_write(model)
    model.objects.using(alias).filter(_buckets_in(buckets))._raw_delete(alias)


def _recompute(outcome: Buckets, end: Buckets, routing: Buckets) -> int:
    """Replace the given buckets of each table (None: every bucket); the number of rows written.
    Call inside a transaction."""
    n = 0
    for (model, select, columns), buckets in zip(TABLES, (outcome, end, routing), strict=True):
        if buckets is not None and not buckets:
            continue
        _delete(model, buckets)
        n += _insert_select(model, select(buckets), columns)
    return n


# Every step of a report starts at or after the earlier of the report's reported_at and
# created_at, less a reporter's clock skew (intake refuses a reported_at more than 10 minutes
# ahead of the server, and every step starts at an action's "now", after intake's); a day of
# margin besides. `_dirty_buckets` reads a changed report's steps from that instant on, so that
# on PostgreSQL only the monthly partitions that can hold them are read.
STEPS_FROM_MARGIN = dt.timedelta(days=1)
CHANGED_CHUNK = 500


def _dirty_buckets(since: dt.datetime) -> tuple[Buckets, Buckets, Buckets]:
    """The (county, local day) buckets of each table that the reports updated since `since` fall
    in: their report days (routing), their steps' start days (outcomes) and end days (done).

    The steps are read for the changed reports in chunks of reports close in time, each bounded
    below by its reports' earliest possible step start: one join of the changed reports with the
    steps let PostgreSQL hash the whole step table (4 s a pass at 10 million reports, every
    month's partition read), where the chunks read a few index entries in a few partitions."""
    changed = list(
        Report.objects.filter(updated_at__gte=since)
        .order_by()
        .annotate(d=_local_day("reported_at"))
        .values_list("id", "county_id", "d", "reported_at", "created_at")
    )
    routing = {(county, day) for _id, county, day, _r, _c in changed}
    county_of = {pk: county for pk, county, _d, _r, _c in changed}
    starts = sorted((min(r, c) - STEPS_FROM_MARGIN, pk) for pk, _county, _d, r, c in changed)
    outcome: set[tuple[int, dt.date]] = set()
    end: set[tuple[int, dt.date]] = set()
    for i in range(0, len(starts), CHANGED_CHUNK):
        chunk = starts[i : i + CHANGED_CHUNK]
        steps = (
            Step.objects.filter(report_id__in=[pk for _s, pk in chunk], started_at__gte=chunk[0][0])
            .order_by()
            .annotate(ds=_local_day("started_at"), de=_local_day("ended_at"))
            .values_list("report_id", "ds", "de")
        )
        for report_id, started, ended in steps:
            outcome.add((county_of[report_id], started))
            if ended is not None:
                end.add((county_of[report_id], ended))
    return outcome, end, routing


def _locked_state(skip_locked: bool) -> SummaryState | None:
    SummaryState.objects.get_or_create(name=NAME)
    return SummaryState.objects.select_for_update(skip_locked=skip_locked).filter(name=NAME).first()


def fold_summaries() -> int | None:
    """Fold the reports changed since the last pass into the summaries: the number of bucket rows
    written, or None when another worker holds the pass. The first pass builds them all.
    The watermark is the clock's (`updated_at` is), never a business "now" given to the worker."""
    now = timezone.now()
    with transaction.atomic():
        st = _locked_state(skip_locked=True)
        if st is None:
            return None
        if st.folded_to is None:
            n = _recompute(None, None, None)
        else:
            n = _recompute(*_dirty_buckets(st.folded_to - MARGIN))
        st.folded_to = st.folded_at = now
        st.save(update_fields=["folded_to", "folded_at"])
    return n


def rebuild_summaries() -> int:
    """Recompute every summary from the rows (an existing database, after a restore or a bulk
    load); waits for a running pass. The number of bucket rows written."""
    now = timezone.now()
    with transaction.atomic():
        st = _locked_state(skip_locked=False)
        n = _recompute(None, None, None)
        st.folded_to = st.folded_at = now
        st.save(update_fields=["folded_to", "folded_at"])
    return n

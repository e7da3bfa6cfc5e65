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

Until the first pass (or rebuild) the pages read the rows as before (`state()` is None).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from zhifa.dispatch.models import Report, RoutingDay, Step, StepEndDay, StepOutcomeDay, SummaryState
from zhifa.rules import dispatch_workflow as wf

NAME = "dispatch"
MARGIN = dt.timedelta(minutes=10)
# The steps a handling unit is answerable for (签收 and 处置, alone or jointly): as the board.
UNIT_STEPS = (wf.ROUTED, wf.HANDLING, wf.JOINT)


def state() -> SummaryState | None:
    """The summaries' state once they have been built, else None (read the rows)."""
    s = SummaryState.objects.filter(name=NAME, folded_at__isnull=False).first()
    return s


def _tz():
    return timezone.get_current_timezone()


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


def _window(field: str, days: set[dt.date] | None) -> Q:
    """Rows whose `field` falls on one of `days` (local), as instant ranges an index can serve."""
    if days is None:
        return Q()
    q = Q()
    for first, last in _runs(days):
        lo, _ = _day_bounds(first)
        _, hi = _day_bounds(last)
        q |= Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
    return q


def _unit(kind: str, township_id: int | None, department_id: int | None) -> tuple[int | None, int | None]:
    """(unit township, unit department) answerable for a report, as boards._unit; (None, None): none."""
    if kind in (Report.TOWNSHIP, Report.SERVICE) and township_id:
        return township_id, None
    if kind == Report.DEPARTMENT and department_id:
        return None, department_id
    return None, None


def _outcome_rows(days: set[dt.date] | None, counties=None) -> list[StepOutcomeDay]:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        Step.objects.filter(
            _window("started_at", days),
            _counties("report__county", counties),
            state__in=UNIT_STEPS,
            due_at__isnull=False,
            ended_at__isnull=False,
        )
        .annotate(day=TruncDate("started_at", tzinfo=_tz()))
        .order_by()
        .values(
            "day",
            "report__county_id",
            "report__township_id",
            "report__handler_department_id",
            "report__handler_kind",
            "report__handler_township_id",
        )
        .annotate(
            on_time=Count("id", filter=Q(ended_at__lte=F("due_at"))),
            late=Count("id", filter=Q(ended_at__gt=F("due_at"))),
        )
    )
    for r in rows:
        ut, ud = _unit(
            r["report__handler_kind"], r["report__handler_township_id"], r["report__handler_department_id"]
        )
        if ut is None and ud is None:
            continue
        key = (
            r["report__county_id"],
            r["report__township_id"],
            r["report__handler_department_id"],
            r["day"],
            ut,
            ud,
        )
        acc[key][0] += r["on_time"]
        acc[key][1] += r["late"]
    return [
        StepOutcomeDay(
            county_id=c,
            township_id=t,
            handler_department_id=hd,
            day=day,
            unit_township_id=ut,
            unit_department_id=ud,
            on_time=n[0],
            late=n[1],
        )
        for (c, t, hd, day, ut, ud), n in acc.items()
    ]


def _end_rows(days: set[dt.date] | None, counties=None) -> list[StepEndDay]:
    rows = (
        Step.objects.filter(
            _window("ended_at", days),
            _counties("report__county", counties),
            ended_at__isnull=False,
            report__township__isnull=False,
        )
        .annotate(day=TruncDate("ended_at", tzinfo=_tz()))
        .order_by()
        .values("day", "report__county_id", "report__township_id")
        .annotate(done=Count("id"), late=Count("id", filter=Q(overdue=True)))
    )
    return [
        StepEndDay(
            county_id=r["report__county_id"],
            township_id=r["report__township_id"],
            day=r["day"],
            done=r["done"],
            late=r["late"],
        )
        for r in rows
    ]


def _routing_rows(days: set[dt.date] | None, counties=None) -> list[RoutingDay]:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = (
        Report.objects.filter(_window("reported_at", days), _counties("county", counties))
        .exclude(status__in=(wf.RECEIVED, wf.MERGED, wf.SPLIT))
        .exclude(suggestion={})
        .order_by()
        .values_list(
            "county_id", "township_id", "handler_department_id", "reported_at", "suggestion", "item_code"
        )
    )
    for county, town, dept, at, sug, item in rows.iterator(chunk_size=5000):
        if not isinstance(sug, dict) or "confidence" not in sug:
            continue  # suggested before the router gave a confidence
        right = int((sug.get("item") or "") == (item or ""))
        n = acc[(county, town, dept, timezone.localtime(at, _tz()).date())]
        if sug.get("needs_review"):
            n[2] += 1
            n[3] += right
        else:
            n[0] += 1
            n[1] += right
    return [
        RoutingDay(
            county_id=c,
            township_id=t,
            handler_department_id=hd,
            day=day,
            confident=n[0],
            confident_right=n[1],
            unsure=n[2],
            unsure_right=n[3],
        )
        for (c, t, hd, day), n in acc.items()
    ]


def _counties(path: str, counties) -> Q:
    return Q() if counties is None else Q(**{f"{path}__in": sorted(counties)})


def _replace(model, days: set[dt.date] | None, rows: list, counties=None) -> None:
    # By (county, day): the buckets' index serves the delete.
    old = model.objects.all() if days is None else model.objects.filter(day__in=sorted(days))
    old = old.filter(_counties("county", counties))
    old.delete()
    model.objects.bulk_create(rows, batch_size=2000)


def _recompute(outcome_days, end_days, routing_days, counties=None) -> int:
    """Replace the buckets of the given days (None: all days) of the given counties (None: all);
    the number of rows written."""
    n = 0
    if outcome_days is None or outcome_days:
        rows = _outcome_rows(outcome_days, counties)
        _replace(StepOutcomeDay, outcome_days, rows, counties)
        n += len(rows)
    if end_days is None or end_days:
        rows = _end_rows(end_days, counties)
        _replace(StepEndDay, end_days, rows, counties)
        n += len(rows)
    if routing_days is None or routing_days:
        rows = _routing_rows(routing_days, counties)
        _replace(RoutingDay, routing_days, rows, counties)
        n += len(rows)
    return n


def _local_day(at: dt.datetime) -> dt.date:
    return timezone.localtime(at, _tz()).date()


def _dirty_days(since: dt.datetime) -> tuple[set[dt.date], set[dt.date], set[dt.date], set[int]]:
    outcome, end, routing, counties = set(), set(), set(), set()
    for county, at in Report.objects.filter(updated_at__gte=since).values_list("county_id", "reported_at"):
        routing.add(_local_day(at))
        counties.add(county)
    for started, ended in Step.objects.filter(report__updated_at__gte=since).values_list(
        "started_at", "ended_at"
    ):
        outcome.add(_local_day(started))
        if ended is not None:
            end.add(_local_day(ended))
    return outcome, end, routing, counties


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
            n = _recompute(*_dirty_days(st.folded_to - MARGIN))
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

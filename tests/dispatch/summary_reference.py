"""The summaries as the previous Python rebuild computed them (before the set-based SQL): every
bucket row of the three tables from a row scan, as multisets. Tests only: the SQL rebuild and the
worker's passes must give exactly these rows."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from zhifa.dispatch.models import Report, RoutingDay, Step, StepEndDay, StepOutcomeDay
from zhifa.dispatch.summaries import UNIT_STEPS
from zhifa.rules import dispatch_workflow as wf


def _tz():
    return timezone.get_current_timezone()


def _unit(kind, township_id, department_id):
    if kind in (Report.TOWNSHIP, Report.SERVICE) and township_id:
        return township_id, None
    if kind == Report.DEPARTMENT and department_id:
        return None, department_id
    return None, None


def outcome_rows() -> Counter:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        Step.objects.filter(state__in=UNIT_STEPS, due_at__isnull=False, ended_at__isnull=False)
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
    return Counter((*k, *n) for k, n in acc.items())


def end_rows() -> Counter:
    rows = (
        Step.objects.filter(ended_at__isnull=False, report__township__isnull=False)
        .annotate(day=TruncDate("ended_at", tzinfo=_tz()))
        .order_by()
        .values("day", "report__county_id", "report__township_id")
        .annotate(done=Count("id"), late=Count("id", filter=Q(overdue=True)))
    )
    return Counter(
        (r["report__county_id"], r["report__township_id"], r["day"], r["done"], r["late"]) for r in rows
    )


def routing_rows() -> Counter:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = (
        Report.objects.exclude(status__in=(wf.RECEIVED, wf.MERGED, wf.SPLIT))
        .exclude(suggestion={})
        .order_by()
        .values_list(
            "county_id", "township_id", "handler_department_id", "reported_at", "suggestion", "item_code"
        )
    )
    for county, town, dept, at, sug, item in rows:
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
    return Counter((*k, *n) for k, n in acc.items())


def reference() -> tuple[Counter, Counter, Counter]:
    """What the previous Python rebuild wrote, table by table (the order of `tables()`)."""
    return outcome_rows(), end_rows(), routing_rows()


def tables() -> tuple[Counter, Counter, Counter]:
    """The three summary tables as they are, as multisets of their rows."""
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

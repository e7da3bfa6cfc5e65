"""Boards (督办问效): on-time rates per township and department, open reports for the map, and
the weekly summary exported to Excel. Read-only; every queryset comes in already scoped.

The ended steps and the routed reports are read from the worker's day buckets
(zhifa.dispatch.summaries) when the queryset given is a plain scope (everything, or one county,
township or department: what `restrict` gives) and the buckets have been built; the open steps,
which depend on "now", are counted from the open rows. Otherwise, and as the reference the tests
compare with, the rows themselves are read (`_on_time_rates_reference`, `_routing_quality_reference`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from zhifa.dispatch import summaries
from zhifa.dispatch.models import Report, RoutingDay, Step, StepOutcomeDay, Transition, WhistleCall
from zhifa.rules import dispatch_workflow as wf

# The steps a handling unit is answerable for (签收 and 处置, alone or jointly).
UNIT_STEPS = (wf.ROUTED, wf.HANDLING, wf.JOINT)


@dataclass
class Rate:
    key: str
    label: str
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    pending: int = 0

    @property
    def judged(self) -> int:
        return self.on_time + self.late + self.open_overdue

    @property
    def rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{100 * self.rate:.1f}%"


@dataclass
class Board:
    start: dt.date
    end: dt.date  # exclusive
    townships: list[Rate] = field(default_factory=list)
    departments: list[Rate] = field(default_factory=list)
    # When the ended steps were last folded into the summaries; None: read from the rows just now.
    as_of: dt.datetime | None = None


def _unit(report: Report) -> tuple[str, str, str]:
    """(group, key, label) of the unit currently answerable for `report`."""
    if report.handler_kind in (Report.TOWNSHIP, Report.SERVICE) and report.handler_township_id:
        t = report.handler_township
        return "township", t.code, t.name
    if report.handler_kind == Report.DEPARTMENT and report.handler_department_id:
        d = report.handler_department
        return "department", d.code, d.name
    return "none", "", "未分拨"


_STEP_PATHS = {
    "report__county": "county",
    "report__township": "township",
    "report__handler_department": "handler_department",
}
_REPORT_PATHS = {"county": "county", "township": "township", "handler_department": "handler_department"}


def plain_scope(qs: QuerySet, paths: dict[str, str]) -> Q | None:
    """The filter on a summary table that keeps what `qs` keeps, when `qs` is provably a plain
    scope: the model's whole table, or one equality on one of `paths` (what `restrict` gives a
    county, township or department role). Proven by comparing the SQL and its parameters with the
    plain queryset built for each candidate; anything else (None) is read from the rows."""
    base = qs.model._default_manager.all()
    try:
        target = qs.query.sql_with_params()
    except EmptyResultSet:
        return Q(pk__in=[])
    if base.query.sql_with_params() == target:
        return Q()
    for value in dict.fromkeys(v for v in target[1] if isinstance(v, int) and not isinstance(v, bool)):
        for path, column in paths.items():
            if base.filter(**{path: value}).query.sql_with_params() == target:
                return Q(**{column: value})
    return None


def on_time_rates(steps: QuerySet[Step], start: dt.date, end: dt.date, now: dt.datetime) -> Board:
    """On time: a unit step that ended by its due time. Late: ended after it, or still open past it."""
    state = summaries.state()
    scope = plain_scope(steps, _STEP_PATHS) if state is not None else None
    if scope is None:
        return _on_time_rates_reference(steps, start, end, now)
    groups: dict[str, dict[str, Rate]] = {"township": {}, "department": {}}
    ended = (
        StepOutcomeDay.objects.filter(scope, day__gte=start, day__lt=end)
        .order_by()
        .values(
            "unit_township__code",
            "unit_township__name",
            "unit_department__code",
            "unit_department__name",
        )
        .annotate(on_time=Sum("on_time"), late=Sum("late"))
    )
    for row in ended:
        if row["unit_township__code"] is not None:
            group, key, label = "township", row["unit_township__code"], row["unit_township__name"]
        else:
            group, key, label = "department", row["unit_department__code"], row["unit_department__name"]
        r = groups[group].setdefault(key, Rate(key, label))
        r.on_time += row["on_time"]
        r.late += row["late"]
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    open_rows = (
        steps.filter(
            state__in=UNIT_STEPS,
            started_at__gte=lo,
            started_at__lt=hi,
            due_at__isnull=False,
            ended_at__isnull=True,
        )
        .select_related("report__handler_township", "report__handler_department")
        .only(*_STEP_FIELDS)
    )
    for st in open_rows:
        group, key, label = _unit(st.report)
        if group not in groups:
            continue
        r = groups[group].setdefault(key, Rate(key, label))
        if now > st.due_at:
            r.open_overdue += 1
        else:
            r.pending += 1
    return Board(
        start,
        end,
        sorted(groups["township"].values(), key=lambda r: r.key),
        sorted(groups["department"].values(), key=lambda r: r.key),
        as_of=state.folded_at,
    )


_STEP_FIELDS = (
    "due_at",
    "ended_at",
    "report__handler_kind",
    "report__handler_township__code",
    "report__handler_township__name",
    "report__handler_department__code",
    "report__handler_department__name",
)


def _on_time_rates_reference(steps: QuerySet[Step], start: dt.date, end: dt.date, now: dt.datetime) -> Board:
    """The board read from the steps themselves (the reference of the summaries)."""
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    rows = (
        steps.filter(state__in=UNIT_STEPS, started_at__gte=lo, started_at__lt=hi, due_at__isnull=False)
        .select_related("report__handler_township", "report__handler_department")
        .only(*_STEP_FIELDS)
    )
    groups: dict[str, dict[str, Rate]] = {"township": {}, "department": {}}
    for st in rows:
        group, key, label = _unit(st.report)
        if group not in groups:
            continue
        r = groups[group].setdefault(key, Rate(key, label))
        if st.ended_at is not None:
            if st.ended_at <= st.due_at:
                r.on_time += 1
            else:
                r.late += 1
        elif now > st.due_at:
            r.open_overdue += 1
        else:
            r.pending += 1
    return Board(
        start,
        end,
        sorted(groups["township"].values(), key=lambda r: r.key),
        sorted(groups["department"].values(), key=lambda r: r.key),
    )


@dataclass
class RoutingQuality:
    """How the router's suggestions fared with the dispatchers over a period."""

    routed: int = 0  # reports routed by a dispatcher that had a suggestion
    confident: int = 0  # … of which the router was sure (not sent to 待人工确认)
    confident_right: int = 0  # … and the dispatcher kept its first item
    unsure: int = 0
    unsure_right: int = 0
    waiting: int = 0  # still in 待人工确认

    @staticmethod
    def _pct(a: int, b: int) -> str:
        return f"{100 * a / b:.1f}%" if b else "—"

    @property
    def confident_share(self) -> str:
        return self._pct(self.confident, self.routed)

    @property
    def confident_accuracy(self) -> str:
        return self._pct(self.confident_right, self.confident)

    @property
    def unsure_accuracy(self) -> str:
        return self._pct(self.unsure_right, self.unsure)


def routing_quality(reports: QuerySet[Report], start: dt.date, end: dt.date) -> RoutingQuality:
    """Among reports taken in from `start` to before `end` and routed by a dispatcher: how many
    suggestions were confident and how often the dispatcher kept them (right = same first item, or
    both "not enforcement"). The reports still waiting are counted from the rows (few, indexed)."""
    state = summaries.state()
    scope = plain_scope(reports, _REPORT_PATHS) if state is not None else None
    if scope is None:
        return _routing_quality_reference(reports, start, end)
    q = RoutingQuality()
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    q.waiting = reports.filter(
        reported_at__gte=lo, reported_at__lt=hi, needs_review=True, status=wf.RECEIVED
    ).count()
    sums = RoutingDay.objects.filter(scope, day__gte=start, day__lt=end).aggregate(
        confident=Sum("confident"),
        confident_right=Sum("confident_right"),
        unsure=Sum("unsure"),
        unsure_right=Sum("unsure_right"),
    )
    q.confident = sums["confident"] or 0
    q.confident_right = sums["confident_right"] or 0
    q.unsure = sums["unsure"] or 0
    q.unsure_right = sums["unsure_right"] or 0
    q.routed = q.confident + q.unsure
    return q


def _routing_quality_reference(reports: QuerySet[Report], start: dt.date, end: dt.date) -> RoutingQuality:
    """Routing quality read from the reports themselves (the reference of the summaries)."""
    q = RoutingQuality()
    # Local days as a range of instants, so the (county, reported_at) index serves the window.
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    window = reports.filter(reported_at__gte=lo, reported_at__lt=hi)
    q.waiting = window.filter(needs_review=True, status=wf.RECEIVED).count()
    rows = (
        window.exclude(status__in=(wf.RECEIVED, wf.MERGED, wf.SPLIT))
        .exclude(suggestion={})
        .values_list("suggestion", "item_code")
    )
    for sug, item in rows.iterator():
        if not isinstance(sug, dict) or "confidence" not in sug:
            continue  # suggested before the router gave a confidence
        right = (sug.get("item") or "") == (item or "")
        q.routed += 1
        if sug.get("needs_review"):
            q.unsure += 1
            q.unsure_right += right
        else:
            q.confident += 1
            q.confident_right += right
    return q


def open_points(reports: QuerySet[Report], now: dt.datetime, limit: int = 2000) -> list[dict]:
    """Open reports as plain data for the map (no reporter, ever)."""
    out = []
    qs = reports.filter(status__in=wf.OPEN_STATES | {wf.HELD}).only(
        "id", "tracking_code", "text", "status", "wgs_lon", "wgs_lat", "step_due_at"
    )
    for r in qs.order_by("-created_at")[:limit]:
        out.append(
            {
                "id": r.pk,
                "code": r.tracking_code,
                "text": r.text[:60],
                "status": r.status_label,
                "overdue": r.status in wf.OPEN_STATES and wf.is_overdue(r.step_due_at, now),
                "lon": r.wgs_lon,
                "lat": r.wgs_lat,
            }
        )
    return out


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=7)


def weekly_workbook(user, reports: QuerySet[Report], start: dt.date, now: dt.datetime) -> bytes:
    """The weekly summary (周报) as an Excel workbook: summary, rates, and the week's reports."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    start, end = week_of(start)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    hi = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    week = list(
        reports.filter(reported_at__gte=lo, reported_at__lt=hi)
        .select_related("township", "handler_township", "handler_department")
        .order_by("reported_at", "id")
    )
    closed = reports.filter(closed_at__gte=lo, closed_at__lt=hi).count()
    urges = Transition.objects.filter(report__in=reports, action=wf.URGE, at__gte=lo, at__lt=hi).count()
    absent = WhistleCall.objects.restrict(user).filter(
        status=WhistleCall.ABSENT, whistle__respond_by__gte=lo, whistle__respond_by__lt=hi
    )
    board = on_time_rates(Step.objects.filter(report__in=reports), start, end, now)

    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"事件调度周报（{start:%Y-%m-%d}至{end - dt.timedelta(days=1):%Y-%m-%d}）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    ws.append(["上报事件", len(week)])
    ws.append(["本周办结", closed])
    ws.append(["疑似重复", sum(1 for r in week if r.duplicate_of_id)])
    ws.append(["督办次数", urges])
    ws.append(["部门未报到", absent.count()])
    ws.append([])
    ws.append(["按渠道", "件数"])
    ws.cell(ws.max_row, 1).font = bold
    labels = dict(Report.CHANNEL_CHOICES)
    for ch, n in sorted(Counter(r.channel for r in week).items()):
        ws.append([labels.get(ch, ch), n])
    ws.append([])
    ws.append(["按当前状态", "件数"])
    ws.cell(ws.max_row, 1).font = bold
    for st, n in sorted(Counter(r.status for r in week).items()):
        ws.append([wf.STATE_LABELS.get(st, st), n])
    ws.column_dimensions["A"].width = 30

    for title, rows in (("乡镇按时率", board.townships), ("部门按时率", board.departments)):
        sh = wb.create_sheet(title)
        sh.append(["单位", "按时", "超时办结", "超期未办", "未到期", "按时率"])
        for c in sh[1]:
            c.font = bold
        for r in rows:
            sh.append([r.label, r.on_time, r.late, r.open_overdue, r.pending, r.rate])
            if r.rate is not None:
                sh.cell(sh.max_row, 6).number_format = "0.0%"
        sh.column_dimensions["A"].width = 28

    sh = wb.create_sheet("事件明细")
    sh.append(
        ["查询码", "上报时间", "渠道", "乡镇（街道）", "事件描述", "执法事项", "承办单位", "状态", "督办次数"]
    )
    for c in sh[1]:
        c.font = bold
    for r in week:
        sh.append(
            [
                r.tracking_code,
                timezone.localtime(r.reported_at).replace(tzinfo=None),
                r.get_channel_display(),
                r.township.name if r.township else "",
                r.text,
                r.item_code,
                r.handler_label,
                r.status_label,
                r.urge_count,
            ]
        )
        sh.cell(sh.max_row, 2).number_format = "yyyy-mm-dd hh:mm"
    for col, width in zip("ABCDEFGHI", (16, 18, 10, 14, 60, 10, 30, 14, 8), strict=True):
        sh.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

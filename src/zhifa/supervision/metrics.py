"""Supervision metrics (考核指标) per township: activity, on-time handling, empowered-item usage,
review pass rate, letter adoption, inspections and rectification orders; with an Excel export.

Each metric is one aggregate query over all the townships the user may see; the catalogue in
force is read for all of them in two queries. The steps done (a year of them) are read from the
worker's day buckets (`StepEndDay`, zhifa.dispatch.summaries) once they are built, else from
the steps (`_steps_done_reference`, also the tests' reference); `Row.as_of` says when they were
last folded.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from zhifa.org.models import Township
from zhifa.rules import scoring
from zhifa.supervision.models import InspectionVisit, Letter, ReviewSheet

ACTIVITY_TARGET = Decimal("0.9")


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def months_back(last: dt.date, n: int) -> list[dt.date]:
    out = [month_start(last)]
    while len(out) < n:
        prev = out[-1] - dt.timedelta(days=1)
        out.append(prev.replace(day=1))
    return list(reversed(out))


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _ratio(num: int, den: int) -> Decimal | None:
    return (Decimal(num) / den).quantize(Decimal("0.001")) if den else None


@dataclass
class Row:
    township: Township
    officers: int = 0
    active: int = 0
    steps_done: int = 0
    steps_on_time: int = 0
    empowered_held: int = 0
    empowered_used: int = 0
    empowered_cases: int = 0
    sheets_scored: int = 0
    sheets_passed: int = 0
    letters_assessed: int = 0
    letters_adopted: int = 0
    inspections: int = 0
    rectification_orders: int = 0
    unused_items: list[str] = field(default_factory=list)
    # When the steps done were last folded into the summaries; None: read from the rows just now.
    as_of: dt.datetime | None = None

    @property
    def activity_rate(self) -> Decimal | None:
        return _ratio(self.active, self.officers)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _ratio(self.steps_on_time, self.steps_done)

    @property
    def usage_rate(self) -> Decimal | None:
        return _ratio(self.empowered_used, self.empowered_held)

    @property
    def pass_rate(self) -> Decimal | None:
        return _ratio(self.sheets_passed, self.sheets_scored)

    @property
    def adoption_rate(self) -> Decimal | None:
        return _ratio(self.letters_adopted, self.letters_assessed)


def _active_officers(townships: list[Township], first: dt.date, last: dt.date) -> dict[int, tuple[int, int]]:
    """Township id → (certified officers, officers who acted on a case or an inspection)."""
    from zhifa.cases.models import CaseEvent, CaseOfficer, Officer

    team: dict[int, set[int]] = defaultdict(set)
    for o in Officer.objects.filter(township__in=townships, active=True).exclude(kind=Officer.AUXILIARY):
        if o.cert_valid_on(first) or o.cert_valid_on(last):
            team[o.township_id].add(o.user_id)
    acted: dict[int, set[int]] = defaultdict(set)
    events = CaseEvent.objects.filter(
        case__township__in=townships, case__imported=False, date__range=(first, last)
    )
    for tid, uid in events.exclude(recorded_by=None).values_list("case__township_id", "recorded_by_id"):
        acted[tid].add(uid)
    keys: dict[int, set[str]] = defaultdict(set)
    for case_id, actors in events.exclude(actors=None).values_list("case_id", "actors"):
        keys[case_id].update(actors or ())
    if keys:
        for tid, uid, case_id, key in (
            CaseOfficer.objects.filter(case_id__in=keys)
            .exclude(user=None)
            .values_list("case__township_id", "user_id", "case_id", "key")
        ):
            if key in keys[case_id]:
                acted[tid].add(uid)
    for tid, uid in InspectionVisit.officers.through.objects.filter(
        inspectionvisit__township__in=townships, inspectionvisit__visited_on__range=(first, last)
    ).values_list("inspectionvisit__township_id", "user_id"):
        acted[tid].add(uid)
    return {t.pk: (len(team[t.pk]), len(team[t.pk] & acted[t.pk])) for t in townships}


def activity_trend(townships: list[Township], last_month: dt.date, months: int = 6) -> list[dict]:
    out = []
    for first in months_back(last_month, months):
        counts = _active_officers(townships, first, _month_end(first))
        officers = sum(c[0] for c in counts.values())
        active = sum(c[1] for c in counts.values())
        out.append({"month": first, "officers": officers, "active": active, "rate": _ratio(active, officers)})
    return out


def visible_townships(user) -> list[Township]:
    """Townships whose metrics the user may see: township staff only their own."""
    qs = Township.objects.restrict(user).order_by("code")
    if user.township_id and not user.is_superuser:
        qs = qs.filter(pk=user.township_id)
    return list(qs)


def _steps_done(townships: list[Township], start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """Township id → (steps ended from `start` to `end` inclusive, of which late), from the buckets."""
    from zhifa.dispatch.models import StepEndDay

    out = (
        StepEndDay.objects.filter(township__in=townships, day__range=(start, end))
        .order_by()
        .values_list("township_id")
        .annotate(done=Sum("done"), late=Sum("late"))
    )
    return {tid: (done, late) for tid, done, late in out}


def _steps_done_reference(
    townships: list[Township], start: dt.date, end: dt.date
) -> dict[int, tuple[int, int]]:
    """The same read from the steps themselves (a year of them: a scan)."""
    from zhifa.dispatch.models import Step

    out = (
        Step.objects.filter(report__township__in=townships, ended_at__date__range=(start, end))
        .values("report__township_id")
        .annotate(done=Count("id"), late=Count("id", filter=Q(overdue=True)))
    )
    return {s["report__township_id"]: (s["done"], s["late"]) for s in out}


def board(user, year: int, month: dt.date) -> list[Row]:
    """One row per township the user may see, for `year` (and `month` for the activity rate)."""
    from zhifa.cases.models import Case, CaseEvent
    from zhifa.catalogue.models import EMPOWERED, Entry
    from zhifa.catalogue.services import versions_in_force
    from zhifa.dispatch import summaries

    townships = visible_townships(user)
    rows = {t.pk: Row(t) for t in townships}
    first, last = month_start(month), _month_end(month_start(month))
    for tid, (officers, active) in _active_officers(townships, first, last).items():
        rows[tid].officers, rows[tid].active = officers, active

    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    state = summaries.state()
    if state is None:
        steps = _steps_done_reference(townships, start, end)
    else:
        steps = _steps_done(townships, start, end)
    for tid, (done, late) in steps.items():
        row = rows[tid]
        row.steps_done, row.steps_on_time = done, done - late
    if state is not None:
        for row in rows.values():
            row.as_of = state.folded_at

    used = Counter(
        Case.objects.filter(
            township__in=townships, imported=False, created_at__date__range=(start, end)
        ).values_list("township_id", "item_code")
    )
    versions = versions_in_force(townships, min(end, dt.date.today()))
    empowered = defaultdict(list)
    for version_id, code in Entry.objects.filter(
        version__in=list(versions.values()), source=EMPOWERED
    ).values_list("version_id", "code"):
        empowered[version_id].append(code)
    for t in townships:
        version = versions.get(t.pk)
        if version is None:
            continue
        held = empowered[version.pk]
        row = rows[t.pk]
        row.empowered_held = len(held)
        row.empowered_used = sum(1 for c in held if used[(t.pk, c)])
        row.empowered_cases = sum(used[(t.pk, c)] for c in held)
        row.unused_items = sorted(c for c in held if not used[(t.pk, c)])

    for tid, total in ReviewSheet.objects.filter(
        township__in=townships, status=ReviewSheet.SCORED, scored_on__range=(start, end)
    ).values_list("township_id", "total"):
        rows[tid].sheets_scored += 1
        rows[tid].sheets_passed += int(total >= scoring.PASS_MARK)

    for tid, status in Letter.objects.filter(
        township__in=townships,
        issued_on__range=(start, end),
        status__in=(Letter.ADOPTED, Letter.PARTLY, Letter.REJECTED),
    ).values_list("township_id", "status"):
        rows[tid].letters_assessed += 1
        rows[tid].letters_adopted += int(status in (Letter.ADOPTED, Letter.PARTLY))

    for tid, n in (
        InspectionVisit.objects.filter(township__in=townships, visited_on__range=(start, end))
        .values_list("township_id")
        .annotate(n=Count("id"))
    ):
        rows[tid].inspections += n
    for tid, etype, n in (
        CaseEvent.objects.filter(
            case__township__in=townships,
            date__range=(start, end),
            type__in=("inspected", "rectification_ordered"),
        )
        .values_list("case__township_id", "type")
        .annotate(n=Count("id"))
    ):
        if etype == "inspected":
            rows[tid].inspections += n
        else:
            rows[tid].rectification_orders += n
    return [rows[t.pk] for t in townships]


def _pct(v: Decimal | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


HEADERS = [
    "乡镇（街道）",
    "执法人员数",
    "当月活跃人数",
    "执法人员活跃率",
    "办结环节数",
    "按时办结率",
    "持有赋权事项",
    "已使用赋权事项",
    "赋权事项使用率",
    "赋权事项办案数",
    "评查案卷数",
    "评查合格率",
    "已评定监督文书",
    "采纳率",
    "行政检查次数",
    "责令改正次数",
]


def table(rows: list[Row]) -> list[list]:
    return [
        [
            r.township.name,
            r.officers,
            r.active,
            _pct(r.activity_rate),
            r.steps_done,
            _pct(r.on_time_rate),
            r.empowered_held,
            r.empowered_used,
            _pct(r.usage_rate),
            r.empowered_cases,
            r.sheets_scored,
            _pct(r.pass_rate),
            r.letters_assessed,
            _pct(r.adoption_rate),
            r.inspections,
            r.rectification_orders,
        ]
        for r in rows
    ]


def export_xlsx(rows: list[Row], trend: list[dict], year: int, month: dt.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "考核指标"
    ws.append([f"{year}年执法监督指标（活跃率为{month:%Y年%m月}）"])
    ws["A1"].font = Font(bold=True)
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for r in table(rows):
        ws.append(r)
    ws.column_dimensions["A"].width = 16
    tr = wb.create_sheet("活跃率走势")
    tr.append(["月份", "执法人员数", "活跃人数", "活跃率"])
    for m in trend:
        tr.append([f"{m['month']:%Y-%m}", m["officers"], m["active"], _pct(m["rate"])])
    unused = wb.create_sheet("未使用的赋权事项")
    unused.append(["乡镇（街道）", "事项编码"])
    for r in rows:
        for code in r.unused_items:
            unused.append([r.township.name, code])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

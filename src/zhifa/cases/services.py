"""Cases as exchange dicts, case-file import/export, live review findings, deadlines, team metrics.

`to_casefile(case)` is the one bridge between the stored case and the pure rules: the review
(`zhifa.rules.review`), the deadlines (`zhifa.rules.deadlines`) and the documents all read the
dict it returns, which is exactly the `zhifa.casefile/1` shape (FORMAT.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from zhifa.cases.models import Case, CaseEvent, CaseOfficer, Officer
from zhifa.core import audit
from zhifa.core.calendar import work_calendar
from zhifa.documents.services import DECISION_DOCUMENT
from zhifa.org.models import Township
from zhifa.rules import casefile as cf
from zhifa.rules.deadlines import upcoming_deadlines
from zhifa.rules.review import review_case
from zhifa.rules.workdays import CalendarGapError

# A deadline this many working days away or nearer is stored as a warning finding on the case.
WARN_WORKDAYS = 3


def _iso(d: Any) -> Any:
    return d.isoformat() if isinstance(d, dt.date) else d


# ---- case -> exchange dict ------------------------------------------------------------------


def event_dict(ev: CaseEvent) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ev.type, "date": ev.date.isoformat()}
    if cf.EVENTS[ev.type][0]:
        out["actors"] = list(ev.actors or [])
    out.update(ev.payload or {})
    return out


def to_casefile(case: Case, as_of: dt.date | None = None) -> dict[str, Any]:
    """The case in the exchange format `zhifa.casefile/1` (a plain dict, keys in FORMAT.md order).

    `as_of` defaults to the date stored with an imported file, else today; it is never earlier
    than the last event.
    """
    events = [e for e in case.events.all() if e.type in cf.EVENTS]
    events.sort(key=lambda e: e.seq)
    day = as_of or case.as_of or timezone.localdate()
    if events:
        day = max(day, max(e.date for e in events))
    out: dict[str, Any] = {
        "schema": cf.SCHEMA,
        "case_id": case.number,
        "township": case.township.code,
        "item": case.item_code,
    }
    if case.item_name is not None:
        out["item_name"] = case.item_name
    out["procedure"] = case.procedure
    if case.summary is not None:
        out["summary"] = case.summary
    out["as_of"] = day.isoformat()
    out["authority"] = case.authority
    out["party"] = case.party
    out["violation"] = case.violation
    out["officers"] = [
        {"id": o.key, "name": o.name, "cert_no": o.cert_no, "cert_valid_to": _iso(o.cert_valid_to)}
        for o in sorted(case.officers.all(), key=lambda o: o.position)
    ]
    out["roles"] = {"handler": case.handler, "legal_reviewer": case.legal_reviewer, "decider": case.decider}
    out["events"] = [event_dict(e) for e in events]
    out["decision"] = decision_with_document_no(case)
    return cf.canonical(out)


def decision_with_document_no(case: Case) -> dict[str, Any] | None:
    """The decision with the 文号 it is known by.

    A decision numbered from the documents counter already carries its document's number; an
    imported case keeps its file's. Only a decision recorded before decisions were numbered that
    way (a provisional “…综执罚决〔2026〕N号”) takes the number of its live generated document."""
    from zhifa.documents.services import counter_number

    dec = case.decision
    docs = getattr(case, "documents", None)
    if not dec or case.imported or docs is None or dec.get("kind") not in DECISION_DOCUMENT:
        return dec
    if counter_number(dec.get("doc_no", "")) is not None:
        return dec
    no = (
        docs.filter(kind=DECISION_DOCUMENT[dec["kind"]], voided_at__isnull=True)
        .order_by("-generated_at", "-id")
        .values_list("doc_no", flat=True)
        .first()
    )
    return {**dec, "doc_no": no} if no else dec


# ---- exchange dict -> case ------------------------------------------------------------------


class ImportError_(ValueError):
    """An import failed; `errors` lists every problem (Chinese, with line numbers)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def _build(obj: dict[str, Any], township: Township) -> tuple[Case, list[CaseOfficer], list[CaseEvent]]:
    case = Case(
        number=obj["case_id"],
        township=township,
        item_code=obj["item"],
        item_name=obj.get("item_name"),
        procedure=obj["procedure"],
        summary=obj.get("summary"),
        party=obj["party"],
        violation=obj["violation"],
        authority=obj["authority"],
        decision=obj["decision"],
        handler=obj["roles"]["handler"],
        legal_reviewer=obj["roles"]["legal_reviewer"],
        decider=obj["roles"]["decider"],
        as_of=cf.parse_date(obj["as_of"]),
        imported=True,
        status=_status_of([e["type"] for e in obj["events"]], obj["decision"]),
    )
    officers = [
        CaseOfficer(
            key=o["id"],
            name=o["name"],
            cert_no=o["cert_no"],
            cert_valid_to=cf.parse_date(o["cert_valid_to"]) if o["cert_valid_to"] else None,
            position=i,
        )
        for i, o in enumerate(obj["officers"])
    ]
    events = []
    for i, e in enumerate(obj["events"]):
        payload = {k: v for k, v in e.items() if k not in ("type", "date", "actors")}
        events.append(
            CaseEvent(
                seq=i + 1,
                type=e["type"],
                date=cf.parse_date(e["date"]),
                actors=e.get("actors"),
                payload=payload,
            )
        )
    return case, officers, events


def _status_of(types: Iterable[str], decision: dict | None) -> str:
    types = set(types)
    if "closed" in types:
        return Case.CLOSED
    if types & {"seizure_started", "demolition_notice", "reminder_served", "court_application"}:
        return Case.ENFORCING
    if "decided" in types:
        return Case.DECIDED
    if "filed" in types:
        return Case.FILED
    return Case.OPEN


def from_casefile(obj: dict[str, Any], lineno: int = 1) -> Case:
    """Store one validated exchange dict as a case (one transaction); raises `ImportError_`."""
    cases = _import([(lineno, obj)])
    return cases[0]


def import_casefiles(text: str, townships: set[str] | None = None) -> list[Case]:
    """Import a whole `.jsonl` text: every line is checked first (format, township known — and
    among `townships` when given —, case number not yet used); any error and nothing is
    written. Raises `ImportError_`."""
    try:
        objs = cf.parse_text(text)
    except cf.CaseFileError as exc:
        raise ImportError_(exc.errors) from None
    return _import(list(enumerate(objs, 1)), townships)


def _import(numbered: list[tuple[int, dict]], allowed: set[str] | None = None) -> list[Case]:
    errors: list[str] = []
    for lineno, obj in numbered:
        errors.extend(
            f"第{lineno}行 {p}：{m}" if p else f"第{lineno}行：{m}" for p, m in cf.validate_case(obj)
        )
    if errors:
        raise ImportError_(errors)
    townships = {t.code: t for t in Township.objects.filter(code__in={o["township"] for _n, o in numbered})}
    existing = set(
        Case.objects.filter(number__in=[o["case_id"] for _n, o in numbered]).values_list("number", flat=True)
    )
    for lineno, obj in numbered:
        if obj["township"] not in townships or (allowed is not None and obj["township"] not in allowed):
            errors.append(f"第{lineno}行 township：乡镇（街道）代码“{obj['township']}”在本系统中不存在")
        if obj["case_id"] in existing:
            errors.append(f"第{lineno}行 case_id：案件编号“{obj['case_id']}”已存在，不能重复导入")
    if errors:
        raise ImportError_(errors)
    cal = work_calendar()
    now = timezone.now()
    made: list[Case] = []
    rows: list = []
    with transaction.atomic(), audit.suppressed():
        for _lineno, obj in numbered:
            case, officers, events = _build(obj, townships[obj["township"]])
            case.findings = _findings(obj, cal, cf.parse_date(obj["as_of"]))
            case.findings_at = now
            case.save()
            for o in officers:
                o.case = case
            for e in events:
                e.case = case
            CaseOfficer.objects.bulk_create(officers)
            CaseEvent.objects.bulk_create(events)
            made.append(case)
            rows += [case, *officers, *events]
        # Full images, so that `zhifa audit verify` can compare every imported row with its entry.
        audit.record_many(
            audit.Change(
                "import",
                r._meta.label,
                str(r.pk),
                str(r)[:200],
                None,
                audit.snapshot(r),
                "导入",
                county_id=audit.county_of(r),
            )
            for r in rows
        )
    return made


def export_casefiles(cases: Iterable[Case], *, compact: bool = False) -> str:
    return cf.dump_lines((to_casefile(c) for c in cases), compact=compact)


def with_related(qs):
    return qs.select_related("township").prefetch_related("officers", "events")


# ---- live review -------------------------------------------------------------------------------


def _findings(obj: dict, cal, today: dt.date, context: dict | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{**f.as_dict(), "kind": "finding"} for f in review_case(obj, cal, context)]
    fired = {f["rule"] for f in out}
    for code, label, due, article in upcoming_deadlines(obj, today, cal):
        if code in fired:
            continue
        if due is None or label.startswith("最早"):
            continue
        try:
            near = due <= cal.add_workdays(today, WARN_WORKDAYS)
        except CalendarGapError:
            near = False
        if near:
            out.append(
                {
                    "case_id": obj["case_id"],
                    "rule": code,
                    "severity": "warning",
                    "message": f"{label}将于{due.isoformat()}届满，请及时办理（{article}）。",
                    "kind": "deadline",
                    "due": due.isoformat(),
                }
            )
    return out


def rule_context(case: Case) -> dict[str, Any]:
    """The facts the review rules need that the exchange format has no field for
    (`zhifa.rules.review.gate`): the item's benchmark and statutory fine range from the
    catalogue, and (live cases) the leaders among the people named in the case."""
    from zhifa.catalogue.models import DiscretionTier, Item

    ctx: dict[str, Any] = {}
    item = Item.objects.filter(county_id=case.township.county_id, code=case.item_code).first()
    if item is not None:
        ctx["has_benchmark"] = DiscretionTier.objects.filter(
            item=item, fine_min__isnull=False, fine_max__isnull=False
        ).exists()
        if item.fine_statutory_max is not None:
            ctx["statutory_fine"] = {"min": item.fine_statutory_min, "max": item.fine_statutory_max}
    if not case.imported:
        ctx["leaders"] = {
            o.key
            for o in case.officers.select_related("user")
            if o.user is not None and o.user.can("cases.decide")
        }
    return ctx


def refresh_findings(case: Case, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Review the case as of today (or its export date) and store the findings on it."""
    today = today or timezone.localdate()
    obj = to_casefile(case, as_of=case.as_of or today)
    case.findings = _findings(obj, work_calendar(), cf.parse_date(obj["as_of"]), rule_context(case))
    case.findings_at = timezone.now()
    case.save(update_fields=["findings", "findings_at"])
    return case.findings


@dataclass
class Deadline:
    case: Case
    rule: str
    label: str
    due: dt.date | None
    article: str
    # due within WARN_WORKDAYS working days (我的期限 warns ahead); never for "最早" dates
    near: bool = False

    @property
    def earliest(self) -> bool:
        return self.label.startswith("最早")


def case_deadlines(case: Case, today: dt.date | None = None) -> list[Deadline]:
    if case.status in (Case.CLOSED, Case.TRANSFERRED) or case.imported:
        return []
    today = today or timezone.localdate()
    obj = to_casefile(case, as_of=today)
    cal = work_calendar()
    try:
        horizon = cal.add_workdays(today, WARN_WORKDAYS)
    except CalendarGapError:
        horizon = today + dt.timedelta(days=WARN_WORKDAYS)
    out = []
    for d in upcoming_deadlines(obj, cf.parse_date(obj["as_of"]), cal):
        dl = Deadline(case, *d)
        dl.near = dl.due is not None and not dl.earliest and dl.due <= horizon
        out.append(dl)
    return out


def my_deadlines(user, today: dt.date | None = None) -> list[Deadline]:
    """Coming deadlines of the open cases the user is named in (all of the township's for a decider)."""
    qs = (
        Case.objects.restrict(user).filter(imported=False).exclude(status__in=[Case.CLOSED, Case.TRANSFERRED])
    )
    if not user.can("cases.decide"):
        qs = qs.filter(Q(officers__user=user) | Q(handler=user.username)).distinct()
    out: list[Deadline] = []
    for case in with_related(qs):
        out.extend(case_deadlines(case, today))
    out.sort(key=lambda d: (d.due is None, d.due or dt.date.max))
    return out


# ---- the team --------------------------------------------------------------------------------


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def active_user_ids(township: Township, month: dt.date) -> set[int]:
    """Accounts that acted on a case in the month: named as actor of an event or recorded one."""
    first, last = _month_bounds(month)
    evs = CaseEvent.objects.filter(case__township=township, case__imported=False, date__range=(first, last))
    ids = set(evs.exclude(recorded_by=None).values_list("recorded_by_id", flat=True))
    keys: set[str] = set()
    for actors in evs.exclude(actors=None).values_list("actors", flat=True):
        keys.update(actors or ())
    if keys:
        ids |= set(
            CaseOfficer.objects.filter(case__township=township, key__in=keys)
            .exclude(user=None)
            .values_list("user_id", flat=True)
        )
    return ids


def activity_rate(township: Township, month: dt.date) -> dict[str, Any]:
    """执法人员活跃率: share of the team's certified officers who acted on a case in the month."""
    first, last = _month_bounds(month)
    team = Officer.objects.filter(township=township, active=True).exclude(kind=Officer.AUXILIARY)
    team = [o for o in team.select_related("user") if o.cert_valid_on(first) or o.cert_valid_on(last)]
    active = active_user_ids(township, month)
    acted = [o for o in team if o.user_id in active]
    rate = Decimal(len(acted)) / len(team) if team else Decimal(0)
    return {
        "month": first,
        "officers": len(team),
        "active": len(acted),
        "rate": rate,
        "percent": f"{rate * 100:.1f}%",
        "inactive": [o for o in team if o.user_id not in active],
    }


def officer_record(officer: Officer) -> dict[str, Any]:
    """个人执法档案: cases handled or acted in, inspections, legal reviews, training hours."""
    user = officer.user
    keys = CaseOfficer.objects.filter(user=user).values_list("case_id", "key")
    case_ids = {c for c, _k in keys}
    cases = list(Case.objects.filter(pk__in=case_ids).select_related("township").order_by("-created_at"))
    by_case = {c: k for c, k in keys}
    inspections = reviews = 0
    events = CaseEvent.objects.filter(
        case_id__in=case_ids, type__in=["inspected", "reinspected", "legal_review"]
    )
    for e in events:
        if by_case.get(e.case_id) in (e.actors or ()):
            if e.type == "legal_review":
                reviews += 1
            else:
                inspections += 1
    hours = officer.trainings.aggregate(total=Sum("hours"))["total"] or Decimal(0)
    return {
        "officer": officer,
        "cases": cases,
        "handled": sum(1 for c in cases if c.handler == by_case.get(c.pk)),
        "inspections": inspections,
        "reviews": reviews,
        "training_hours": hours,
        "trainings": list(officer.trainings.all()),
    }

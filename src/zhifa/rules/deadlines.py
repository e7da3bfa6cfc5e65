"""Statutory deadlines of LEGAL-RULES.md §2–§4 as pure functions over a `WorkCalendar`.

Conventions (§2): the start day is not counted; "N working days after D" is the N-th working
day strictly after D; months by 民法典 第202条 (`add_months`); the party's own periods (payment,
litigation, the court-application window) roll forward to the next working day, the agency's own
limits (90-day decision, seizure term, limitation) never do.

Every function accepts a `WorkCalendar` (`zhifa.rules.workdays`), which precomputes its working
days as ordinals on first use: `add_workdays` is one list lookup, and a year without a published
arrangement raises `CalendarGapError`.

A `CalendarGapError` for year Y means the true answer is on or after Y-01-01 (the walk reached
Y without finishing). `later_than(d, thunk)` uses that to decide "is d after the deadline?"
without the missing year whenever d is before Y.

`upcoming_deadlines(case, as_of, cal)` lists the deadlines of a live case that have not passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from zhifa.rules import periods as P
from zhifa.rules.workdays import CalendarGapError, WorkCalendar, add_months, add_years

__all__ = [
    "CalendarGapError",
    "add_months",
    "add_years",
    "allowed_surcharge",
    "court_window",
    "decision_limit",
    "disclosure_deadline",
    "fast",
    "hearing_request_end",
    "later_than",
    "limitation_end",
    "litigation_end",
    "payment_due",
    "remedy_notice_complete",
    "reminder_end",
    "seizure_allowed_end",
    "service_deadline",
    "statement_period_end",
    "upcoming_deadlines",
]


def fast(cal: WorkCalendar) -> WorkCalendar:
    """`cal` itself: `WorkCalendar` indexes its working days on first use (kept for callers)."""
    return cal


def later_than(d: dt.date, deadline: Callable[[], dt.date]) -> bool:
    """`d > deadline()`, also when the deadline reaches into a year without data but `d` does not."""
    try:
        return d > deadline()
    except CalendarGapError as exc:
        if d < dt.date(exc.year, 1, 1):
            return False
        raise


# ---------------------------------------------------------------------------------------------
# The deadlines (dates are datetime.date)


def statement_period_end(notice: dt.date, statement_days: int, hearing_right: bool, cal) -> dt.date:
    """Last day of the statement/defence period, raised to the 5-working-day hearing-request
    period when the notice offers a hearing (处罚法 第45条, 第64条第1项, 第85条)."""
    days = max(statement_days, P.HEARING_REQUEST_WORKDAYS) if hearing_right else statement_days
    return cal.add_workdays(notice, days) if days > 0 else notice


def hearing_request_end(notice: dt.date, cal) -> dt.date:
    """Last day on which a hearing request binds the agency (处罚法 第64条第1项, 第85条)."""
    return cal.add_workdays(notice, P.HEARING_REQUEST_WORKDAYS)


def decision_limit(filed: dt.date) -> dt.date:
    """Filed + 90 calendar days, no roll-forward (处罚法 第60条)."""
    return filed + dt.timedelta(days=P.DECISION_LIMIT_DAYS)


def service_deadline(decided: dt.date, cal) -> dt.date:
    """Service of the decision document to an absent party: 7 working days (处罚法 第61条, 第85条)."""
    return cal.add_workdays(decided, P.SERVICE_WORKDAYS)


def disclosure_deadline(decided: dt.date, cal) -> dt.date:
    """Publication of a penalty decision: 7 working days (国办发〔2018〕118号)."""
    return cal.add_workdays(decided, P.DISCLOSURE_WORKDAYS)


def payment_due(served: dt.date, cal) -> dt.date:
    """Served + 15 days, rolled forward (处罚法 第67条第3款; 民法典 第203条)."""
    return cal.roll_forward(served + dt.timedelta(days=P.PAYMENT_DAYS))


def remedy_notice_complete(notice: dict | None) -> bool:
    """The decision states both remedies with at least the statutory periods (PEN-REMEDY-NOTICE)."""
    if not notice:
        return False
    return bool(
        notice.get("reconsideration_body")
        and notice.get("court")
        and (notice.get("reconsideration_days") or 0) >= P.RECONSIDERATION_DAYS
        and (notice.get("litigation_months") or 0) >= P.LITIGATION_MONTHS
    )


def litigation_end(served: dt.date, complete_notice: bool, cal) -> dt.date:
    """L(served): 6 months (诉讼法 第46条), or 1 year without a complete remedy notice
    (行诉解释 第64条), rolled forward."""
    months = P.LITIGATION_MONTHS if complete_notice else P.LITIGATION_MONTHS_NO_NOTICE
    return cal.roll_forward(add_months(served, months))


def court_window(served: dt.date, complete_notice: bool, cal) -> tuple[dt.date, dt.date]:
    """(L, W): a court application must be after L and on or before W = L + 3 months, rolled
    forward (强制法 第53条; 行诉解释 第156条)."""
    end = litigation_end(served, complete_notice, cal)
    return end, cal.roll_forward(add_months(end, P.COURT_WINDOW_MONTHS))


def reminder_end(reminder: dt.date, cal) -> dt.date:
    """10 working days after the reminder's service; the application must come later
    (强制法 第54条, 第69条)."""
    return cal.add_workdays(reminder, P.REMINDER_WORKDAYS)


def seizure_allowed_end(start: dt.date, extension_days: int = 0) -> dt.date:
    """Start + 30 days, plus a valid extension of at most 30 days (强制法 第25条)."""
    extension = min(max(extension_days, 0), P.SEIZURE_EXTENSION_MAX_DAYS)
    return start + dt.timedelta(days=P.SEIZURE_DAYS + extension)


def limitation_end(ended: dt.date, grave_harm: bool) -> dt.date:
    """Ended + 2 years, or 5 years for grave harm to life, health or financial safety
    (处罚法 第36条); no roll-forward."""
    return add_years(ended, P.LIMITATION_YEARS_GRAVE if grave_harm else P.LIMITATION_YEARS)


def allowed_surcharge(fine, due: dt.date, on: dt.date):
    """Maximum 加处罚款 on `on`: 3 % of the fine a day after `due`, capped at the fine
    (处罚法 第72条第1款第1项). Returns (overdue days, Decimal amount rounded to 0.01)."""
    from decimal import ROUND_HALF_UP, Decimal

    overdue = (on - due).days
    f = Decimal(str(fine))
    amount = min(f, f * P.SURCHARGE_RATE * max(overdue, 0)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return overdue, amount


# ---------------------------------------------------------------------------------------------
# Upcoming deadlines of a live case


def upcoming_deadlines(case: dict, as_of: dt.date, cal) -> list[tuple[str, str, dt.date | None, str]]:
    """Deadlines of a live case that have not passed on `as_of`, soonest first.

    Each item is (rule code, Chinese label, due date, article). The due date is the last day on
    which the act is in time, or — for labels starting with "最早" — the last day *before* which
    the act would be unlawful. A deadline that reaches into a year without holiday data has
    due date None (it lies after the last published year), listed last.
    """
    from zhifa.rules.casefile import parse_date

    evs = case.get("events") or []
    first: dict[str, dict] = {}
    last: dict[str, dict] = {}
    for e in evs:
        first.setdefault(e["type"], e)
        last[e["type"]] = e
    proc = case.get("procedure")
    decision = case.get("decision") or {}
    out: list[tuple[str, str, dt.date | None, str]] = []

    def add(code: str, label: str, due: Callable[[], dt.date], article: str) -> None:
        try:
            d = due()
        except CalendarGapError:
            out.append((code, label, None, article))
            return
        if d >= as_of:
            out.append((code, label, d, article))

    def D(e: dict, key: str = "date") -> dt.date:
        return parse_date(e[key])

    decided = first.get("decided")
    served = first.get("served")
    auth = case.get("authority") or {}
    ent = auth.get("entrustment")
    if ent and "closed" not in first:
        add("AUTH-ENTRUST-EXPIRED", "委托期限届满", lambda: D(ent, "valid_to"), "《行政处罚法》第二十条")
    if auth.get("held_until") and "closed" not in first:
        add("AUTH-NOT-HELD", "清单持有期间届满", lambda: D(auth, "held_until"), "《行政处罚法》第二十四条")
    viol = case.get("violation") or {}
    if viol.get("ended") and "discovered" not in first and decided is None:
        add(
            "PEN-LIMITATION",
            "追责时效届满",
            lambda: limitation_end(D(viol, "ended"), bool(viol.get("grave_harm"))),
            "《行政处罚法》第三十六条",
        )
    if proc == "general" and "filed" in first and decided is None and "closed" not in first:
        add(
            "PEN-DECISION-90D",
            "作出处理决定期限（立案之日起九十日）",
            lambda: decision_limit(D(first["filed"])),
            "《行政处罚法》第六十条",
        )
    notice = last.get("notice_served")
    if proc == "general" and notice is not None and decided is None:
        n_date = D(notice)
        add(
            "PEN-STATEMENT-PERIOD",
            "陈述申辩（听证申请）期限届满，最早次日作出处罚决定",
            lambda: statement_period_end(
                n_date, int(notice.get("statement_days") or 0), bool(notice.get("hearing_right")), cal
            ),
            "《行政处罚法》第四十五条、第六十四条、第八十五条",
        )
        if notice.get("hearing_right"):
            add(
                "PEN-HEARING",
                "当事人要求听证的期限届满",
                lambda: hearing_request_end(n_date, cal),
                "《行政处罚法》第六十四条",
            )
    if decided is not None:
        d_date = D(decided)
        kind = decision.get("kind")
        if proc == "general" and kind in ("penalty", "no_penalty") and served is None:
            if decided.get("party_present"):
                add("PEN-SERVICE-7WD", "当场交付处罚决定书", lambda: d_date, "《行政处罚法》第六十一条")
            else:
                add(
                    "PEN-SERVICE-7WD",
                    "处罚决定书送达期限（七个工作日）",
                    lambda: service_deadline(d_date, cal),
                    "《行政处罚法》第六十一条、第八十五条",
                )
        if proc == "general" and kind == "penalty" and "disclosed" not in first:
            add(
                "PEN-DISCLOSE-7WD",
                "处罚决定公示期限（七个工作日）",
                lambda: disclosure_deadline(d_date, cal),
                "国办发〔2018〕118号",
            )
    if served is not None and decision:
        s_date = D(served)
        complete = remedy_notice_complete(decision.get("remedy_notice"))
        if (decision.get("fine") or 0) > 0 and "paid" not in first:
            add("PEN-SURCHARGE", "罚款缴纳期限", lambda: payment_due(s_date, cal), "《行政处罚法》第六十七条")
        if decision.get("kind") == "demolition_order" and "demolition_executed" not in first:
            add(
                "COE-DEMOLITION-REMEDY",
                "复议、诉讼期限届满，最早次日可强制拆除",
                lambda: litigation_end(s_date, complete, cal),
                "《行政强制法》第四十四条",
            )
        if decision.get("kind") == "penalty" and "paid" not in first and "court_application" not in first:
            add(
                "COE-COURT-WINDOW",
                "起诉期限届满，最早次日可申请法院强制执行",
                lambda: litigation_end(s_date, complete, cal),
                "《行政强制法》第五十三条",
            )
            add(
                "COE-COURT-WINDOW",
                "申请法院强制执行的期限届满",
                lambda: court_window(s_date, complete, cal)[1],
                "最高人民法院行政诉讼法解释第一百五十六条",
            )
    # any earlier reminder (and any notice whose deadline passed) allows the step: the earliest counts
    reminder = first.get("reminder_served")
    if reminder is not None and "court_application" not in first:
        add(
            "COE-COURT-REMINDER",
            "催告期满（十个工作日），最早次日可申请法院强制执行",
            lambda: reminder_end(D(reminder), cal),
            "《行政强制法》第五十四条、第六十九条",
        )
    notice_deadlines = [e["deadline"] for e in evs if e["type"] == "demolition_notice" and e.get("deadline")]
    if notice_deadlines and "demolition_executed" not in first:
        add(
            "COE-DEMOLITION-NOTICE",
            "公告限期自行拆除届满，最早次日可强制拆除",
            lambda: parse_date(min(notice_deadlines)),
            "《行政强制法》第四十四条",
        )
    seizure = first.get("seizure_started")
    if seizure is not None and "seizure_ended" not in first:
        ext = first.get("seizure_extended")
        start = D(seizure)
        days = 0
        if ext and ext.get("approved_by") and D(ext) <= start + dt.timedelta(days=P.SEIZURE_DAYS):
            ext_days = ext.get("days") or 0
            days = int(ext_days) if ext_days <= P.SEIZURE_EXTENSION_MAX_DAYS else 0
        add(
            "COE-SEIZURE-30D",
            "查封、扣押期限届满",
            lambda: seizure_allowed_end(start, days),
            "《行政强制法》第二十五条",
        )
    out.sort(key=lambda t: (t[2] is None, t[2] or dt.date.max, t[0]))
    return out

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


# One upcoming deadline: (rule code, Chinese label, due date or None past the calendar, article).
Deadline = tuple[str, str, dt.date | None, str]
# `add(code, label, due, article)`: the due date is a thunk, so that a CalendarGapError raised
# while computing it is caught in one place (`_Upcoming.add`) instead of around every rule.
_Add = Callable[[str, str, Callable[[], dt.date], str], None]


def upcoming_deadlines(case: dict, as_of: dt.date, cal) -> list[Deadline]:
    """Deadlines of a live case that have not passed on `as_of`, soonest first.

    Each item is (rule code, Chinese label, due date, article). The due date is the last day on
    which the act is in time, or — for labels starting with "最早" — the last day *before* which
    the act would be unlawful. A deadline that reaches into a year without holiday data has
    due date None (it lies after the last published year), listed last.
    """
    # The groups run in the order of the procedure; ties in the final sort keep this order.
    events = case.get("events") or []
    first, last = _first_and_last(events)
    upcoming = _Upcoming(as_of)
    _authority_deadlines(case, first, upcoming.add)
    _pre_decision_deadlines(case, first, last, cal, upcoming.add)
    _decision_deadlines(case, first, cal, upcoming.add)
    _post_service_deadlines(case, first, cal, upcoming.add)
    _coercion_deadlines(events, first, cal, upcoming.add)
    return upcoming.soonest_first()


class _Upcoming:
    """Collects the deadlines still open on `as_of`; one past the calendar's data is kept as None."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self.items: list[Deadline] = []

    def add(self, code: str, label: str, due: Callable[[], dt.date], article: str) -> None:
        try:
            d = due()
        except CalendarGapError:
            self.items.append((code, label, None, article))
            return
        if d >= self.as_of:
            self.items.append((code, label, d, article))

    def soonest_first(self) -> list[Deadline]:
        """Dated items by date then code, undated (past the published years) last; stable."""
        self.items.sort(key=lambda t: (t[2] is None, t[2] or dt.date.max, t[0]))
        return self.items


def _first_and_last(events: list[dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The first and the last event of each type: most periods run from the first (decided,
    served, reminder...), the statement period from the last prior notice."""
    first: dict[str, dict] = {}
    last: dict[str, dict] = {}
    for e in events:
        first.setdefault(e["type"], e)
        last[e["type"]] = e
    return first, last


def _parse_date(value) -> dt.date:
    """A case-file date (ISO string) as a date, by the exchange format's own parser."""
    # Imported on use, as `upcoming_deadlines` always did: importing this module does not load
    # the case-file reader.
    from zhifa.rules.casefile import parse_date

    return parse_date(value)


def _date(e: dict, key: str = "date") -> dt.date:
    """`e[key]` of an event (or other case-file object) as a date."""
    return _parse_date(e[key])


def _authority_deadlines(case: dict, first: dict[str, dict], add: _Add) -> None:
    """Until the case is closed: the entrustment's term and the listed holding's end."""
    auth = case.get("authority") or {}
    ent = auth.get("entrustment")
    if ent and "closed" not in first:
        add("AUTH-ENTRUST-EXPIRED", "委托期限届满", lambda: _date(ent, "valid_to"), "《行政处罚法》第二十条")
    if auth.get("held_until") and "closed" not in first:
        add(
            "AUTH-NOT-HELD",
            "清单持有期间届满",
            lambda: _date(auth, "held_until"),
            "《行政处罚法》第二十四条",
        )


def _pre_decision_deadlines(
    case: dict, first: dict[str, dict], last: dict[str, dict], cal, add: _Add
) -> None:
    """Before the decision: limitation (until discovered), the 90-day limit of a general
    procedure, and the statement / hearing-request periods of the last prior notice."""
    proc = case.get("procedure")
    decided = first.get("decided")
    viol = case.get("violation") or {}
    if viol.get("ended") and "discovered" not in first and decided is None:
        add(
            "PEN-LIMITATION",
            "追责时效届满",
            lambda: limitation_end(_date(viol, "ended"), bool(viol.get("grave_harm"))),
            "《行政处罚法》第三十六条",
        )
    if proc == "general" and "filed" in first and decided is None and "closed" not in first:
        add(
            "PEN-DECISION-90D",
            "作出处理决定期限（立案之日起九十日）",
            lambda: decision_limit(_date(first["filed"])),
            "《行政处罚法》第六十条",
        )
    notice = last.get("notice_served")
    if proc == "general" and notice is not None and decided is None:
        n_date = _date(notice)
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


def _decision_deadlines(case: dict, first: dict[str, dict], cal, add: _Add) -> None:
    """After the decision of a general procedure: its service (on the spot when the party was
    present) until served, and the publication of a penalty until disclosed."""
    decided = first.get("decided")
    if decided is None:
        return
    proc = case.get("procedure")
    d_date = _date(decided)
    kind = (case.get("decision") or {}).get("kind")
    if proc == "general" and kind in ("penalty", "no_penalty") and first.get("served") is None:
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


def _post_service_deadlines(case: dict, first: dict[str, dict], cal, add: _Add) -> None:
    """Once the decision is served: payment of a fine, and the remedy periods that must pass
    before a demolition or a court application (plus the end of the court-application window)."""
    served = first.get("served")
    decision = case.get("decision") or {}
    if served is None or not decision:
        return
    s_date = _date(served)
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


def _coercion_deadlines(events: list[dict], first: dict[str, dict], cal, add: _Add) -> None:
    """Coercion steps: the reminder before a court application, the demolition announcement's
    deadline, and the term of a seizure (`_seizure_days` for its extension)."""
    # any earlier reminder (and any notice whose deadline passed) allows the step: the earliest counts
    reminder = first.get("reminder_served")
    if reminder is not None and "court_application" not in first:
        add(
            "COE-COURT-REMINDER",
            "催告期满（十个工作日），最早次日可申请法院强制执行",
            lambda: reminder_end(_date(reminder), cal),
            "《行政强制法》第五十四条、第六十九条",
        )
    notice_deadlines = [
        e["deadline"] for e in events if e["type"] == "demolition_notice" and e.get("deadline")
    ]
    if notice_deadlines and "demolition_executed" not in first:
        add(
            "COE-DEMOLITION-NOTICE",
            "公告限期自行拆除届满，最早次日可强制拆除",
            lambda: _parse_date(min(notice_deadlines)),
            "《行政强制法》第四十四条",
        )
    seizure = first.get("seizure_started")
    if seizure is not None and "seizure_ended" not in first:
        start = _date(seizure)
        days = _seizure_days(first.get("seizure_extended"), start)
        add(
            "COE-SEIZURE-30D",
            "查封、扣押期限届满",
            lambda: seizure_allowed_end(start, days),
            "《行政强制法》第二十五条",
        )


def _seizure_days(ext: dict | None, start: dt.date) -> int:
    """Extension days that count: approved, decided within the first 30 days, and not over the
    30-day maximum (an over-long extension counts as none, 强制法 第25条)."""
    if ext and ext.get("approved_by") and _date(ext) <= start + dt.timedelta(days=P.SEIZURE_DAYS):
        ext_days = ext.get("days") or 0
        return int(ext_days) if ext_days <= P.SEIZURE_EXTENSION_MAX_DAYS else 0
    return 0

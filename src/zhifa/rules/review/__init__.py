"""Automatic review of case files: the 25 checks of LEGAL-RULES.md §5 (`RULES`) and the live
gate's further checks of docs/case-gate.md (`GATE_RULES`), as pure functions.

Input is a case dict in the `zhifa.casefile/1` exchange shape (see `zhifa.rules.casefile`) and a
`WorkCalendar` (`zhifa.core.calendar.work_calendar()` in the platform,
`zhifa.rules.workdays.from_chinese_calendar(2020)` in tests). Nothing here imports Django.

Batch review (the `zhifa review` command, the supervision pages)::

    findings = review_case(case, cal)        # [Finding(case_id, rule, severity, message)], by rule
    for f in review_cases(cases, cal): ...   # every case, sorted by case_id then rule

Each rule is also a plain function, e.g. ``pen_service_7wd(case, cal) -> Finding | None``, listed
with its code and severity in `RULES` (code -> Rule(code, severity, title, check)). A rule gives at
most one finding per case. ``as_of`` is respected: a deadline still running on ``as_of`` is never a
finding (deadlines that reach into a year without holiday data are treated as running when the
date compared lies before that year; otherwise `CalendarGapError` propagates).

Refusing an unlawful step in the live case engine::

    problems = check_step(case, new_event, cal, decision=None)
    if problems:
        raise StepRefused([f.message for f in problems])   # each message cites the article

`check_step` takes the case as it is now (the dict the engine would export), the event about to
be recorded (exchange shape: ``{"type": "decided", "date": "2025-10-10", "actors": [...],
"party_present": False}``) and, for a `decided` step, the decision dict about to be issued. It
reviews the case as of the step's date without and with the step and returns the findings the
step would newly create (rules that did not fire before). Findings that only come from time
passing (an overdue service, a missing publication) exist either way and are not blamed on the
step, so a late service or disclosure is never refused — only a step that is itself unlawful
(deciding inside the statement period, demolishing before the notice deadline, applying to the
court too early, acting on an item not held, acting alone or with an expired certificate…).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from zhifa.rules.casefile import parse_date
from zhifa.rules.review._base import ALL_RULES, DEFECT, GATE_RULES, RULES, WARNING, CaseView, Finding, Rule
from zhifa.rules.review.authority import auth_entrust_expired, auth_not_held
from zhifa.rules.review.coercion import (
    coe_court_reminder,
    coe_court_window,
    coe_demolition_notice,
    coe_demolition_remedy,
    coe_seizure_30d,
)
from zhifa.rules.review.decision import dec_collective, dec_legal_review, dec_separation
from zhifa.rules.review.gate import (
    coe_entrusted_measure,
    coe_extension_invalid,
    coe_notice_deadline,
    coe_reminder_early,
    dec_collective_members,
    dec_review_failed,
    pen_discretion_tier,
    pen_heavier_than_notice,
    pen_notice_period,
    pen_simple_sameday,
    pen_statutory_max,
    pen_surcharge_unserved,
)
from zhifa.rules.review.officers import off_cert_valid, off_min_two
from zhifa.rules.review.penalty import (
    pen_decision_90d,
    pen_disclose_7wd,
    pen_discretion,
    pen_first_violation,
    pen_hearing,
    pen_limitation,
    pen_prior_notice,
    pen_remedy_notice,
    pen_service_7wd,
    pen_simple_limit,
    pen_simple_onspot,
    pen_statement_period,
    pen_surcharge,
)

__all__ = [
    "ALL_RULES",
    "DEFECT",
    "GATE_RULES",
    "RULES",
    "WARNING",
    "CaseView",
    "Finding",
    "Rule",
    "auth_entrust_expired",
    "auth_not_held",
    "check_step",
    "coe_court_reminder",
    "coe_court_window",
    "coe_demolition_notice",
    "coe_demolition_remedy",
    "coe_entrusted_measure",
    "coe_extension_invalid",
    "coe_notice_deadline",
    "coe_reminder_early",
    "coe_seizure_30d",
    "dec_collective",
    "dec_collective_members",
    "dec_legal_review",
    "dec_review_failed",
    "dec_separation",
    "off_cert_valid",
    "off_min_two",
    "pen_decision_90d",
    "pen_disclose_7wd",
    "pen_discretion",
    "pen_discretion_tier",
    "pen_first_violation",
    "pen_hearing",
    "pen_heavier_than_notice",
    "pen_limitation",
    "pen_notice_period",
    "pen_prior_notice",
    "pen_remedy_notice",
    "pen_service_7wd",
    "pen_simple_limit",
    "pen_simple_onspot",
    "pen_simple_sameday",
    "pen_statement_period",
    "pen_statutory_max",
    "pen_surcharge",
    "pen_surcharge_unserved",
    "review_case",
    "review_cases",
]

_ORDERED = tuple(sorted(ALL_RULES.values(), key=lambda r: r.code))


def _raw(case: dict, cal: Any, context: dict | None = None) -> list[Finding]:
    """Every rule's finding, before `covered_by` folding."""
    view = CaseView(case, cal, context)
    out = []
    for r in _ORDERED:
        msg = r.check(view)
        if msg is not None:
            out.append(Finding(view.case_id, r.code, r.severity, msg))
    return out


def review_case(case: dict, cal: Any, context: dict | None = None) -> list[Finding]:
    """Every finding of one case, sorted by rule code. A gate rule whose fault a broader rule
    already reports (`Rule.covered_by`) is left out when that rule fires. `context` carries the
    facts the exchange format has no field for (see `zhifa.rules.review.gate`)."""
    raw = _raw(case, cal, context)
    fired = {f.rule for f in raw}
    return [f for f in raw if not set(ALL_RULES[f.rule].covered_by) & fired]


def review_cases(cases: Iterable[dict], cal: Any) -> list[Finding]:
    """Every finding of every case, sorted by case_id then rule."""
    out: list[Finding] = []
    for case in cases:
        out.extend(review_case(case, cal))
    out.sort(key=lambda f: (f.case_id, f.rule))
    return out


def with_step(case: dict, new_event: dict, decision: dict | None = None) -> dict:
    """A shallow copy of `case` with `new_event` inserted in date order (after the events of the
    same day), `as_of` moved to the step's date if later, and `decision` set when given."""
    day = parse_date(new_event["date"])
    events = list(case.get("events") or ())
    pos = len(events)
    while pos > 0 and parse_date(events[pos - 1]["date"]) > day:
        pos -= 1
    events.insert(pos, new_event)
    out = dict(case)
    out["events"] = events
    as_of = parse_date(case["as_of"]) if case.get("as_of") else day
    out["as_of"] = max(as_of, day).isoformat()
    if decision is not None:
        out["decision"] = decision
    return out


def check_step(
    case: dict, new_event: dict, cal: Any, decision: dict | None = None, context: dict | None = None
) -> list[Finding]:
    """The findings that recording `new_event` (and issuing `decision`) would newly create
    (every rule, gate rules included, before `covered_by` folding)."""
    day = parse_date(new_event["date"])
    before_case = dict(case)
    as_of = parse_date(case["as_of"]) if case.get("as_of") else day
    before_case["as_of"] = max(as_of, day).isoformat()
    before = {f.rule for f in _raw(before_case, cal, context)}
    after = _raw(with_step(case, new_event, decision), cal, context)
    return [f for f in after if f.rule not in before]


def _today_iso() -> str:  # pragma: no cover - convenience for callers without a date
    return dt.date.today().isoformat()

"""Which documents a case file calls for, from its procedure, events and decision. Pure."""

from __future__ import annotations

# Event type -> (document kinds, why), in the order of the procedure.
BY_EVENT: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("filed", ("filing_approval",), "已立案"),
    ("inspected", ("inspection_record",), "已实施行政检查"),
    ("investigated", ("inspection_record", "inquiry_record"), "已调查取证"),
    ("rectification_ordered", ("rectification_order",), "已责令改正"),
    ("seizure_started", ("seizure_decision",), "已实施查封扣押"),
    ("notice_served", ("prior_notice",), "已事先告知"),
    ("hearing_requested", ("hearing_notice",), "当事人要求听证"),
)
BY_DECISION = {
    "penalty": ("penalty_decision", "已作出行政处罚决定"),
    "no_penalty": ("no_penalty_decision", "已作出不予行政处罚决定"),
    "demolition_order": ("demolition_notice", "已作出限期拆除决定"),
}
AFTER_DECISION: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("served", ("service_receipt",), "决定书已送达"),
    ("demolition_notice", ("demolition_announcement",), "已公告限期拆除"),
    ("reminder_served", ("reminder",), "已催告"),
    ("closed", ("closing_report",), "已结案"),
)


def expected_kinds(case: dict) -> list[tuple[str, str]]:
    """[(kind, reason)] for a case in the exchange format, each kind once, in procedural order."""
    types = {e.get("type") for e in case.get("events") or []}
    out: list[tuple[str, str]] = []

    def add(kinds: tuple[str, ...], why: str) -> None:
        for k in kinds:
            if all(k != have for have, _ in out):
                out.append((k, why))

    for event, kinds, why in BY_EVENT:
        if event in types:
            add(kinds, why)
    decision = case.get("decision") or {}
    if decision.get("kind") in BY_DECISION:
        kind, why = BY_DECISION[decision["kind"]]
        add((kind,), why)
    for event, kinds, why in AFTER_DECISION:
        if event in types:
            add(kinds, why)
    return out

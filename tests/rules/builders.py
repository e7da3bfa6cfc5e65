"""Small builders of case dicts in the exchange shape, for focused rule tests."""

from __future__ import annotations

import copy

from zhifa.rules.casefile import EVENTS, validate_case

OFFICERS = [
    {"id": "L1", "name": "领导甲", "cert_no": None, "cert_valid_to": None},
    {"id": "L2", "name": "领导乙", "cert_no": None, "cert_valid_to": None},
    {"id": "O1", "name": "执法甲", "cert_no": "晋执0001", "cert_valid_to": "2027-12-31"},
    {"id": "O2", "name": "执法乙", "cert_no": "晋执0002", "cert_valid_to": "2027-12-31"},
    {"id": "O3", "name": "执法丙", "cert_no": "晋执0003", "cert_valid_to": "2025-06-30"},
    {"id": "R1", "name": "审核甲", "cert_no": "晋执0009", "cert_valid_to": "2027-12-31"},
]
REMEDY = {
    "reconsideration_body": "县人民政府",
    "reconsideration_days": 60,
    "court": "县人民法院",
    "litigation_months": 6,
}
DEFAULTS = {
    "discovered": {"source": "巡查发现"},
    "inspected": {"result": "compliant"},
    "reinspected": {"result": "compliant"},
    "rectification_ordered": {"deadline": "2026-01-01"},
    "notice_served": {"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    "statement_received": {"waived": False},
    "legal_review": {"passed": True},
    "decided": {"party_present": False},
    "served": {"method": "in_person"},
    "paid": {"amount": 1000, "surcharge": 0},
    "seizure_started": {"measure": "seizure", "term_days": 30, "items": "餐车1辆"},
    "seizure_extended": {"approved_by": "L1", "days": 30},
    "seizure_ended": {"outcome": "released"},
    "demolition_notice": {"deadline": None},
    "reminder_served": {"deadline": "2026-01-01"},
    "court_application": {"court": "县人民法院", "amount": 1000, "surcharge": 0},
}
DEFAULT_ACTORS = {
    "filed": ["L1"],
    "legal_review": ["R1"],
    "collective_discussion": ["L1", "L2"],
    "decided": ["L1"],
    "seizure_extended": ["L1"],
}


def ev(etype: str, date: str, **extra) -> dict:
    e = {"type": etype, "date": date}
    if EVENTS[etype][0]:
        e["actors"] = extra.pop("actors", DEFAULT_ACTORS.get(etype, ["O1", "O2"]))
    e.update(copy.deepcopy(DEFAULTS.get(etype, {})))
    e.update(extra)
    return e


def penalty(fine=1000, penalties=("fine",), **extra) -> dict:
    d = {
        "kind": "penalty",
        "doc_no": "测罚决〔2025〕1号",
        "penalties": list(penalties),
        "fine": fine,
        "circumstance": "general",
        "benchmark": None,
        "deviation_reason": None,
        "first_violation": False,
        "corrected_in_time": False,
        "major": False,
        "remedy_notice": dict(REMEDY),
    }
    d.update(extra)
    return d


def demolition_order(**extra) -> dict:
    return penalty(fine=0, penalties=(), kind="demolition_order", circumstance=None, **extra)


def case(events, procedure="general", decision=None, as_of="2026-06-30", **top) -> dict:
    c = {
        "schema": "zhifa.casefile/1",
        "case_id": top.pop("case_id", "T01-2025-9999"),
        "township": "T01",
        "item": "Z037",
        "procedure": procedure,
        "as_of": as_of,
        "authority": {
            "source": "empowered",
            "held_from": "2024-07-01",
            "held_until": None,
            "entrustment": None,
        },
        "party": {"kind": "individual", "name": "张三"},
        "violation": {"began": "2025-01-01", "ended": "2025-01-02", "grave_harm": False},
        "officers": copy.deepcopy(OFFICERS),
        "roles": {"handler": "O1", "legal_reviewer": "R1", "decider": "L1"},
        "events": list(events),
        "decision": decision,
    }
    c.update(top)
    errors = validate_case(c)
    assert errors == [], errors  # builders only make valid files
    return c


def general(
    decided="2025-03-20", served="2025-03-21", notice="2025-03-10", filed="2025-03-03", discovered=None, **kw
) -> dict:
    """A clean general-procedure penalty case; pass None to leave an event out."""
    start = discovered or min(d for d in (filed, notice, decided, "9999") if d)
    events = [ev("discovered", start)]
    if filed:
        events.append(ev("filed", filed))
    events.append(ev("investigated", filed or start))
    if notice:
        events.append(ev("notice_served", notice))
    events += kw.pop("before_decision", [])
    if decided:
        events.append(ev("decided", decided))
    if served:
        events.append(ev("served", served))
    events += kw.pop("after", [])
    events.sort(key=lambda e: e["date"])
    return case(events, decision=kw.pop("decision", penalty()), **kw)

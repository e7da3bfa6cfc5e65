"""Specification audit of the review rules (LEGAL-RULES.md §2–§5): the boundaries the dev set does
not contain, each checked against the literal text of the rule (applicability, inclusive/exclusive
ends, working days with 调休, roll-forward, month ends, repeated events, years without data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules.builders import case, demolition_order, ev, general, penalty
from rules.conftest import CASEFILES
from zhifa.rules import review as rv
from zhifa.rules.casefile import parse_lines
from zhifa.rules.workdays import from_chinese_calendar


def _find(c: dict, etype: str) -> dict:
    return next(e for e in c["events"] if e["type"] == etype)


def _rules(c: dict, cal) -> set[str]:
    return {f.rule for f in rv.review_case(c, cal)}


# -- AUTH: both ends of the holding and of the entrustment are inclusive -------------------------


@pytest.mark.parametrize(
    "held_from,held_until,finding",
    [
        ("2025-03-03", None, False),  # first acting event (filed) on held_from
        ("2025-03-04", None, True),  # filed the day before the item was held
        ("2024-07-01", "2025-03-20", False),  # decided on the last day held
        ("2024-07-01", "2025-03-19", True),  # decided the day after it was taken back
    ],
)
def test_auth_not_held_inclusive_ends(cal, held_from, held_until, finding):
    auth = {"source": "empowered", "held_from": held_from, "held_until": held_until, "entrustment": None}
    c = general(served=None, authority=auth)
    assert (rv.auth_not_held(c, cal) is not None) == finding


def test_auth_not_held_null_authority_even_without_acting_events(cal):
    c = case([ev("discovered", "2025-03-01")], procedure="inspection", authority=None, violation=None)
    assert rv.auth_not_held(c, cal) is not None


def test_auth_not_held_service_and_payment_are_not_acting_events(cal):
    auth = {"source": "empowered", "held_from": "2024-07-01", "held_until": "2025-03-20", "entrustment": None}
    c = general(authority=auth, after=[ev("paid", "2025-03-25"), ev("disclosed", "2025-03-24")])
    assert rv.auth_not_held(c, cal) is None  # served, disclosed, paid: acts of others or records


@pytest.mark.parametrize(
    "valid_to,finding", [("2025-03-21", False), ("2025-03-20", False), ("2025-03-19", True)]
)
def test_auth_entrust_expired_inclusive_end(cal, valid_to, finding):
    ent = {
        "doc_no": "县城管委〔2024〕3号",
        "department": "D01",
        "valid_from": "2025-01-01",
        "valid_to": valid_to,
    }
    auth = {"source": "entrusted", "held_from": "2024-07-01", "held_until": None, "entrustment": ent}
    c = general(authority=auth)  # last acting event: decided 2025-03-20 (served is not acting)
    assert (rv.auth_entrust_expired(c, cal) is not None) == finding


# -- OFF -----------------------------------------------------------------------------------------


def test_off_cert_valid_last_day_of_certificate_is_valid(cal):
    c = general(filed="2025-06-30", notice="2025-07-01", decided="2025-07-10", served="2025-07-10")
    _find(c, "investigated")["actors"] = ["O1", "O3"]  # O3's certificate ends 2025-06-30
    assert rv.off_cert_valid(c, cal) is None
    _find(c, "investigated")["date"] = "2025-07-01"
    c["events"].sort(key=lambda e: e["date"])
    assert "有效期至2025-06-30" in rv.off_cert_valid(c, cal).message


def test_off_rules_count_distinct_people_and_only_field_events(cal):
    c = general()
    _find(c, "investigated")["actors"] = ["O1", "O1"]
    assert rv.off_min_two(c, cal) is not None
    c = general()
    _find(c, "decided")["actors"] = ["L1"]  # a general decision is made at the office by one leader
    assert rv.off_min_two(c, cal) is None and rv.off_cert_valid(c, cal) is None


def test_off_cert_valid_leader_in_a_field_event(cal):
    c = general()
    _find(c, "investigated")["actors"] = ["O1", "L1"]
    assert "领导甲未持有执法证件" in rv.off_cert_valid(c, cal).message


# -- DEC -----------------------------------------------------------------------------------------


def test_dec_rules_do_not_apply_to_simple_or_inspection(cal):
    roles = {"handler": "O1", "legal_reviewer": None, "decider": None}
    c = case(
        [
            ev("decided", "2025-03-10", actors=["O1", "O2"], on_spot=True, party_present=True),
            ev("served", "2025-03-10"),
        ],
        procedure="simple",
        decision=penalty(100, major=True),
        roles=roles,
    )
    assert {"DEC-SEPARATION", "DEC-LEGAL-REVIEW", "DEC-COLLECTIVE"}.isdisjoint(_rules(c, cal))


def test_dec_separation_with_null_reviewer(cal):
    c = general(roles={"handler": "L1", "legal_reviewer": None, "decider": "L1"})
    assert rv.dec_separation(c, cal) is not None
    c = general(roles={"handler": "O1", "legal_reviewer": None, "decider": "L1"})
    assert rv.dec_separation(c, cal) is None


def test_dec_legal_review_same_day_and_failed_then_passed(cal):
    c = general(decision=penalty(major=True), before_decision=[ev("collective_discussion", "2025-03-20")])
    c["events"].insert(-2, ev("legal_review", "2025-03-20"))  # same day as the decision: in time
    assert rv.dec_legal_review(c, cal) is None and rv.dec_collective(c, cal) is None
    c = general(
        decision=penalty(major=True),
        before_decision=[ev("legal_review", "2025-03-17", passed=False), ev("legal_review", "2025-03-19")],
    )
    assert rv.dec_legal_review(c, cal) is None
    c = general(
        decision=penalty(major=True), before_decision=[ev("legal_review", "2025-03-17", passed=False)]
    )
    assert "未通过" in rv.dec_legal_review(c, cal).message


def test_dec_legal_review_hearing_after_decision_does_not_require_review(cal):
    c = general(after=[ev("hearing_held", "2025-03-25")])
    assert rv.dec_legal_review(c, cal) is None
    c = general(before_decision=[ev("hearing_held", "2025-03-18")])
    assert "经过听证" in rv.dec_legal_review(c, cal).message


def test_dec_rules_apply_to_coercive_demolition_orders(cal):
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    c = case(events, procedure="coercive", decision=demolition_order(major=True))
    assert {"DEC-LEGAL-REVIEW", "DEC-COLLECTIVE"} <= _rules(c, cal)


# -- PEN-SIMPLE ----------------------------------------------------------------------------------


def _simple(fine, kind="individual", penalties=("fine",), served=True, **decided):
    fields = {"on_spot": True, "party_present": True, **decided}
    events = [ev("decided", "2025-05-06", actors=["O1", "O2"], **fields)]
    if served:
        events.append(ev("served", served if isinstance(served, str) else "2025-05-06"))
    return case(
        events,
        procedure="simple",
        decision=penalty(fine, penalties),
        party={"kind": kind, "name": "某某"},
        roles={"handler": "O1", "legal_reviewer": None, "decider": None},
    )


@pytest.mark.parametrize(
    "fine,kind,penalties,finding",
    [
        (200, "individual", ("fine",), False),
        (200.01, "individual", ("fine",), True),
        (3000, "organisation", ("fine",), False),
        (3000.5, "organisation", ("fine",), True),
        (201, "individual", ("warning", "fine"), True),
        (0, "individual", ("warning",), False),
        (0, "individual", ("criticism",), True),  # 通报批评 is not allowed on the spot
        (100, "individual", ("fine", "confiscate_gains"), True),
    ],
)
def test_pen_simple_limit_boundaries(cal, fine, kind, penalties, finding):
    assert (rv.pen_simple_limit(_simple(fine, kind, penalties), cal) is not None) == finding


def test_pen_simple_onspot_each_condition(cal):
    assert rv.pen_simple_onspot(_simple(100), cal) is None
    assert rv.pen_simple_onspot(_simple(100, on_spot=False), cal) is not None
    assert rv.pen_simple_onspot(_simple(100, party_present=False), cal) is not None
    assert rv.pen_simple_onspot(_simple(100, served="2025-05-07"), cal) is not None
    assert rv.pen_simple_onspot(_simple(100, served=False), cal) is not None  # never handed over
    c = _simple(100, served=False)
    c["as_of"] = "2025-05-06"  # exported the same day: the handover may still follow
    assert rv.pen_simple_onspot(c, cal) is None


# -- PEN-PRIOR-NOTICE / STATEMENT / HEARING -------------------------------------------------------


def test_pen_prior_notice_on_the_decision_day_counts(cal):
    c = general(notice="2025-03-20", decided="2025-03-20", served=None)
    assert rv.pen_prior_notice(c, cal) is None
    c = general(notice=None, after=[ev("notice_served", "2025-03-25")])
    assert rv.pen_prior_notice(c, cal) is not None  # a notice after the decision does not help


def test_pen_prior_notice_not_for_simple_or_no_penalty(cal):
    assert rv.pen_prior_notice(_simple(100), cal) is None
    c = general(notice=None, decision=penalty(0, (), kind="no_penalty"))
    assert rv.pen_prior_notice(c, cal) is None


@pytest.mark.parametrize(
    "notice,days,decided,finding",
    [
        ("2025-10-04", 3, "2025-10-11", True),  # notice on a holiday: day 1 is 10-09, ends 10-11 (调休)
        ("2025-10-04", 3, "2025-10-13", False),
        ("2026-02-13", 7, "2026-02-28", True),  # across 春节, ends 03-02
        ("2026-02-13", 7, "2026-03-02", True),
        ("2026-02-13", 7, "2026-03-03", False),
        ("2025-12-29", 3, "2026-01-04", True),  # 元旦 off, 01-04 (Sun) worked: ends 01-04
        ("2025-12-29", 3, "2026-01-05", False),
        ("2025-04-28", 5, "2025-05-08", True),  # 04-29, 04-30, then 劳动节: 05-06, 05-07, 05-08
        ("2025-04-28", 5, "2025-05-09", False),
    ],
)
def test_pen_statement_period_holidays(cal, notice, days, decided, finding):
    c = general(notice=notice, decided=decided, served=None, filed="2025-01-06")
    _find(c, "notice_served")["statement_days"] = days
    assert (rv.pen_statement_period(c, cal) is not None) == finding


def test_pen_statement_period_hearing_right_keeps_longer_stated_period(cal):
    c = general(notice="2025-06-02", decided="2025-06-10", served=None)  # 7 wd end 06-11
    _find(c, "notice_served").update(statement_days=7, hearing_right=True)
    assert rv.pen_statement_period(c, cal) is not None
    c = general(notice="2025-06-02", decided="2025-06-12", served=None)
    _find(c, "notice_served").update(statement_days=7, hearing_right=True)
    assert rv.pen_statement_period(c, cal) is None


def test_pen_statement_period_zero_days_decided_same_day(cal):
    c = general(notice="2025-03-20", decided="2025-03-20", served=None)
    _find(c, "notice_served")["statement_days"] = 0
    assert rv.pen_statement_period(c, cal) is not None  # decision date ≤ end (= the notice day)
    c = general(notice="2025-03-19", decided="2025-03-20", served=None)
    _find(c, "notice_served")["statement_days"] = 0
    assert rv.pen_statement_period(c, cal) is None


def test_pen_statement_period_waiver_position(cal):
    # waived on the notice day right after the notice: the party may decide at once
    c = general(
        notice="2025-03-10",
        decided="2025-03-10",
        served=None,
        before_decision=[ev("statement_received", "2025-03-10", waived=True)],
    )
    assert rv.pen_statement_period(c, cal) is None
    # a waiver recorded after the decision (same day) does not excuse the decision
    c = general(
        notice="2025-03-10",
        decided="2025-03-11",
        served=None,
        after=[ev("statement_received", "2025-03-11", waived=True)],
    )
    kinds = [e["type"] for e in c["events"]]
    assert kinds.index("statement_received") > kinds.index("decided")
    assert rv.pen_statement_period(c, cal) is not None
    # a waiver given for an earlier notice does not cover the latest one
    c = general(
        notice="2025-03-05",
        decided="2025-03-12",
        served=None,
        before_decision=[
            ev("statement_received", "2025-03-06", waived=True),
            ev("notice_served", "2025-03-10", statement_days=3),
        ],
    )
    assert rv.pen_statement_period(c, cal) is not None


def test_hearing_waived_statement_does_not_excuse_a_requested_hearing(cal):
    # PEN-HEARING has no waiver exception in its Check: a timely request must be honoured
    c = general(
        notice="2025-06-02",
        decided="2025-06-05",
        served=None,
        before_decision=[
            ev("statement_received", "2025-06-03", waived=True),
            ev("hearing_requested", "2025-06-04"),
        ],
    )
    _find(c, "notice_served")["hearing_right"] = True
    assert _rules(c, cal) >= {"PEN-HEARING"}
    assert "PEN-STATEMENT-PERIOD" not in _rules(c, cal)


def test_pen_hearing_request_window_inclusive_both_ends(cal):
    def hcase(requested):
        c = general(
            notice="2026-02-09",
            decided="2026-03-06",
            served=None,
            filed="2026-01-20",
            before_decision=[ev("hearing_requested", requested)],
        )
        _find(c, "notice_served").update(statement_days=5, hearing_right=True)
        return c

    assert "告知后第0个工作日" in rv.pen_hearing(hcase("2026-02-09"), cal).message  # on the notice day
    assert "告知后第5个工作日" in rv.pen_hearing(hcase("2026-02-14"), cal).message  # 调休 Saturday
    assert rv.pen_hearing(hcase("2026-02-15"), cal) is None  # first day of 春节: after the 5th day


def test_pen_hearing_request_for_an_earlier_notice_does_not_count(cal):
    c = general(
        notice="2025-06-02",
        decided="2025-06-20",
        served=None,
        before_decision=[ev("hearing_requested", "2025-06-03"), ev("notice_served", "2025-06-10")],
    )
    for e in c["events"]:
        if e["type"] == "notice_served":
            e.update(statement_days=5, hearing_right=True)
    assert rv.pen_hearing(c, cal) is None


# -- PEN-DECISION-90D / LIMITATION ---------------------------------------------------------------


@pytest.mark.parametrize(
    "filed,decided,finding",
    [
        ("2025-07-03", "2025-10-01", False),  # limit on a holiday, not rolled: decided that day is fine
        ("2025-07-03", "2025-10-09", True),  # the agency's limit never rolls forward (§2.6)
        ("2025-12-01", "2026-03-01", False),  # +90 = 2026-03-01
        ("2025-12-01", "2026-03-02", True),
    ],
)
def test_pen_decision_90d_no_roll_forward(cal, filed, decided, finding):
    c = general(filed=filed, notice=None, decided=decided, served=None)
    assert (rv.pen_decision_90d(c, cal) is not None) == finding


def test_pen_decision_90d_applies_to_no_penalty_and_not_to_simple(cal):
    c = general(
        filed="2025-04-01", notice=None, decided="2025-07-01", decision=penalty(0, (), kind="no_penalty")
    )
    assert rv.pen_decision_90d(c, cal) is not None
    c = general(filed="2025-04-01", notice=None, decided=None, served=None, as_of="2025-06-30")
    assert rv.pen_decision_90d(c, cal) is None  # still within the limit on as_of
    c["as_of"] = "2025-07-01"
    assert "仍未作出决定" in rv.pen_decision_90d(c, cal).message
    c["events"].append(ev("closed", "2025-07-01"))
    assert rv.pen_decision_90d(c, cal) is None  # closed without a decision: nothing overdue


@pytest.mark.parametrize(
    "ended,grave,discovered,finding",
    [
        ("2023-02-28", False, "2025-02-28", False),
        ("2023-02-28", False, "2025-03-01", True),
        ("2024-02-29", False, "2026-02-28", False),  # leap day + 2 years → last day of February
        ("2024-02-29", False, "2026-03-01", True),
        ("2021-03-01", True, "2026-03-01", False),
        ("2021-03-01", True, "2026-03-02", True),
    ],
)
def test_pen_limitation_years_at_month_ends(cal, ended, grave, discovered, finding):
    c = general(
        discovered=discovered, filed="2026-03-03", notice="2026-03-04", decided="2026-03-13", served=None
    )
    c["violation"] = {"began": "2021-01-01", "ended": ended, "grave_harm": grave}
    assert (rv.pen_limitation(c, cal) is not None) == finding


def test_pen_limitation_not_for_no_penalty_or_continuing(cal):
    c = general(discovered="2025-03-01", notice=None, decision=penalty(0, (), kind="no_penalty"))
    c["violation"] = {"began": "2020-01-01", "ended": "2020-06-01", "grave_harm": False}
    assert rv.pen_limitation(c, cal) is None
    c = general(discovered="2025-03-01")
    c["violation"] = {"began": "2020-01-01", "ended": None, "grave_harm": False}
    assert rv.pen_limitation(c, cal) is None


# -- PEN-DISCRETION / FIRST-VIOLATION / REMEDY ---------------------------------------------------


@pytest.mark.parametrize(
    "fine,reason,finding",
    [
        (1000, None, False),
        (5000, None, False),
        (999, None, True),
        (5001, None, True),
        (999, "  ", True),
        (999, "第32条", False),
    ],
)
def test_pen_discretion_inclusive_range(cal, fine, reason, finding):
    c = general(decision=penalty(fine, benchmark={"min": 1000, "max": 5000}, deviation_reason=reason))
    assert (rv.pen_discretion(c, cal) is not None) == finding


def test_pen_discretion_applies_on_the_spot_too(cal):
    c = _simple(150)
    c["decision"]["benchmark"] = {"min": 50, "max": 100}
    assert rv.pen_discretion(c, cal) is not None


def test_pen_first_violation_needs_all_three(cal):
    base = {"first_violation": True, "corrected_in_time": True, "circumstance": "minor"}
    assert rv.pen_first_violation(general(decision=penalty(**base)), cal) is not None
    for key, val in (("first_violation", False), ("corrected_in_time", False), ("circumstance", "general")):
        assert rv.pen_first_violation(general(decision=penalty(**{**base, key: val})), cal) is None
    nop = general(notice=None, decision=penalty(0, (), kind="no_penalty", **base))
    assert rv.pen_first_violation(nop, cal) is None


@pytest.mark.parametrize(
    "change,finding",
    [
        ({}, False),
        ({"reconsideration_days": 90}, False),  # longer than the law is not misleading
        ({"reconsideration_days": 59}, True),
        ({"litigation_months": 3}, True),
        ({"court": ""}, True),
        ({"reconsideration_body": None}, True),
    ],
)
def test_pen_remedy_notice_fields(cal, change, finding):
    rn = {
        "reconsideration_body": "县人民政府",
        "reconsideration_days": 60,
        "court": "县人民法院",
        "litigation_months": 6,
    }
    c = general(decision=penalty(remedy_notice={**rn, **change}))
    assert (rv.pen_remedy_notice(c, cal) is not None) == finding


def test_pen_remedy_notice_not_for_demolition_orders_or_no_penalty(cal):
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    c = case(events, procedure="coercive", decision=demolition_order(remedy_notice=None))
    assert rv.pen_remedy_notice(c, cal) is None
    c = general(notice=None, decision=penalty(0, (), kind="no_penalty", remedy_notice=None))
    assert rv.pen_remedy_notice(c, cal) is None


# -- PEN-SERVICE / DISCLOSE ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "decided,served,method,finding",
    [
        ("2026-02-12", "2026-02-28", "electronic", False),  # 7th working day is a 调休 Saturday
        ("2026-02-12", "2026-03-01", "mail", True),
        ("2025-12-24", "2026-01-05", "in_person", False),  # 元旦: 12-25,26,29,30,31, 01-04 (Sun), 01-05
        ("2025-12-24", "2026-01-06", "in_person", True),
        ("2025-10-04", "2025-10-16", "public_notice", False),  # decided on a holiday: 10-09…10-16
        ("2025-10-04", "2025-10-17", "public_notice", True),
    ],
)
def test_pen_service_7wd_boundaries(cal, decided, served, method, finding):
    c = general(
        filed="2025-09-01" if decided < "2026" else "2026-01-05", notice=None, decided=decided, served=served
    )
    _find(c, "served")["method"] = method
    c["decision"] = penalty(0, (), kind="no_penalty")
    assert (rv.pen_service_7wd(c, cal) is not None) == finding


def test_pen_service_7wd_party_present(cal):
    c = general(decided="2025-03-20", served="2025-03-20")
    _find(c, "decided")["party_present"] = True
    assert rv.pen_service_7wd(c, cal) is None
    c = general(decided="2025-03-20", served="2025-03-21")
    _find(c, "decided")["party_present"] = True
    assert "当事人在场" in rv.pen_service_7wd(c, cal).message  # next day is too late even in 7 wd
    c = general(decided="2025-03-20", served=None, as_of="2025-03-20")
    _find(c, "decided")["party_present"] = True
    assert rv.pen_service_7wd(c, cal) is None
    c["as_of"] = "2025-03-21"
    assert "至今未送达" in rv.pen_service_7wd(c, cal).message


def test_pen_service_7wd_not_for_simple_or_demolition(cal):
    assert rv.pen_service_7wd(_simple(100, served="2025-06-30"), cal) is None
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    assert rv.pen_service_7wd(case(events, procedure="coercive", decision=demolition_order()), cal) is None


@pytest.mark.parametrize(
    "decided,disclosed,finding",
    [
        ("2025-09-30", "2025-10-11", False),  # disclosed on a 调休 Saturday
        ("2025-09-30", "2025-10-16", False),  # the 7th working day
        ("2025-09-30", "2025-10-17", True),
        ("2026-01-30", "2026-02-10", False),
        ("2026-01-30", "2026-02-11", True),
    ],
)
def test_pen_disclose_7wd_boundaries(cal, decided, disclosed, finding):
    c = general(filed=decided[:8] + "01", notice=None, decided=decided, after=[ev("disclosed", disclosed)])
    assert (rv.pen_disclose_7wd(c, cal) is not None) == finding


def test_pen_disclose_7wd_open_case_and_scope(cal):
    c = general(decided="2025-09-30", filed="2025-09-01", notice=None, as_of="2025-10-16")
    assert rv.pen_disclose_7wd(c, cal) is None  # deadline still running on as_of
    c["as_of"] = "2025-10-17"
    assert "至今未公示" in rv.pen_disclose_7wd(c, cal).message
    assert rv.pen_disclose_7wd(_simple(100), cal) is None  # on-the-spot decisions are not covered


# -- PEN-SURCHARGE -------------------------------------------------------------------------------


def _surcharge(fine, served, paid, surcharge, as_of="2026-06-30"):
    return general(
        as_of=as_of,
        decided=served,
        served=served,
        filed="2025-01-06",
        notice=None,
        decision=penalty(fine),
        after=[ev("paid", paid, amount=fine, surcharge=surcharge)],
    )


@pytest.mark.parametrize(
    "fine,served,paid,surcharge,finding",
    [
        (1000, "2025-03-03", "2025-04-21", 1000, False),  # due 03-18, 34 days → capped at the fine
        (1000, "2025-03-03", "2025-04-21", 1000.01, True),
        (333, "2025-03-03", "2025-03-19", 9.99, False),  # 1 day × 3 % = 9.99
        (333, "2025-03-03", "2025-03-19", 10, True),
        (1000, "2025-03-03", "2025-03-18", 1, True),  # paid on the due day: nothing may be added
        (1000, "2026-02-01", "2026-02-24", 1, True),  # due 02-16 in 春节 → rolled to 02-24
        (1000, "2026-02-01", "2026-02-25", 30, False),
        (1000, "2026-02-01", "2026-02-25", 31, True),
    ],
)
def test_pen_surcharge_boundaries(cal, fine, served, paid, surcharge, finding):
    f = rv.pen_surcharge(_surcharge(fine, served, paid, surcharge), cal)
    assert (f is not None) == finding


def test_pen_surcharge_message_after_spring_festival(cal):
    f = rv.pen_surcharge(_surcharge(1000, "2026-02-01", "2026-03-06", 400), cal)
    assert f.message.startswith(
        "罚款1000元，缴款期限2026-02-24届满，至2026-03-06逾期10日，依法加处罚款最多300元"
    )


def test_pen_surcharge_second_payment_counts(cal):
    c = _surcharge(1000, "2025-03-03", "2025-03-10", 0)
    c["events"].append(ev("paid", "2025-03-28", amount=0, surcharge=301))
    assert "至2025-03-28逾期10日" in rv.pen_surcharge(c, cal).message


# -- COE-SEIZURE ---------------------------------------------------------------------------------


def _seizure(ended=None, ext=None, as_of="2026-06-30"):
    events = [ev("discovered", "2025-08-01"), ev("seizure_started", "2025-08-04")]
    if ext:
        events.append(ext)
    if ended:
        events.append(ev("seizure_ended", ended))
    roles = {"handler": "O1", "legal_reviewer": None, "decider": "L1"}
    return case(events, procedure="coercive", roles=roles, as_of=as_of)


def test_coe_seizure_extension_on_day_30_for_exactly_30_days(cal):
    ext = ev("seizure_extended", "2025-09-03", days=30)  # start + 30: still in time
    assert rv.coe_seizure_30d(_seizure("2025-10-03", ext), cal) is None  # day 60
    assert rv.coe_seizure_30d(_seizure("2025-10-04", ext), cal) is not None  # day 61
    short = ev("seizure_extended", "2025-09-01", days=10)
    assert rv.coe_seizure_30d(_seizure("2025-09-13", short), cal) is None
    assert rv.coe_seizure_30d(_seizure("2025-09-14", short), cal) is not None
    assert rv.coe_seizure_30d(_seizure(as_of="2025-10-03", ext=ext), cal) is None  # still running, in time
    assert rv.coe_seizure_30d(_seizure(as_of="2025-10-04", ext=ext), cal) is not None


# -- COE-DEMOLITION ------------------------------------------------------------------------------


def _demolition(executed, served="2025-03-11", notice=("2025-09-15", "2025-09-25"), remedy=True):
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    if served:
        events.append(ev("served", served))
    if notice:
        events.append(ev("demolition_notice", notice[0], deadline=notice[1]))
    events.append(ev("demolition_executed", executed))
    events.sort(key=lambda e: e["date"])
    dec = demolition_order() if remedy else demolition_order(remedy_notice=None)
    return case(events, procedure="coercive", decision=dec)


def test_coe_demolition_notice_must_precede_execution(cal):
    # a notice dated on the execution day cannot have given the party a time limit before it
    assert rv.coe_demolition_notice(_demolition("2025-10-20", notice=("2025-10-20", "2025-10-19")), cal)
    assert (
        rv.coe_demolition_notice(_demolition("2025-10-20", notice=("2025-10-19", "2025-10-19")), cal) is None
    )


def test_coe_demolition_remedy_month_end_and_tiaoxiu(cal):
    # served 2025-08-31 + 6 months = 2026-02-28, a 调休 Saturday (a working day: no roll-forward)
    assert rv.coe_demolition_remedy(_demolition("2026-02-28", served="2025-08-31", notice=None), cal)
    assert rv.coe_demolition_remedy(_demolition("2026-03-01", served="2025-08-31", notice=None), cal) is None
    # served 2025-05-30 + 6 months = 11-30 (Sunday) → rolled to 12-01
    assert rv.coe_demolition_remedy(_demolition("2025-12-01", served="2025-05-30", notice=None), cal)
    assert rv.coe_demolition_remedy(_demolition("2025-12-02", served="2025-05-30", notice=None), cal) is None
    # without a complete remedy notice: one year
    c = _demolition("2026-02-28", served="2025-02-28", notice=None, remedy=False)
    assert "期限至2026-02-28届满" in rv.coe_demolition_remedy(c, cal).message


# -- COE-COURT -----------------------------------------------------------------------------------


def _court(applied, served, reminders=("2025-11-03",), remedy=True, as_of="2026-06-30"):
    after = [ev("reminder_served", r) for r in reminders]
    after.append(ev("court_application", applied))
    d = penalty(1000) if remedy else penalty(1000, remedy_notice=None)
    return general(
        decided=served,
        served=served,
        filed="2025-05-06",
        notice="2025-05-20",
        decision=d,
        after=after,
        as_of=as_of,
    )


@pytest.mark.parametrize(
    "applied,finding",
    [
        ("2025-12-01", True),  # L: 05-30 + 6 months = 11-30 (Sun) → 12-01; applying on L is premature
        ("2025-12-02", False),
        ("2026-03-02", False),  # W: 12-01 + 3 months = 03-01 (Sun) → 03-02
        ("2026-03-03", True),
    ],
)
def test_coe_court_window_rolled_ends(cal, applied, finding):
    c = _court(applied, "2025-05-30")
    assert (rv.coe_court_window(c, cal) is not None) == finding


def test_coe_court_window_without_service_or_remedy_notice(cal):
    c = _court("2026-03-02", "2025-05-30", remedy=False)  # L = 2026-06-01 (05-30 is Saturday)
    assert "起诉期限至2026-06-01届满" in rv.coe_court_window(c, cal).message
    c = general(decided="2025-05-30", served=None, after=[ev("court_application", "2026-01-05")])
    assert "未送达" in rv.coe_court_window(c, cal).message


@pytest.mark.parametrize(
    "reminders,applied,finding",
    [
        (("2026-02-09",), "2026-02-28", True),  # the 10th working day itself (调休): not yet "after"
        (("2026-02-09",), "2026-03-01", False),
        (("2026-02-09", "2026-02-20"), "2026-03-01", False),  # an earlier reminder suffices
        (("2026-03-01",), "2026-03-01", True),  # a reminder on the day of the application is not before
        ((), "2026-03-01", True),
    ],
)
def test_coe_court_reminder_boundaries(cal, reminders, applied, finding):
    c = _court(applied, "2025-08-15", reminders=reminders)
    assert (rv.coe_court_reminder(c, cal) is not None) == finding


# -- years without holiday data: decide what is decidable, never crash ----------------------------


@pytest.fixture(scope="module")
def cal_to_2026():
    return from_chinese_calendar(2020, 2026)


def test_statement_period_reaching_an_unpublished_year(cal_to_2026):
    c = general(
        filed="2026-12-01", notice="2026-12-28", decided="2026-12-31", served=None, as_of="2026-12-31"
    )
    _find(c, "notice_served").update(statement_days=5)
    f = rv.pen_statement_period(c, cal_to_2026)
    assert f is not None and "2027年（该年度节假日安排尚未录入）" in f.message


def test_surcharge_before_an_unpublished_due_year(cal_to_2026):
    # served 12-20: due 2027-01-04 or later, so any surcharge paid in 2026 is unlawful
    c = _surcharge(1000, "2026-12-20", "2026-12-30", 5, as_of="2026-12-31")
    assert rv.pen_surcharge(c, cal_to_2026) is not None
    c = _surcharge(1000, "2026-12-20", "2026-12-30", 0, as_of="2026-12-31")
    assert rv.pen_surcharge(c, cal_to_2026) is None


def test_court_window_end_in_an_unpublished_year(cal_to_2026):
    # L = 2026-11-16, W in 2027: an application on 2026-12-01 is inside the window
    c = _court("2026-12-01", "2026-05-15", reminders=("2026-11-02",), as_of="2026-12-31")
    assert rv.coe_court_window(c, cal_to_2026) is None
    assert rv.coe_court_reminder(c, cal_to_2026) is None


def test_court_reminder_message_in_an_unpublished_year(cal_to_2026):
    c = _court("2026-12-30", "2026-05-15", reminders=("2026-12-21",), as_of="2026-12-31")
    f = rv.coe_court_reminder(c, cal_to_2026)
    assert f is not None and "2027年" in f.message


# -- severities and citations against the text of LEGAL-RULES.md ----------------------------------

_ARTICLE = re.compile(r"第[一二三四五六七八九十百零]+条")
_LAW = re.compile(r"《[^》]+》")


def spec_rules(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """code -> (severity, suggested message) from the rule sections of LEGAL-RULES.md (or of
    another document written the same way, such as docs/case-gate.md)."""
    text = (path or CASEFILES.parents[1] / "LEGAL-RULES.md").read_text(encoding="utf-8")
    out = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        msg = re.search(r"\*\*Message\.\*\* \"(.*?)\"\n", section)
        sev = re.search(r"\*\*Severity\.\*\* (\w+)", section)
        if msg and sev:
            out[section.split(" ", 1)[0]] = (sev.group(1), msg.group(1))
    return out


GATE_DOC = Path(__file__).resolve().parents[2] / "docs" / "case-gate.md"


def all_spec_rules() -> dict[str, tuple[str, str]]:
    """LEGAL-RULES.md §5 and the live gate's rules of docs/case-gate.md."""
    return {**spec_rules(), **spec_rules(GATE_DOC)}


def assert_cites_like_spec(finding, spec: dict[str, tuple[str, str]]) -> None:
    """Same severity; the same laws; only articles that the rule's suggested message cites."""
    severity, suggested = spec[finding.rule]
    assert finding.severity == severity
    assert set(_LAW.findall(finding.message)) == set(_LAW.findall(suggested)), finding
    ours, theirs = set(_ARTICLE.findall(finding.message)), set(_ARTICLE.findall(suggested))
    assert ours <= theirs and bool(ours) == bool(theirs), finding
    if "国办发" in suggested:
        assert "国办发〔2018〕118号" in finding.message


def test_registry_matches_legal_rules(dev_lines, cal):
    spec = spec_rules()
    assert set(spec) == set(rv.RULES)
    assert {code: r.severity for code, r in rv.RULES.items()} == {c: s for c, (s, _m) in spec.items()}
    findings = rv.review_cases(parse_lines(dev_lines), cal)
    assert {f.rule for f in findings} == set(spec)
    for f in findings:
        assert_cites_like_spec(f, spec)


# -- upcoming deadlines of a live case follow the same rules ---------------------------------------


def test_upcoming_court_and_demolition_dates_use_the_earliest_that_allows_the_step(cal):
    from zhifa.rules import deadlines as dl

    c = _court("2026-03-02", "2025-08-15", reminders=("2026-02-09", "2026-02-24"))
    c["events"] = [e for e in c["events"] if e["type"] != "court_application"]
    c["as_of"] = "2026-02-25"
    got = {(code, due) for code, _l, due, _a in dl.upcoming_deadlines(c, _d("2026-02-25"), cal)}
    assert ("COE-COURT-REMINDER", _d("2026-02-28")) in got  # the first reminder's 10 working days
    # two notices: the earlier deadline already lets the agency act after it
    events = [ev("discovered", "2025-02-24"), ev("filed", "2025-02-25"), ev("decided", "2025-03-10")]
    events += [ev("served", "2025-03-11"), ev("demolition_notice", "2025-09-15", deadline="2025-09-25")]
    events += [ev("demolition_notice", "2025-09-20", deadline="2025-10-20")]
    c = case(events, procedure="coercive", decision=demolition_order(), as_of="2025-09-22")
    got = {(code, due) for code, _l, due, _a in dl.upcoming_deadlines(c, _d("2025-09-22"), cal)}
    assert ("COE-DEMOLITION-NOTICE", _d("2025-09-25")) in got
    # and the review agrees: executing on 09-26 is after a passed notice deadline
    c["events"].append(ev("demolition_executed", "2025-09-26"))
    c["as_of"] = "2025-09-26"
    assert rv.coe_demolition_notice(c, cal) is None


def _d(s: str):
    import datetime as dt

    return dt.date.fromisoformat(s)


def test_simple_decision_without_on_spot_flag_is_a_finding(cal):
    c = _simple(100)
    del c["events"][0]["on_spot"]  # optional in the format; absent is not "on_spot: true"
    assert rv.pen_simple_onspot(c, cal) is not None


def test_auth_entrust_acting_before_the_term_begins(cal):
    ent = {
        "doc_no": "县城管委〔2025〕1号",
        "department": "D01",
        "valid_from": "2025-03-04",
        "valid_to": "2026-12-31",
    }
    auth = {"source": "entrusted", "held_from": "2024-07-01", "held_until": None, "entrustment": ent}
    assert "2025-03-03实施的立案" in rv.auth_entrust_expired(general(authority=auth), cal).message
    ent["valid_from"] = "2025-03-03"
    assert rv.auth_entrust_expired(general(authority=auth), cal) is None

"""The live gate's further rules (docs/case-gate.md) as pure functions: each fires on the
unlawful file, stays silent on its lawful twin, and is folded into its broader §5 rule in the
review where `covered_by` says so; the dev set's expected findings are unchanged."""

from __future__ import annotations

from rules.builders import case, ev, general, penalty
from rules.test_review_spec import GATE_DOC, spec_rules
from zhifa.rules import review as rv


def codes(c, cal, context=None) -> set[str]:
    return {f.rule for f in rv.review_case(c, cal, context)}


def seizure(ext_date, days=30, approved_by="L1", source="empowered"):
    events = [
        ev("discovered", "2025-08-01"),
        ev("filed", "2025-08-01"),
        ev("seizure_started", "2025-08-04"),
        ev("seizure_extended", ext_date, days=days, approved_by=approved_by),
        ev("seizure_ended", "2025-09-20"),
    ]
    auth = {"source": source, "held_from": "2024-07-01", "held_until": None, "entrustment": None}
    if source == "entrusted":
        auth["entrustment"] = {
            "doc_no": "委〔2025〕1号",
            "department": "D01",
            "valid_from": "2024-01-01",
            "valid_to": "2027-12-31",
        }
    return case(events, procedure="coercive", authority=auth)


def test_extension_invalid_fires_and_is_covered_by_seizure_30d(cal):
    late = seizure("2025-09-04")  # 30 days end 2025-09-03
    assert rv.coe_extension_invalid(late, cal) is not None
    assert "不得延长" in rv.coe_extension_invalid(late, cal).message
    got = codes(late, cal)
    assert "COE-SEIZURE-30D" in got and "COE-EXTENSION-INVALID" not in got  # one fault, one finding
    assert rv.coe_extension_invalid(seizure("2025-09-03"), cal) is None
    assert rv.coe_extension_invalid(seizure("2025-09-03", days=31), cal) is not None
    assert rv.coe_extension_invalid(seizure("2025-09-03", days=0), cal) is not None


def test_entrusted_measure(cal):
    assert rv.coe_entrusted_measure(seizure("2025-09-03", source="entrusted"), cal) is not None
    assert rv.coe_entrusted_measure(seizure("2025-09-03"), cal) is None


def test_heavier_than_notice_and_notice_period(cal):
    heavier = general(decision=penalty(fine=1500))  # notice proposes 1000
    assert "第四十五条" in rv.pen_heavier_than_notice(heavier, cal).message
    assert rv.pen_heavier_than_notice(general(decision=penalty(fine=1000)), cal) is None
    zero = general(before_decision=[ev("notice_served", "2025-03-11", statement_days=0)])
    assert rv.pen_notice_period(zero, cal) is not None
    huge = general(before_decision=[ev("notice_served", "2025-03-11", statement_days=10**20)])
    assert rv.pen_notice_period(huge, cal) is not None
    assert rv.pen_notice_period(general(), cal) is None


def test_review_failed_latest_review_counts(cal):
    passed_then_failed = general(
        before_decision=[ev("legal_review", "2025-03-15"), ev("legal_review", "2025-03-16", passed=False)]
    )
    assert rv.dec_review_failed(passed_then_failed, cal) is not None
    failed_then_passed = general(
        before_decision=[ev("legal_review", "2025-03-15", passed=False), ev("legal_review", "2025-03-16")]
    )
    assert rv.dec_review_failed(failed_then_passed, cal) is None


def test_collective_members(cal):
    alone = general(before_decision=[ev("collective_discussion", "2025-03-15", actors=["L1"])])
    assert rv.dec_collective_members(alone, cal) is not None
    two = general(before_decision=[ev("collective_discussion", "2025-03-15", actors=["L1", "L2"])])
    assert rv.dec_collective_members(two, cal) is None
    with_officer = general(before_decision=[ev("collective_discussion", "2025-03-15", actors=["L1", "O1"])])
    assert rv.dec_collective_members(with_officer, cal) is None  # without context: only the count
    assert rv.dec_collective_members(with_officer, cal, {"leaders": {"L1", "L2"}}) is not None


def test_context_rules(cal):
    no_tier = general(decision=penalty(circumstance=None))
    assert rv.pen_discretion_tier(no_tier, cal) is None
    assert rv.pen_discretion_tier(no_tier, cal, {"has_benchmark": True}) is not None
    over = general(decision=penalty(fine=1000, deviation_reason="严重"))
    assert rv.pen_statutory_max(over, cal, {"statutory_fine": {"min": 0, "max": 999}}) is not None
    assert rv.pen_statutory_max(over, cal, {"statutory_fine": {"min": 0, "max": 1000}}) is None


def test_reminder_surcharge_and_notice_deadline(cal):
    early = general(after=[ev("reminder_served", "2025-04-05", deadline="2025-04-20")])  # due 2025-04-07
    assert rv.coe_reminder_early(early, cal) is not None
    assert rv.coe_reminder_early(general(after=[ev("reminder_served", "2025-04-08")]), cal) is None
    unserved = general(served=None, after=[ev("paid", "2025-04-30", surcharge=10)])
    assert rv.pen_surcharge_unserved(unserved, cal) is not None
    assert rv.pen_surcharge_unserved(general(after=[ev("paid", "2025-04-30", surcharge=0)]), cal) is None
    bad = case([ev("discovered", "2025-03-01"), ev("demolition_notice", "2025-03-10", deadline="2025-03-10")])
    assert rv.coe_notice_deadline(bad, cal) is not None
    good = case(
        [ev("discovered", "2025-03-01"), ev("demolition_notice", "2025-03-10", deadline="2025-03-11")]
    )
    assert rv.coe_notice_deadline(good, cal) is None


def test_simple_sameday_is_covered_by_onspot(cal):
    late = case(
        [
            ev("discovered", "2025-04-15"),
            ev("decided", "2025-04-18", actors=["O1", "O2"], on_spot=True, party_present=True),
            ev("served", "2025-04-18"),
        ],
        procedure="simple",
        decision=penalty(fine=50),
        roles={"handler": "O1", "legal_reviewer": None, "decider": None},
    )
    assert rv.pen_simple_sameday(late, cal) is not None
    assert "PEN-SIMPLE-SAMEDAY" in {
        f.rule
        for f in rv.check_step(
            dict(late, events=late["events"][:1]), late["events"][1], cal, late["decision"]
        )
    }


def test_gate_rules_are_documented_like_legal_rules():
    spec = spec_rules(GATE_DOC)
    assert set(spec) == set(rv.GATE_RULES)
    assert {c: r.severity for c, r in rv.GATE_RULES.items()} == {c: s for c, (s, _m) in spec.items()}
    assert not set(rv.GATE_RULES) & set(rv.RULES)

"""The case procedure table (`zhifa.rules.procedure`) on its own: pure, no Django, no database.

The live engine (`zhifa.cases.actions`) applies these checks before it stores a step; the review
reads the same `Need` entries for imported files. The last tests tie both to one rule id."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from rules.builders import case, ev, general, penalty
from zhifa.rules import procedure as P
from zhifa.rules import review as rv
from zhifa.rules.casefile import EVENT_NAMES_ZH, EVENTS
from zhifa.rules.review import _base

D = dt.date
TODAY = D(2026, 6, 30)
JUNE_1 = D(2026, 6, 1)


def state(procedure: str = P.GENERAL, *events: str, **kw) -> P.CaseState:
    return P.CaseState(procedure, events=("discovered", *events), **kw)


def refusal(st: P.CaseState, step: str, on: dt.date = JUNE_1) -> P.Refusal | None:
    return P.check_order(st, step, on, TODAY)


# ---- the table itself ---------------------------------------------------------------------------


def test_every_exchange_event_is_a_step_with_checks_and_a_citation():
    assert list(P.STEPS) == list(EVENTS)  # the table's order is the exchange format's order
    for name, step in P.STEPS.items():
        assert step.event == name and step.name == EVENT_NAMES_ZH[name]
        assert "《" in step.cites or "号" in step.cites, name
        assert isinstance(step.checks, tuple) and all(c.__doc__ for c in step.checks), name
        for proc in step.procedures:
            names = P.checks_of(name, proc)
            assert names[:6] == [
                "not_imported",
                "not_finished",
                "known_step",
                "in_procedure",
                "once_per_case",
                "date_refusal",
            ]
            assert f"who:{P.who(name, proc).kind}" in names
        for need in step.needs:
            assert need.before in P.STEPS and need.by in (P.ENGINE, P.REVIEW)
            # An engine need words its own refusal; a review need is the review rule's finding.
            assert bool(need.message) == (need.by == P.ENGINE), need.rule


def test_review_needs_name_review_rules_and_engine_needs_their_own_ids():
    for step in P.STEPS.values():
        for need in step.needs:
            if need.by == P.REVIEW:
                assert need.rule in rv.ALL_RULES and need.cites, need.rule
            else:
                assert need.rule.startswith("PROC-") and need.rule not in rv.ALL_RULES


def test_steps_of_each_procedure():
    assert P.steps_of(P.GENERAL) == P.steps_of(P.COERCIVE) == frozenset(EVENTS)
    assert P.steps_of(P.SIMPLE) == {"discovered", "decided", "served", "paid", "disclosed", "closed"}
    assert P.steps_of(P.INSPECTION) == {
        "discovered",
        "investigated",
        "inspected",
        "rectification_ordered",
        "reinspected",
        "closed",
    }
    # A penalty case investigates: the inspection forms are offered only in an inspection.
    assert not P.offered_in("inspected", P.GENERAL) and P.offered_in("inspected", P.INSPECTION)
    assert not P.offered_in("filed", P.SIMPLE) and P.offered_in("filed", P.COERCIVE)


def test_the_review_sets_are_the_tables():
    assert _base.ACTING is P.ACTING_STEPS and _base.FIELD is P.FIELD_STEPS
    assert P.FIELD_STEPS == {
        "investigated",
        "inspected",
        "reinspected",
        "seizure_started",
        "demolition_executed",
    }
    assert P.is_field_step("decided", P.SIMPLE) and not P.is_field_step("decided", P.GENERAL)
    assert not P.is_field_step("no_such_step", P.SIMPLE)


def test_status_after():
    assert P.status_after("filed", P.OPEN) == P.FILED
    assert P.status_after("decided", P.FILED) == P.DECIDED
    for step in ("seizure_started", "demolition_notice", "reminder_served", "court_application"):
        assert P.status_after(step, P.DECIDED) == P.ENFORCING
    assert P.status_after("served", P.DECIDED) == P.DECIDED
    assert P.status_after("closed", P.ENFORCING) == P.CLOSED


def test_the_module_is_pure():
    tree = ast.parse(Path(P.__file__).read_text(encoding="utf-8"))
    mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert all(not m.startswith("django") for m in mods)
    assert {m for m in mods if m.startswith("zhifa")} <= {"zhifa.rules", "zhifa.rules.casefile"}


# ---- the order -------------------------------------------------------------------------------------


def test_a_step_outside_the_procedure_is_refused_with_its_message():
    assert refusal(state(P.SIMPLE), "investigated") == P.Refusal(
        "PROC-NOT-IN-PROCEDURE", "简易程序案件没有“调查取证”步骤。"
    )
    assert refusal(state(P.INSPECTION), "decided") == P.Refusal(
        "PROC-NOT-IN-PROCEDURE", "行政检查没有“作出决定”步骤；发现违法行为需要处罚的，请另行立案。"
    )
    assert refusal(state(P.SIMPLE), "filed").message == "简易程序案件没有“立案”步骤。"


def test_missing_earlier_steps_are_refused_with_their_messages():
    assert refusal(state(), "investigated") == P.Refusal(
        "PROC-NOT-FILED", "本案尚未立案，不能调查取证（《行政处罚法》第五十四条）。"
    )
    assert refusal(state(P.GENERAL, "filed"), "served") == P.Refusal(
        "PROC-NOT-DECIDED", "尚未作出决定，不能记录“送达决定书”。"
    )
    assert (
        refusal(state(P.COERCIVE, "filed"), "seizure_ended").message
        == "没有实施查封、扣押，不能记录“解除查封、扣押”。"
    )
    assert refusal(state(P.INSPECTION), "reinspected").message == "尚未责令改正，不能复查。"
    assert refusal(state(P.SIMPLE), "closed").rule == "PROC-CLOSE-UNDECIDED"
    assert refusal(state(P.INSPECTION), "closed") is None  # an inspection closes without a decision
    assert refusal(state(P.SIMPLE), "investigated").rule != "PROC-NOT-FILED"


def test_the_checks_run_in_the_engines_order():
    closed_import = state(P.GENERAL, "closed", status=P.CLOSED, imported=True)
    assert refusal(closed_import, "served").rule == "PROC-IMPORTED"
    assert refusal(state(status=P.TRANSFERRED), "served").message == "本案已移送，不能再记录办案步骤。"
    assert refusal(state(), "no_such_step").message == "办案步骤“no_such_step”无效。"
    assert refusal(state(P.SIMPLE, "decided"), "decided").message == "“作出决定”每案只能记录一次。"
    # The date comes before the missing filing; the filing before the missing hearing request.
    assert refusal(state(), "investigated", D(2026, 7, 1)) == P.Refusal(
        "PROC-FUTURE-DATE", "日期2026-07-01不能晚于今天。"
    )
    late = state(last_date=D(2026, 5, 2))
    assert refusal(late, "investigated", D(2026, 5, 1)).message == (
        "日期2026-05-01早于本案上一步骤的日期2026-05-02，办案记录须按时间顺序登记。"
    )
    assert refusal(state(), "hearing_held").rule == "PROC-NOT-FILED"
    assert (
        refusal(state(P.GENERAL, "filed"), "hearing_held").message == "当事人未要求听证，不能记录“举行听证”。"
    )
    assert refusal(state(P.GENERAL, "filed", "hearing_requested"), "hearing_held") is None


def test_review_needs_are_left_to_the_review():
    # A decision without a prior notice passes the engine's order: PEN-PRIOR-NOTICE refuses it.
    assert refusal(state(P.GENERAL, "filed"), "decided") is None
    assert refusal(state(P.COERCIVE, "filed"), "court_application").rule == "PROC-NOT-DECIDED"
    assert refusal(state(P.COERCIVE, "filed", "decided"), "court_application") is None


def test_allowed_steps_in_table_order():
    assert P.allowed_steps(state()) == ["filed", "inspected", "rectification_ordered"]
    assert P.allowed_steps(state(P.SIMPLE)) == ["decided"]
    assert P.allowed_steps(state(P.SIMPLE, "decided")) == ["served", "paid", "disclosed", "closed"]
    assert P.allowed_steps(state(P.INSPECTION)) == [
        "investigated",
        "inspected",
        "rectification_ordered",
        "closed",
    ]
    assert P.allowed_steps(state(P.GENERAL, status=P.CLOSED)) == []


# ---- who may act, and the step's own fields ------------------------------------------------------


def test_who_may_act():
    assert P.actor_refusal("collective_discussion", P.GENERAL, {P.HANDLE, P.ASSIST}) == P.Refusal(
        "PROC-ACTOR", "“负责人集体讨论”须由负责人办理。"
    )
    assert P.actor_refusal("investigated", P.GENERAL, {P.ASSIST}).message == "“调查取证”须由执法人员办理。"
    assert P.actor_refusal("paid", P.GENERAL, {P.ASSIST}) is None
    assert P.actor_refusal("paid", P.GENERAL, {P.LEGAL_REVIEW}).message == "您没有办理案件的权限。"
    assert P.actor_refusal("decided", P.SIMPLE, {P.DECIDE}).message == "当场处罚决定须由执法人员作出。"
    assert P.actor_refusal("decided", P.GENERAL, {P.HANDLE}).message == (
        "处罚决定须由负责人作出（《行政处罚法》第五十七条）。"
    )
    assert P.actor_refusal("filed", P.GENERAL, {P.DECIDE}) is None
    assert P.transfer_actor_refusal({P.ASSIST}).message == "移送须由承办人或负责人办理。"


@pytest.mark.parametrize(
    ("step", "fields", "rule"),
    [
        ("seizure_started", {"items": " ", "term_days": 30}, "PROC-SEIZURE-ITEMS"),
        ("seizure_started", {"items": "餐车1辆", "term_days": 31}, "COE-SEIZURE-30D"),
        ("seizure_extended", {"days": 31}, "COE-EXTENSION-INVALID"),
        ("served", {"method": "electronic"}, "PROC-SERVICE-CONSENT"),
    ],
)
def test_field_checks_refuse(step, fields, rule):
    assert P.field_refusal(step, fields).rule == rule


def test_field_checks_pass():
    assert P.field_refusal("seizure_started", {"items": "餐车1辆", "term_days": 30}) is None
    assert P.field_refusal("seizure_extended", {"days": 30}) is None
    assert P.field_refusal("served", {"method": "electronic", "consent": True}) is None
    assert P.field_refusal("served", {"method": "mail"}) is None
    assert P.field_refusal("investigated", {}) is None


def test_people_checks():
    assert P.field_officers_refusal("investigated", 1).message == (
        "调查取证须由两名以上持有有效执法证件的执法人员实施，本次仅1人（《行政处罚法》第四十二条、《行政强制法》第十八条）。"
    )
    assert P.field_officers_refusal("investigated", 2) is None
    assert P.collective_refusal([], 0).rule == "DEC-COLLECTIVE-MEMBERS"
    assert P.collective_refusal(["王建军"], 1).message.startswith("王建军不是本机关负责人")
    assert P.collective_refusal([], 1) is None
    roles = {"handler": "o1", "legal_reviewer": None, "decider": None}
    assert P.separation_refusal(roles, "decider", "o1").message == (
        "承办人、法制审核人员和负责人必须为三个不同的人：o1已是本案的承办人，不能再担任负责人"
        "（《行政处罚法》第五十七条、第五十八条）。"
    )
    assert P.separation_refusal(roles, "decider", "boss") is None
    assert P.cert_valid_on(False, "晋执0001", D(2024, 1, 1), D(2026, 6, 30), D(2026, 6, 30))
    assert not P.cert_valid_on(False, "晋执0001", D(2024, 1, 1), D(2026, 6, 30), D(2026, 7, 1))
    assert not P.cert_valid_on(True, "晋执0001", None, D(2026, 6, 30), D(2026, 1, 1))
    expired = P.certificate_refusal(
        "张过期", True, False, "晋执0003", D(2026, 6, 30), D(2026, 7, 1), "调查取证"
    )
    assert expired.rule == "OFF-CERT-VALID" and "有效期至2026-06-30" in expired.message


def test_decision_checks():
    assert P.first_violation_refusal("penalty", True, True, "minor").rule == "PEN-FIRST-VIOLATION"
    assert P.first_violation_refusal("no_penalty", True, True, "minor") is None
    assert P.first_violation_refusal("penalty", True, False, "minor") is None
    late = P.late_decision_refusal(P.GENERAL, D(2026, 1, 5), D(2026, 4, 6), None)
    assert late.rule == "PEN-DECISION-90D" and "2026-04-05届满" in late.message
    assert P.late_decision_refusal(P.GENERAL, D(2026, 1, 5), D(2026, 4, 6), "经批准延长") is None
    assert P.late_decision_refusal(P.GENERAL, D(2026, 1, 5), D(2026, 4, 5), None) is None
    assert P.late_decision_refusal(P.COERCIVE, D(2026, 1, 5), D(2026, 6, 1), None) is None


def test_transfer_checks():
    assert P.transfer_input_refusal(" ", "涉嫌犯罪").message == "请填写移送机关。"
    assert P.transfer_input_refusal("县公安局", "").message == "请填写移送理由。"
    assert P.transfer_state_refusal(state(status=P.CLOSED)).message == "本案已结案或已移送，不能移送。"
    assert P.transfer_state_refusal(state(imported=True)).rule == "PROC-FINISHED"
    assert P.transfer_date_refusal(state(last_date=D(2026, 5, 2)), D(2026, 5, 1)).message == (
        "日期2026-05-01早于本案上一步骤的日期2026-05-02。"
    )


# ---- the review and the live gate consult the same table --------------------------------------------


def _coercive(*events, decision=None) -> dict:
    from rules.builders import demolition_order

    base = [ev("discovered", "2025-03-01"), ev("filed", "2025-03-03")]
    return case([*base, *events], procedure="coercive", decision=decision or demolition_order())


# (need rule, the file before the step, the step, the decision it issues)
_WITHOUT = {
    "PEN-PRIOR-NOTICE": (
        general(notice=None, decided=None, served=None),
        ev("decided", "2025-03-20"),
        penalty(),
    ),
    "PEN-HEARING": (
        general(
            decided=None,
            served=None,
            notice=None,
            before_decision=[
                ev("notice_served", "2025-03-10", hearing_right=True),
                ev("hearing_requested", "2025-03-11"),
            ],
        ),
        ev("decided", "2025-03-20"),
        penalty(),
    ),
    "DEC-LEGAL-REVIEW": (
        general(decided=None, served=None, before_decision=[ev("collective_discussion", "2025-03-18")]),
        ev("decided", "2025-03-20"),
        penalty(major=True),
    ),
    "DEC-COLLECTIVE": (
        general(decided=None, served=None, before_decision=[ev("legal_review", "2025-03-18")]),
        ev("decided", "2025-03-20"),
        penalty(major=True),
    ),
    "COE-DEMOLITION-NOTICE": (
        _coercive(ev("decided", "2025-03-20"), ev("served", "2025-03-21")),
        ev("demolition_executed", "2026-06-01"),
        None,
    ),
    "COE-COURT-REMINDER": (
        _coercive(ev("decided", "2025-03-20"), ev("served", "2025-03-21")),
        ev("court_application", "2025-10-10"),
        None,
    ),
}


@pytest.mark.parametrize("rule", sorted(_WITHOUT))
def test_the_live_refusal_and_the_imported_files_finding_cite_the_tables_rule(rule, cal):
    need = P.need(rule)
    current, step, decision = _WITHOUT[rule]
    assert step["type"] in P.STEPS and need in P.STEPS[step["type"]].needs
    assert need.before not in {e["type"] for e in current["events"]}
    # Live: the engine's order lets the step through to the review gate, which refuses it ...
    events = tuple(e["type"] for e in current["events"])
    assert (
        P.check_order(P.CaseState(current["procedure"], events=events), step["type"], JUNE_1, TODAY) is None
    )
    live = {f.rule for f in rv.check_step(current, step, cal, decision) if f.severity == rv.DEFECT}
    # ... and an imported file with the same history gets the finding of the same rule.
    imported = rv.with_step(current, step, decision)
    found = {f.rule for f in rv.review_case(imported, cal)}
    assert rule in live and rule in found


def test_with_the_earlier_step_the_rule_is_silent(cal):
    assert rv.pen_prior_notice(general(), cal) is None
    assert rv.pen_prior_notice(general(notice=None), cal).rule == P.need("PEN-PRIOR-NOTICE").rule


def test_engine_checks_share_the_review_rules_ids(cal):
    # Fewer than two officers in the field: refused live, found in an imported file, one rule id.
    one = general(before_decision=[ev("investigated", "2025-03-05", actors=["O1"])])
    assert P.field_officers_refusal("investigated", 1).rule == rv.off_min_two(one, cal).rule
    same = general(roles={"handler": "L1", "legal_reviewer": "R1", "decider": "L1"})
    assert P.separation_refusal({"handler": "L1"}, "decider", "L1").rule == rv.dec_separation(same, cal).rule
    first = general(decision=penalty(first_violation=True, corrected_in_time=True, circumstance="minor"))
    assert (
        P.first_violation_refusal("penalty", True, True, "minor").rule
        == rv.pen_first_violation(first, cal).rule
    )
    late = general(filed="2025-01-02", notice="2025-04-01", decided="2025-04-10", served="2025-04-10")
    assert P.late_decision_refusal(P.GENERAL, D(2025, 1, 2), D(2025, 4, 10), None).rule == (
        rv.pen_decision_90d(late, cal).rule
    )

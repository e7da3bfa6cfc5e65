"""The live case gate, through the REST API and the case page's step forms (docs/case-gate.md):
for each statutory rule (LEGAL-RULES §5 and the gate's own rules) the unlawful step is refused
citing the article with nothing written, and its lawful twin is accepted. Boundary days use the
2026 calendar (国庆 10-01…10-07 off, Saturday 10-10 worked)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cases.fixtures import build_team
from cases.gate_harness import Channel, Gate
from zhifa.cases.models import Case
from zhifa.catalogue.models import Item
from zhifa.core.calendar import work_calendar

pytestmark = pytest.mark.django_db
PERSON = {"kind": "individual", "name": "张三"}
NOTICE = {"proposed_fine": 1000, "statement_days": 3, "hearing_right": False}


@pytest.fixture
def team(county):
    return build_team(county)


@pytest.fixture(params=["api", "form"])
def gate(request) -> Gate:
    return Gate(Channel(request.param))


def findings(case_id: int) -> set[str]:
    return {f["rule"] for f in Case.objects.get(pk=case_id).findings}


def filed(g: Gate, t, on: str = "2026-09-01", **open_kw) -> int:
    cid = g.ch.open(t.o1, opened_on=on, **open_kw)
    g.ok(t.decider, cid, "file", on)
    return cid


def noticed(g: Gate, t, on="2026-09-01", notice_on="2026-09-03", **notice) -> int:
    cid = filed(g, t, on)
    g.ok(t.o1, cid, "investigated", on, actors=["o1", "o2"])
    g.ok(t.o1, cid, "notice_served", notice_on, **{**NOTICE, **notice})
    return cid


def decided(g: Gate, t, decide_on="2026-09-10", fine=1000, **kw) -> int:
    cid = noticed(g, t)
    g.ok(t.decider, cid, "decide", decide_on, penalties=["fine"], fine=fine, circumstance="general", **kw)
    return cid


def fine_decision(fine=1000, **kw) -> dict:
    return {"penalties": ["fine"], "fine": fine, "circumstance": "general", **kw}


# ---- authority and officers ----------------------------------------------------------------------


def test_auth_not_held(gate, team):
    c = gate.ch.client(team.o1)
    r = c.post(
        "/api/cases/cases/",
        {"item_code": "Z100", "procedure": "general", "party": PERSON, "opened_on": "2026-09-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "第二十四条" in r.json()["error"]
    r = c.post(
        "/api/cases/cases/",
        {"item_code": "Z028", "procedure": "general", "party": PERSON, "opened_on": "2025-12-31"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "第二十四条" in r.json()["error"]  # held only from 2026-01-01
    assert Case.objects.count() == 0
    gate.ch.open(team.o1, item_code="Z028", opened_on="2026-01-01", party=PERSON)


def test_auth_entrust_expired(gate, team):
    cid = filed(gate, team, "2026-06-15", item_code="Z099")
    gate.refused(team.o1, cid, "investigated", "2026-07-01", "第二十条", actors=["o1", "o2"])
    gate.ok(team.o1, cid, "investigated", "2026-06-30", actors=["o1", "o2"])


def test_off_min_two(gate, team):
    cid = filed(gate, team)
    gate.refused(team.o1, cid, "investigated", "2026-09-02", "第四十二条", actors=["o1"])
    gate.ok(team.o1, cid, "investigated", "2026-09-02", actors=["o1", "o2"])


def test_off_cert_valid(gate, team):
    cid = filed(gate, team)
    gate.refused(team.o1, cid, "investigated", "2026-09-02", "第四十二条", actors=["o1", "o3"])  # expired
    gate.refused(team.o1, cid, "investigated", "2026-09-02", "第四十二条", actors=["o1", "aux"])  # auxiliary
    gate.ok(team.o1, cid, "investigated", "2026-09-02", actors=["o1", "sec"])  # seconded, certified


def test_dec_separation_review_by_the_legal_reviewer_only(gate, team):
    cid = noticed(gate, team)
    gate.refused(team.decider, cid, "legal_review", "2026-09-09", "第五十八条", passed=True)
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-09", passed=True)


# ---- legal review and collective discussion -------------------------------------------------------


def test_dec_legal_review_and_collective(gate, team):
    cid = noticed(gate, team)
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第五十八条", major=True, **fine_decision())
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-10", passed=True)
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第五十七条", major=True, **fine_decision())
    gate.ok(team.decider, cid, "collective_discussion", "2026-09-10", actors=["boss2"])
    gate.ok(team.decider, cid, "decide", "2026-09-10", major=True, **fine_decision())


def test_dec_review_failed(gate, team):
    cid = noticed(gate, team)
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-08", passed=True)
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-09", passed=False)  # a second review fails
    # Not major, yet reviewed and failed: no decision (处罚法 第58条).
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第五十八条", **fine_decision())
    gate.ok(team.decider, cid, "collective_discussion", "2026-09-10", actors=["boss2"])
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第五十八条", major=True, **fine_decision())
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-11", passed=True)
    gate.ok(team.decider, cid, "decide", "2026-09-11", major=True, **fine_decision())


def test_dec_collective_members(gate, team):
    cid = noticed(gate, team)
    gate.refused(team.decider, cid, "collective_discussion", "2026-09-09", "第五十七条")  # one leader
    gate.refused(team.decider, cid, "collective_discussion", "2026-09-09", "第五十七条", actors=["aux"])
    gate.refused(team.decider, cid, "collective_discussion", "2026-09-09", "第五十七条", actors=["o2"])
    gate.ok(team.decider, cid, "collective_discussion", "2026-09-09", actors=["boss2"])
    case = Case.objects.get(pk=cid)
    assert case.events.get(type="collective_discussion").actors == ["boss", "boss2"]  # who took part


# ---- simple procedure ----------------------------------------------------------------------------------


def test_pen_simple_limit(gate, team):
    cid = gate.ch.open(team.o1, procedure="simple", party=PERSON, opened_on="2026-09-01")
    kw = {"penalties": ["fine"], "circumstance": "minor", "actors": ["o1", "o2"]}
    gate.refused(team.o1, cid, "decide", "2026-09-01", "第五十一条", fine=201, **kw)
    gate.ok(team.o1, cid, "decide", "2026-09-01", fine=200, **kw)
    org = gate.ch.open(team.o1, procedure="simple", opened_on="2026-09-01")
    gate.refused(
        team.o1, org, "decide", "2026-09-01", "第五十一条", fine=3001, **{**kw, "circumstance": "general"}
    )
    gate.ok(team.o1, org, "decide", "2026-09-01", fine=3000, **{**kw, "circumstance": "general"})


def test_pen_simple_on_the_spot_same_day(gate, team):
    cid = gate.ch.open(team.o1, procedure="simple", party=PERSON, opened_on="2026-09-01")
    kw = {"penalties": ["warning"], "actors": ["o1", "o2"]}
    gate.refused(team.o1, cid, "decide", "2026-09-03", "第五十一条", "第五十二条", **kw)
    gate.refused(team.o1, cid, "decide", "2026-09-01", "第四十二条", penalties=["warning"], actors=["o1"])
    gate.ok(team.o1, cid, "decide", "2026-09-01", **kw)
    events = [e.type for e in Case.objects.get(pk=cid).events.order_by("seq")]
    assert events == ["discovered", "decided", "served"]  # handed over on the spot


# ---- prior notice, statement period, hearing --------------------------------------------------------


def test_pen_prior_notice(gate, team):
    cid = filed(gate, team)
    gate.ok(team.o1, cid, "investigated", "2026-09-02", actors=["o1", "o2"])
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第四十四条", **fine_decision())
    gate.ok(team.o1, cid, "notice_served", "2026-09-10", **NOTICE)
    gate.ok(team.decider, cid, "decide", "2026-09-16", **fine_decision())


def test_pen_statement_period_over_national_day(gate, team):
    # Notice on Friday 2026-09-25 with 5 working days: 09-28, 09-29, 09-30, 10-08, 10-09.
    cid = noticed(gate, team, notice_on="2026-09-25", statement_days=5)
    gate.refused(team.decider, cid, "decide", "2026-10-09", "第四十五条", "第六十二条", **fine_decision())
    gate.ok(team.decider, cid, "decide", "2026-10-10", **fine_decision())  # 调休 Saturday, worked


def test_pen_statement_period_waiver(gate, team):
    cid = noticed(gate, team)
    gate.refused(team.decider, cid, "decide", "2026-09-04", "第四十五条", **fine_decision())
    gate.ok(team.o1, cid, "statement_received", "2026-09-04", waived=True)
    gate.ok(team.decider, cid, "decide", "2026-09-04", **fine_decision())


def test_pen_hearing(gate, team):
    cid = noticed(gate, team, proposed_fine=3000, statement_days=5, hearing_right=True)
    gate.ok(team.o1, cid, "hearing_requested", "2026-09-07")
    gate.refused(team.decider, cid, "decide", "2026-09-14", "第六十四条", **fine_decision(3000))
    gate.ok(team.o1, cid, "hearing_held", "2026-09-14")
    # a heard case needs a passed legal review (第58条)
    gate.refused(team.decider, cid, "decide", "2026-09-15", "第五十八条", **fine_decision(3000))
    gate.ok(team.reviewer, cid, "legal_review", "2026-09-15", passed=True)
    gate.ok(team.decider, cid, "decide", "2026-09-15", **fine_decision(3000))


def test_pen_notice_period(gate, team):
    cid = filed(gate, team)
    for days in (0, 10**20, 31):
        gate.refused(
            team.o1, cid, "notice_served", "2026-09-03", "第四十五条", **{**NOTICE, "statement_days": days}
        )
    gate.ok(team.o1, cid, "notice_served", "2026-09-03", **{**NOTICE, "statement_days": 1})
    gate.ok(team.o1, cid, "notice_served", "2026-09-04", **{**NOTICE, "statement_days": 30})


def test_pen_heavier_than_notice(gate, team):
    cid = noticed(gate, team)  # proposes 1000 yuan
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第四十五条", **fine_decision(2000))
    # a new notice with its own statement period allows the heavier fine
    gate.ok(team.o1, cid, "notice_served", "2026-09-10", **{**NOTICE, "proposed_fine": 2000})
    gate.refused(team.decider, cid, "decide", "2026-09-15", "第四十五条", **fine_decision(2000))  # inside it
    gate.ok(team.decider, cid, "decide", "2026-09-16", **fine_decision(2000))


def test_lighter_than_notice_is_lawful(gate, team):
    cid = noticed(gate, team)
    gate.ok(team.decider, cid, "decide", "2026-09-10", **fine_decision(800))


# ---- discretion, statute, first violation, limitation ------------------------------------------------


def test_pen_discretion(gate, team):
    cid = noticed(gate, team, proposed_fine=5000)
    text = gate.refused(team.decider, cid, "decide", "2026-09-10", "第三十四条", **fine_decision(5000))
    assert "一般" in text and "general" not in text  # Chinese tier, never the code
    gate.ok(
        team.decider,
        cid,
        "decide",
        "2026-09-10",
        deviation_reason="多次违法，从重处罚",
        **fine_decision(5000),
    )


def test_pen_discretion_tier_required(gate, team):
    cid = noticed(gate, team)
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第三十四条", penalties=["fine"], fine=1000)
    gate.ok(team.decider, cid, "decide", "2026-09-10", **fine_decision(1000))


def test_pen_statutory_max(gate, team):
    Item.objects.filter(code="Z028").update(fine_statutory_min=Decimal(0), fine_statutory_max=Decimal(10000))
    cid = noticed(gate, team, proposed_fine=20000)
    reason = {"deviation_reason": "情节特别严重"}
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第七十六条", **reason, **fine_decision(10000.01))
    gate.ok(team.decider, cid, "decide", "2026-09-10", **reason, **fine_decision(10000))


def test_pen_first_violation(gate, team):
    cid = noticed(gate, team)
    flags = {"first_violation": True, "corrected_in_time": True}
    gate.refused(
        team.decider,
        cid,
        "decide",
        "2026-09-10",
        "第三十三条",
        **{**fine_decision(200), "circumstance": "minor"},
        **flags,
    )
    gate.ok(team.decider, cid, "decide", "2026-09-10", kind="no_penalty", circumstance="minor", **flags)


def test_pen_limitation(gate, team):
    # ended 2024-08-31: the 2 years end on 2026-08-31, discovered 2026-09-01 is too late
    old = {"began": "2024-08-01", "ended": "2024-08-31", "grave_harm": False}
    cid = gate.ch.open(team.o1, opened_on="2026-09-01", violation=old)
    gate.ok(team.decider, cid, "file", "2026-09-01")
    gate.ok(team.o1, cid, "notice_served", "2026-09-03", **NOTICE)
    gate.refused(team.decider, cid, "decide", "2026-09-10", "第三十六条", **fine_decision())
    gate.ok(team.decider, cid, "decide", "2026-09-10", kind="no_penalty", circumstance="general")
    recent = {"began": "2024-08-01", "ended": "2024-09-01", "grave_harm": False}
    cid2 = gate.ch.open(team.o1, opened_on="2026-09-01", violation=recent)
    gate.ok(team.decider, cid2, "file", "2026-09-01")
    gate.ok(team.o1, cid2, "notice_served", "2026-09-03", **NOTICE)
    gate.ok(team.decider, cid2, "decide", "2026-09-10", **fine_decision())


def test_pen_remedy_notice_is_written_by_the_engine(gate, team):
    cid = decided(gate, team)
    rn = Case.objects.get(pk=cid).decision["remedy_notice"]
    assert rn["reconsideration_days"] == 60 and rn["litigation_months"] == 6 and rn["court"]


# ---- service, payment, surcharge ------------------------------------------------------------------


def test_pen_surcharge(gate, team):
    cid = decided(gate, team)
    gate.ok(team.o1, cid, "served", "2026-09-14", method="in_person")
    # due 2026-09-29; on 10-09 ten days overdue: at most 3 % × 10 × 1000 = 300
    gate.refused(team.o1, cid, "paid", "2026-10-09", "第七十二条", amount=1000, surcharge=300.01)
    gate.ok(team.o1, cid, "paid", "2026-10-09", amount=1000, surcharge=300)


def test_pen_surcharge_unserved(gate, team):
    cid = decided(gate, team)
    gate.refused(team.o1, cid, "paid", "2026-10-09", "第七十二条", amount=1000, surcharge=10)
    gate.ok(team.o1, cid, "paid", "2026-10-09", amount=1000, surcharge=0)


def test_coe_reminder_early(gate, team):
    cid = decided(gate, team)
    gate.refused(
        team.o1, cid, "reminder_served", "2026-09-11", "第五十四条", deadline="2026-09-30"
    )  # unserved
    gate.ok(team.o1, cid, "served", "2026-09-14", method="in_person")
    gate.refused(
        team.o1, cid, "reminder_served", "2026-09-29", "第五十四条", deadline="2026-10-15"
    )  # due day
    gate.ok(team.o1, cid, "reminder_served", "2026-09-30", deadline="2026-10-15")


# ---- late facts: recordable, flagged at once -------------------------------------------------------


def test_late_service_and_disclosure_are_recorded_with_their_findings(gate, team):
    cid = decided(gate, team, decide_on="2026-09-30")
    deadline = work_calendar().add_workdays(dt.date(2026, 9, 30), 7)
    assert deadline == dt.date(2026, 10, 15)  # 国庆, and Saturday 10-10 is worked
    gate.ok(team.o1, cid, "served", "2026-10-16", method="mail")
    assert "PEN-SERVICE-7WD" in findings(cid)
    gate.ok(team.o1, cid, "disclosed", "2026-10-16")
    assert "PEN-DISCLOSE-7WD" in findings(cid)


def test_service_on_the_last_day_is_in_time(gate, team):
    cid = decided(gate, team, decide_on="2026-09-30")
    gate.ok(team.o1, cid, "served", "2026-10-15", method="mail")
    gate.ok(team.o1, cid, "disclosed", "2026-10-15")
    assert not {"PEN-SERVICE-7WD", "PEN-DISCLOSE-7WD"} & findings(cid)


def test_decision_after_day_90_needs_a_reason(gate, team):
    cid = noticed(gate, team, on="2026-06-01", notice_on="2026-06-03")  # day 90 is 2026-08-30
    gate.refused(team.decider, cid, "decide", "2026-08-31", "第六十条", **fine_decision())
    gate.ok(
        team.decider,
        cid,
        "decide",
        "2026-08-31",
        late_reason="当事人申请延期听证，经批准延长",
        **fine_decision(),
    )
    case = Case.objects.get(pk=cid)
    assert "PEN-DECISION-90D" in findings(cid)
    assert "延期听证" in case.events.get(type="decided").note


def test_decision_on_day_90_needs_no_reason(gate, team):
    cid = noticed(gate, team, on="2026-06-01", notice_on="2026-06-03")
    gate.ok(team.decider, cid, "decide", "2026-08-30", **fine_decision())
    assert "PEN-DECISION-90D" not in findings(cid)


# ---- coercive measures ---------------------------------------------------------------------------


def seized(g: Gate, t, item="Z028", on="2026-09-01") -> int:
    cid = g.ch.open(t.o1, procedure="coercive", opened_on=on, item_code=item)
    g.ok(t.decider, cid, "file", on)
    return cid


SEIZE = {"measure": "seizure", "term_days": 30, "items": "餐车1辆", "actors": ["o1", "o2"]}


def test_coe_seizure_term_and_extension(gate, team):
    cid = seized(gate, team)
    gate.refused(team.o1, cid, "seizure_started", "2026-09-01", "第二十五条", **{**SEIZE, "term_days": 31})
    gate.ok(team.o1, cid, "seizure_started", "2026-09-01", **SEIZE)
    # 30 days end on 2026-10-01: an extension on 10-02 is void, the measure must be lifted
    text = gate.refused(team.decider, cid, "seizure_extended", "2026-10-02", "第二十五条", days=30)
    assert "不得延长" in text
    gate.refused(team.decider, cid, "seizure_extended", "2026-10-01", "第二十五条", days=31)
    gate.refused(team.o1, cid, "seizure_extended", "2026-10-01", "负责人", days=30)  # not a leader
    gate.ok(team.decider, cid, "seizure_extended", "2026-10-01", days=30)
    gate.ok(team.o1, cid, "seizure_ended", "2026-10-31", outcome="released")
    assert "COE-SEIZURE-30D" not in findings(cid)


def test_coe_lifting_late_is_recorded_with_its_finding(gate, team):
    cid = seized(gate, team)
    gate.ok(team.o1, cid, "seizure_started", "2026-09-01", **SEIZE)
    gate.ok(team.o1, cid, "seizure_ended", "2026-10-05", outcome="released")
    assert "COE-SEIZURE-30D" in findings(cid)


def test_coe_entrusted_measure(gate, team):
    cid = seized(gate, team, item="Z099", on="2026-03-02")
    gate.refused(team.o1, cid, "seizure_started", "2026-03-02", "第十七条", **SEIZE)
    cid2 = seized(gate, team, item="Z028", on="2026-03-02")
    gate.ok(team.o1, cid2, "seizure_started", "2026-03-02", **SEIZE)


def demolition_served(g: Gate, t) -> int:
    cid = seized(g, t, on="2026-01-05")
    g.ok(t.o1, cid, "investigated", "2026-01-06", actors=["o1", "o2"])
    g.ok(t.reviewer, cid, "legal_review", "2026-01-15", passed=True)
    g.ok(t.decider, cid, "collective_discussion", "2026-01-16", actors=["boss2"])
    g.ok(t.decider, cid, "decide", "2026-01-20", kind="demolition_order", major=True)
    g.ok(t.o1, cid, "served", "2026-01-21", method="in_person")
    return cid


def test_coe_demolition_notice_deadline_and_execution(gate, team):
    cid = demolition_served(gate, team)
    gate.refused(team.o1, cid, "demolition_notice", "2026-07-22", "第四十四条", deadline="2026-07-21")
    gate.refused(team.o1, cid, "demolition_notice", "2026-07-22", "第四十四条", deadline="2026-07-22")
    gate.refused(team.o1, cid, "demolition_notice", "2026-07-22", "deadline", deadline="2026/08/05")
    gate.ok(team.o1, cid, "demolition_notice", "2026-07-22", deadline="2026-08-05")
    gate.refused(team.o1, cid, "demolition_executed", "2026-08-05", "第四十四条", actors=["o1", "o2"])
    gate.ok(team.o1, cid, "demolition_executed", "2026-08-06", actors=["o1", "o2"])


def test_coe_demolition_remedy_period(gate, team):
    cid = demolition_served(gate, team)  # served 2026-01-21: remedies open until 2026-07-21
    gate.ok(team.o1, cid, "demolition_notice", "2026-06-01", deadline="2026-06-15")
    gate.refused(team.o1, cid, "demolition_executed", "2026-07-21", "第四十四条", actors=["o1", "o2"])
    gate.ok(team.o1, cid, "demolition_executed", "2026-07-22", actors=["o1", "o2"])


def penalty_served_in_april(g: Gate, t) -> int:
    cid = noticed(g, t, on="2026-03-20", notice_on="2026-03-23")
    g.ok(t.decider, cid, "decide", "2026-03-31", **fine_decision())
    g.ok(t.o1, cid, "served", "2026-04-01", method="in_person")  # litigation period ends 10-08 (国庆)
    return cid


def test_coe_court_window(gate, team):
    cid = penalty_served_in_april(gate, team)
    gate.ok(team.o1, cid, "reminder_served", "2026-09-01", deadline="2026-09-15")
    court = {"court": "县人民法院", "amount": 1000, "surcharge": 0}
    gate.refused(team.o1, cid, "court_application", "2026-10-08", "第五十三条", **court)
    gate.ok(team.o1, cid, "court_application", "2026-10-09", **court)


def test_coe_court_reminder(gate, team):
    cid = penalty_served_in_april(gate, team)
    court = {"court": "县人民法院", "amount": 1000, "surcharge": 0}
    gate.refused(team.o1, cid, "court_application", "2026-10-09", "第五十四条", **court)  # no reminder
    # reminder 10-09: ten working days 10-10 (Sat, worked), 10-12 … 10-22
    gate.ok(team.o1, cid, "reminder_served", "2026-10-09", deadline="2026-10-20")
    gate.refused(team.o1, cid, "court_application", "2026-10-22", "第五十四条", **court)
    gate.ok(team.o1, cid, "court_application", "2026-10-23", **court)

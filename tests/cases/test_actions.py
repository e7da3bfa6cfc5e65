"""The case engine: each procedure from start to close, and the unlawful steps it refuses."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.fixtures import build_team
from zhifa.cases import actions as A
from zhifa.cases.models import Case, CaseEvent
from zhifa.cases.services import refresh_findings, to_casefile
from zhifa.core.models import AuditEntry
from zhifa.rules.casefile import validate_case

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司", "address": "城关镇解放路12号"}


@pytest.fixture
def team(county):
    return build_team(county)


def open_general(team, on: dt.date | None = None, item: str = "Z028", **kw) -> Case:
    on = on or D(2026, 9, 1)
    return A.do_open_case(team.o1, item_code=item, procedure="general", party=SHOP, opened_on=on, **kw)


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(A.StepRefused) as exc:
        fn(*args, **kwargs)
    return " ".join(exc.value.messages)


def test_general_procedure_from_filing_to_closing(team):
    case = open_general(team, violation={"began": "2026-08-28", "ended": None, "grave_harm": False})
    assert case.number == "T01-2026-0001" and case.handler == "o1"
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    # Deciding inside the statement period (ends 2026-09-10) is refused, citing the article.
    msg = refused(A.do_decide, team.decider, case, D(2026, 9, 9), fine=1000, circumstance="general")
    assert "第四十五条" in msg and "2026-09-10" in msg
    A.do_legal_review(team.reviewer, case, D(2026, 9, 11), passed=True)
    A.do_decide(team.decider, case, D(2026, 9, 11), fine=1000, circumstance="general")
    A.do_add_event(team.o1, case, "served", D(2026, 9, 14), fields={"method": "in_person"})
    A.do_add_event(team.o1, case, "disclosed", D(2026, 9, 15))
    A.do_add_event(team.aux, case, "paid", D(2026, 9, 20), fields={"amount": 1000, "surcharge": 0})
    A.do_close(team.o1, case, D(2026, 9, 21))
    case.refresh_from_db()
    assert case.status == Case.CLOSED
    obj = to_casefile(case)
    assert validate_case(obj) == []
    assert obj["roles"] == {"handler": "o1", "legal_reviewer": "rev", "decider": "boss"}
    assert obj["decision"]["benchmark"] == {"min": 500, "max": 3000}
    assert obj["decision"]["remedy_notice"]["litigation_months"] == 6
    assert obj["decision"]["doc_no"] == "东城综执罚决字〔2026〕第1号"  # from the documents counter
    assert [e["type"] for e in obj["events"]][-3:] == ["disclosed", "paid", "closed"]
    assert case.findings == []
    # Every step is in the audit log.
    assert AuditEntry.objects.filter(model="cases.CaseEvent").count() == CaseEvent.objects.count()


def test_no_step_before_filing_and_closed_case_is_frozen(team):
    case = open_general(team)
    msg = refused(A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    assert "尚未立案" in msg and "第五十四条" in msg
    assert "负责人" in refused(A.do_file, team.o1, case, D(2026, 9, 1))


def test_handler_reviewer_decider_are_three_people(team):
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_legal_review(team.reviewer, case, D(2026, 9, 3))
    # The reviewer later becomes a leader: still cannot decide the case he reviewed.
    team.reviewer.role = "decider"
    team.reviewer.save()
    msg = refused(A.do_decide, team.reviewer, case, D(2026, 9, 4), kind="no_penalty", penalties=[])
    assert "三个不同的人" in msg and "第五十七条" in msg
    # The handler cannot review his own case either.
    team.o1.role = "legal_reviewer"
    team.o1.save()
    assert "三个不同的人" in refused(A.do_legal_review, team.o1, case, D(2026, 9, 4))


def test_expired_certificate_cannot_act(team):
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 1))
    msg = refused(A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o3])
    assert "有效期至2026-06-30" in msg and "第四十二条" in msg
    assert "有效期至" in refused(
        A.do_open_case, team.o3, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1)
    )
    # Before expiry the same officer may act.
    early = open_general(team, on=D(2026, 3, 2))
    A.do_file(team.decider, early, D(2026, 3, 2))
    A.do_add_event(team.o1, early, "investigated", D(2026, 3, 3), actors=[team.o1, team.o3])


def test_two_officers_and_no_auxiliary(team):
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 1))
    assert "两名以上" in refused(
        A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1]
    )
    assert "未持有执法证件" in refused(
        A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.aux]
    )
    assert "不属于" in refused(
        A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.other]
    )
    # A seconded officer (dual management) may act as officer.
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.sec])


def test_item_not_held_refused(team):
    msg = refused(open_general, team, item="Z100")
    assert "无权办理" in msg and "第二十四条" in msg
    assert Case.objects.count() == 0


def test_expired_entrustment_refused(team):
    msg = refused(open_general, team, item="Z099", on=D(2026, 9, 1))
    assert "委托已过期" in msg and "第二十条" in msg
    case = open_general(team, item="Z099", on=D(2026, 6, 1))
    assert case.authority["source"] == "entrusted"
    assert case.authority["entrustment"]["doc_no"] == "林委〔2026〕1号"
    A.do_file(team.decider, case, D(2026, 6, 1))
    # Acting after the entrustment ended (2026-06-30) is refused.
    msg = refused(A.do_add_event, team.o1, case, "investigated", D(2026, 7, 1), actors=[team.o1, team.o2])
    assert "委托已过期" in msg


def _to_decision(team) -> Case:
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 3),
        # the notice proposes the heaviest fine a test below decides (处罚法 第44条, 第45条第2款)
        fields={"proposed_fine": 5000, "statement_days": 3, "hearing_right": False},
    )
    return case


def test_discretion_range_and_recorded_reason(team):
    case = _to_decision(team)
    msg = refused(A.do_decide, team.decider, case, D(2026, 9, 10), fine=5000, circumstance="general")
    assert "裁量基准" in msg and "第三十四条" in msg
    A.do_decide(
        team.decider,
        case,
        D(2026, 9, 10),
        fine=5000,
        circumstance="general",
        deviation_reason="多次违法，依第三十二条从重",
        major=False,
    )
    case.refresh_from_db()
    assert case.decision["deviation_reason"].startswith("多次违法")


def test_first_violation_exemption(team):
    case = _to_decision(team)
    msg = refused(
        A.do_decide,
        team.decider,
        case,
        D(2026, 9, 10),
        fine=200,
        circumstance="minor",
        first_violation=True,
        corrected_in_time=True,
    )
    assert "第三十三条" in msg
    A.do_decide(
        team.decider,
        case,
        D(2026, 9, 10),
        kind="no_penalty",
        penalties=[],
        circumstance="minor",
        first_violation=True,
        corrected_in_time=True,
        note="已进行批评教育",
    )
    case.refresh_from_db()
    assert case.decision["kind"] == "no_penalty" and case.decision["fine"] == 0


def test_major_case_needs_review_and_discussion(team):
    case = _to_decision(team)
    msg = refused(A.do_decide, team.decider, case, D(2026, 9, 10), fine=3000, major=True)
    assert "第五十八条" in msg
    A.do_legal_review(team.reviewer, case, D(2026, 9, 10))
    A.do_add_event(team.decider, case, "collective_discussion", D(2026, 9, 10), actors=[team.decider2])
    A.do_decide(team.decider, case, D(2026, 9, 10), fine=3000, major=True)


def test_service_electronic_needs_consent(team):
    case = _to_decision(team)
    A.do_decide(team.decider, case, D(2026, 9, 10), fine=1000)
    msg = refused(A.do_add_event, team.o1, case, "served", D(2026, 9, 11), fields={"method": "electronic"})
    assert "书面同意" in msg and "第六十一条" in msg
    A.do_add_event(team.o1, case, "served", D(2026, 9, 11), fields={"method": "electronic", "consent": True})


def test_hearing_requested_must_be_held(team):
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 3),
        fields={"proposed_fine": 3000, "statement_days": 5, "hearing_right": True},
    )
    A.do_add_event(team.o1, case, "hearing_requested", D(2026, 9, 7))
    msg = refused(A.do_decide, team.decider, case, D(2026, 9, 14), fine=3000)
    assert "听证" in msg and "第六十四条" in msg


def test_simple_procedure_limits_and_on_the_spot_service(team):
    person = {"kind": "individual", "name": "张三"}
    case = A.do_open_case(
        team.o1, item_code="Z028", procedure="simple", party=person, opened_on=D(2026, 9, 1)
    )
    msg = refused(
        A.do_decide,
        team.o1,
        case,
        D(2026, 9, 1),
        fine=500,
        circumstance="general",
        on_spot_officers=[team.o1, team.o2],
    )
    assert "第五十一条" in msg
    A.do_decide(
        team.o1,
        case,
        D(2026, 9, 1),
        penalties=["fine"],
        fine=200,
        circumstance="minor",
        on_spot_officers=[team.o1, team.o2],
    )
    obj = to_casefile(Case.objects.get(pk=case.pk))
    assert [e["type"] for e in obj["events"]] == ["discovered", "decided", "served"]
    assert obj["events"][1]["on_spot"] is True and obj["events"][2]["date"] == "2026-09-01"
    assert "简易程序案件没有" in refused(A.do_file, team.decider, case, D(2026, 9, 2))


def test_inspection_with_rectification_and_reinspection(team):
    case = A.do_open_case(
        team.o1,
        item_code="Z028",
        procedure="inspection",
        party=SHOP,
        opened_on=D(2026, 9, 1),
        source="巡查发现",
    )
    A.do_add_event(
        team.o1,
        case,
        "inspected",
        D(2026, 9, 1),
        actors=[team.o1, team.o2],
        fields={"result": "non_compliant"},
    )
    assert "尚未责令改正" in refused(
        A.do_add_event,
        team.o1,
        case,
        "reinspected",
        D(2026, 9, 2),
        actors=[team.o1, team.o2],
        fields={"result": "compliant"},
    )
    A.do_add_event(team.o1, case, "rectification_ordered", D(2026, 9, 1), fields={"deadline": "2026-09-15"})
    A.do_add_event(
        team.o1,
        case,
        "reinspected",
        D(2026, 9, 16),
        actors=[team.o1, team.o2],
        fields={"result": "compliant"},
    )
    A.do_close(team.o1, case, D(2026, 9, 16))
    case.refresh_from_db()
    assert case.status == Case.CLOSED and case.findings == []


def test_seizure_term_extension_and_inventory(team):
    case = A.do_open_case(
        team.o1, item_code="Z028", procedure="coercive", party=SHOP, opened_on=D(2026, 9, 1)
    )
    A.do_file(team.decider, case, D(2026, 9, 1))
    base = {"measure": "seizure", "term_days": 30}
    assert "财物清单" in refused(
        A.do_add_event,
        team.o1,
        case,
        "seizure_started",
        D(2026, 9, 1),
        actors=[team.o1, team.o2],
        fields={**base, "items": ""},
    )
    assert "三十日" in refused(
        A.do_add_event,
        team.o1,
        case,
        "seizure_started",
        D(2026, 9, 1),
        actors=[team.o1, team.o2],
        fields={**base, "term_days": 45, "items": "三轮车1辆"},
    )
    A.do_add_event(
        team.o1,
        case,
        "seizure_started",
        D(2026, 9, 1),
        actors=[team.o1, team.o2],
        fields={**base, "items": "三轮车1辆、遮阳棚1个"},
    )
    A.do_add_event(team.decider, case, "seizure_extended", D(2026, 9, 28), fields={"days": 30})
    ev = A.do_add_event(team.o1, case, "seizure_ended", D(2026, 10, 20), fields={"outcome": "released"})
    assert ev.payload == {"outcome": "released"}
    obj = to_casefile(Case.objects.get(pk=case.pk))
    ext = next(e for e in obj["events"] if e["type"] == "seizure_extended")
    assert ext["approved_by"] == "boss" and ext["actors"] == ["boss"]


def test_transfer_to_police(team):
    case = open_general(team)
    A.do_transfer(team.o1, case, D(2026, 9, 2), to="县公安局", police=True, reason="涉嫌犯罪")
    case.refresh_from_db()
    assert case.status == Case.TRANSFERRED and case.transfer["police"] is True
    assert "已移送" in refused(A.do_file, team.decider, case, D(2026, 9, 3))
    # The exchange format has no transfer event: the export stays valid.
    assert validate_case(to_casefile(case)) == []


def test_findings_warn_before_deadline_and_defect_after(team):
    case = _to_decision(team)
    A.do_decide(team.decider, case, D(2026, 9, 10), fine=1000)
    case.refresh_from_db()
    warn = refresh_findings(case, today=D(2026, 9, 17))  # due 09-21, 2 working days away
    assert any(f["rule"] == "PEN-SERVICE-7WD" and f["kind"] == "deadline" for f in warn)
    # Today (long after 7 working days) the missing service is a defect.
    later = refresh_findings(case, today=D(2026, 11, 1))
    assert any(f["rule"] == "PEN-SERVICE-7WD" and f["severity"] == "defect" for f in later)


def test_refused_step_changes_nothing(team):
    case = _to_decision(team)
    n = CaseEvent.objects.count()
    refused(A.do_decide, team.decider, case, D(2026, 9, 4), fine=1000)
    assert CaseEvent.objects.count() == n
    case.refresh_from_db()
    assert case.decision is None and case.decider == "boss"


def test_dates_in_order_and_not_in_future(team):
    case = open_general(team)
    A.do_file(team.decider, case, D(2026, 9, 3))
    assert "时间顺序" in refused(
        A.do_add_event, team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2]
    )
    assert "不能晚于今天" in refused(
        A.do_add_event, team.o1, case, "investigated", D(2099, 1, 2), actors=[team.o1, team.o2]
    )


def test_open_case_input_errors_in_chinese(team):
    msg = refused(
        A.do_open_case,
        team.o1,
        item_code="Z028",
        procedure="general",
        party={"kind": "x", "name": " "},
        opened_on=D(2026, 9, 1),
        violation={"began": "2026-09-05", "ended": "2026-09-01", "grave_harm": False},
    )
    assert (
        "当事人类型" in msg and "当事人姓名或名称" in msg and "晚于受理日期" in msg and "早于开始日期" in msg
    )
    assert "请选择程序" in refused(
        A.do_open_case, team.o1, item_code="Z028", procedure="fast", party=SHOP, opened_on=D(2026, 9, 1)
    )
    assert Case.objects.count() == 0


def test_decision_announced_to_present_party_is_served_at_once(team):
    case = _to_decision(team)
    A.do_decide(team.decider, case, D(2026, 9, 10), fine=1000, party_present=True)
    obj = to_casefile(Case.objects.get(pk=case.pk))
    assert [(e["type"], e["date"]) for e in obj["events"][-2:]] == [
        ("decided", "2026-09-10"),
        ("served", "2026-09-10"),
    ]
    assert obj["events"][-1]["method"] == "in_person"


def test_a_step_loads_the_case_through_the_write_scope(team):
    """Every step loads its case by `Case.objects.restrict(user, "change")`: an officer of
    another township and a procurator (read only) find nothing to change, and nothing is stored."""
    case = open_general(team)
    before = CaseEvent.objects.filter(case=case).count()
    for outsider in (team.other, team.procurator):
        assert "不在您可办理的范围内" in refused(A.do_file, outsider, case, D(2026, 9, 1))
        assert "不在您可办理的范围内" in refused(A.do_close, outsider, case.pk, D(2026, 9, 1))
        assert "不在您可办理的范围内" in refused(
            A.do_add_event, outsider, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2]
        )
    assert CaseEvent.objects.filter(case=case).count() == before
    # The same call by the township's own decider goes through.
    A.do_file(team.decider, case, D(2026, 9, 1))
    assert CaseEvent.objects.filter(case=case).count() == before + 1

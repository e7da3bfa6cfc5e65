"""More procedures through the engine: from a routed report, deadlines across 春节 with the DB
calendar, demolition orders and court enforcement refused when premature."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.fixtures import build_team
from zhifa.cases import actions as A
from zhifa.cases.models import Case
from zhifa.cases.services import case_deadlines

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


@pytest.fixture
def team(county):
    return build_team(county)


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(A.StepRefused) as exc:
        fn(*args, **kwargs)
    return " ".join(exc.value.messages)


def filed(team, on: dt.date, procedure: str = "general") -> Case:
    case = A.do_open_case(team.o1, item_code="Z028", procedure=procedure, party=SHOP, opened_on=on)
    A.do_file(team.decider, case, on)
    return case


def test_open_from_routed_report(team):
    from zhifa.dispatch.models import Report

    grid = team.o1.__class__.objects.create_user(
        username="grid1", password="x", role="grid_worker", township=team.t1, county=team.county
    )
    Report.objects.create(
        county=team.county,
        tracking_code="R20260901A",
        channel="mobile",
        text="人行道上有人摆摊占道经营",
        lon=112.1,
        lat=37.1,
        wgs_lon=112.1,
        wgs_lat=37.1,
        township=team.t1,
        handler_township=team.t1,
        item_code="Z028",
        reported_by=grid,
        reported_at=timezone.now(),
    )
    case = A.do_open_case_from_report(
        team.o1, "R20260901A", procedure="general", party=SHOP, opened_on=D(2026, 9, 1)
    )
    assert case.item_code == "Z028" and case.source_report == "R20260901A"
    assert case.events.get().payload == {"source": "网格员上报"}
    assert "已经立案" in refused(
        A.do_open_case_from_report,
        team.o1,
        "R20260901A",
        procedure="general",
        party=SHOP,
        opened_on=D(2026, 9, 1),
    )
    # Another township's officer cannot even see the report.
    assert "不存在或不在您的管辖范围内" in refused(
        A.do_open_case_from_report,
        team.other,
        "R20260901A",
        procedure="general",
        party=SHOP,
        opened_on=D(2026, 9, 1),
    )


def test_statement_period_across_spring_festival(team):
    # Notice on Thu 2026-02-12 with hearing rights: 5 working days are 02-13, 02-14 (调休 Saturday),
    # 02-24, 02-25, 02-26 (春节 02-15…23). Deciding on 02-26 is refused, on 02-27 allowed.
    case = filed(team, D(2026, 2, 2))
    A.do_add_event(team.o1, case, "investigated", D(2026, 2, 3), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 2, 12),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": True},
    )
    due = {d.rule: d.due for d in case_deadlines(case, D(2026, 2, 12))}
    assert due["PEN-STATEMENT-PERIOD"] == D(2026, 2, 26) and due["PEN-HEARING"] == D(2026, 2, 26)
    msg = refused(A.do_decide, team.decider, case, D(2026, 2, 26), fine=1000)
    assert "2026-02-26" in msg and "第八十五条" in msg
    A.do_decide(team.decider, case, D(2026, 2, 27), fine=1000)
    # Service within 7 working days of 02-27: 02-28 (调休 Saturday), 03-02 … 03-06, 03-09.
    due = {d.rule: d.due for d in case_deadlines(Case.objects.get(pk=case.pk), D(2026, 2, 27))}
    assert due["PEN-SERVICE-7WD"] == D(2026, 3, 9)


def test_demolition_before_remedy_period_refused(team):
    case = filed(team, D(2026, 1, 5), procedure="coercive")
    A.do_add_event(team.o1, case, "investigated", D(2026, 1, 6), actors=[team.o1, team.o2])
    A.do_decide(team.decider, case, D(2026, 1, 20), kind="demolition_order", penalties=[], circumstance=None)
    A.do_add_event(team.o1, case, "served", D(2026, 1, 21), fields={"method": "in_person"})
    A.do_add_event(team.o1, case, "demolition_notice", D(2026, 2, 2), fields={"deadline": "2026-02-12"})
    msg = refused(
        A.do_add_event, team.o1, case, "demolition_executed", D(2026, 3, 2), actors=[team.o1, team.o2]
    )
    assert "第四十四条" in msg


def test_court_application_needs_reminder_and_window(team):
    case = filed(team, D(2026, 1, 5))
    A.do_add_event(team.o1, case, "investigated", D(2026, 1, 6), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 1, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_decide(team.decider, case, D(2026, 1, 13), fine=1000)
    A.do_add_event(team.o1, case, "served", D(2026, 1, 14), fields={"method": "in_person"})
    A.do_add_event(team.o1, case, "disclosed", D(2026, 1, 15))
    court = {"court": "测试县人民法院", "amount": 1000, "surcharge": 0}
    msg = refused(A.do_add_event, team.o1, case, "court_application", D(2026, 3, 2), fields=court)
    assert "第五十三条" in msg or "第五十四条" in msg


def test_refresh_command_turns_missed_deadline_into_defect(team):
    import io

    from django.core.management import call_command

    case = filed(team, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 3),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_decide(team.decider, case, D(2026, 9, 9), fine=1000)
    Case.objects.filter(pk=case.pk).update(findings=[])  # as if reviewed before the deadline passed
    out = io.StringIO()
    call_command("refresh_case_findings", stdout=out)
    assert "已审查1件未结案件" in out.getvalue()
    rules = {f["rule"] for f in Case.objects.get(pk=case.pk).findings if f["severity"] == "defect"}
    assert {"PEN-SERVICE-7WD"} <= rules


def test_late_payment_surcharge_capped(team):
    case = filed(team, D(2026, 1, 5))
    A.do_add_event(team.o1, case, "investigated", D(2026, 1, 6), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 1, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_decide(team.decider, case, D(2026, 1, 13), fine=1000)
    A.do_add_event(team.o1, case, "served", D(2026, 1, 14), fields={"method": "mail"})
    # Due 2026-01-29 (served + 15 days); paid 2026-02-03 = 5 days late: at most 3 % × 5 × 1000 = 150.
    msg = refused(
        A.do_add_event, team.o1, case, "paid", D(2026, 2, 3), fields={"amount": 1000, "surcharge": 300}
    )
    assert "第七十二条" in msg
    A.do_add_event(team.o1, case, "paid", D(2026, 2, 3), fields={"amount": 1000, "surcharge": 150})


def test_demolition_order_from_filing_to_closing(team):
    case = filed(team, D(2026, 1, 5), procedure="coercive")
    A.do_add_event(team.o1, case, "investigated", D(2026, 1, 6), actors=[team.o1, team.o2])
    A.do_legal_review(team.reviewer, case, D(2026, 1, 15))
    A.do_add_event(team.decider, case, "collective_discussion", D(2026, 1, 16), actors=[team.decider2])
    A.do_decide(
        team.decider,
        case,
        D(2026, 1, 20),
        kind="demolition_order",
        penalties=[],
        circumstance=None,
        major=True,
    )
    A.do_add_event(team.o1, case, "served", D(2026, 1, 21), fields={"method": "in_person"})
    # The party's remedy periods run until 2026-07-21; then public notice with a time limit.
    A.do_add_event(team.o1, case, "demolition_notice", D(2026, 7, 22), fields={"deadline": "2026-08-05"})
    A.do_add_event(team.o1, case, "reminder_served", D(2026, 7, 22), fields={"deadline": "2026-08-05"})
    msg = refused(
        A.do_add_event, team.o1, case, "demolition_executed", D(2026, 8, 5), actors=[team.o1, team.o2]
    )
    assert "第四十四条" in msg
    A.do_add_event(team.o1, case, "demolition_executed", D(2026, 8, 10), actors=[team.o1, team.o2])
    A.do_close(team.o1, case, D(2026, 8, 11))
    case.refresh_from_db()
    assert case.status == Case.CLOSED
    assert [f["rule"] for f in case.findings if f["severity"] == "defect"] == []

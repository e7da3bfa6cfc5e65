"""Remedies withdraw a revoked decision's disclosure; evaluation links; clues both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from cases.fixtures import build_team
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from zhifa.cases import actions as A
from zhifa.org import roles

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


def decided_case(team):
    case = A.do_open_case(team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1))
    A.do_file(team.decider, case, D(2026, 9, 1))
    A.do_add_event(team.o1, case, "investigated", D(2026, 9, 2), actors=[team.o1, team.o2])
    A.do_add_event(
        team.o1,
        case,
        "notice_served",
        D(2026, 9, 7),
        fields={"proposed_fine": 1000, "statement_days": 3, "hearing_right": False},
    )
    A.do_legal_review(team.reviewer, case, D(2026, 9, 11), passed=True)
    A.do_decide(team.decider, case, D(2026, 9, 11), fine=1000, circumstance="general")
    case.refresh_from_db()
    return case


@pytest.fixture
def team(county):
    return build_team(county)


def test_revoked_on_reconsideration_withdraws_disclosure(team, client):
    from zhifa.supervision import disclosure, oversight
    from zhifa.supervision.models import RemedyRecord

    case = decided_case(team)
    d = disclosure.publish_decision(team.o1, case.pk, D(2026, 9, 15))
    with pytest.raises(ValidationError) as exc:
        oversight.record_remedy(team.o1, case.pk, kind="appeal", body="", filed_on=D(2026, 10, 8))
    assert "请选择类型" in str(exc.value) and "复议机关" in str(exc.value)
    with pytest.raises(type(case).DoesNotExist):
        oversight.record_remedy(
            team.other, case.pk, kind="reconsideration", body="县政府", filed_on=D(2026, 10, 8)
        )
    r = oversight.record_remedy(
        team.o1, case.pk, kind="reconsideration", body="县人民政府", filed_on=D(2026, 10, 8)
    )
    oversight.set_remedy_outcome(team.decider, r.pk, RemedyRecord.UPHELD, D(2026, 11, 2))
    d.refresh_from_db()
    assert d.withdrawn_on is None
    r2 = oversight.record_remedy(
        team.o1, case.pk, kind="litigation", body="县人民法院", filed_on=D(2026, 11, 3)
    )
    oversight.set_remedy_outcome(team.decider, r2.pk, RemedyRecord.REVOKED, D(2026, 11, 20))
    d.refresh_from_db()
    assert d.withdrawn_on is not None and d.withdraw_due is not None and "撤销" in d.withdraw_reason
    assert d.doc_no not in client.get(reverse("web:supervision:public_decisions")).content.decode()


def test_evaluation_link_only_for_closed_and_rated_once(team, client):
    from zhifa.supervision import oversight
    from zhifa.supervision.models import Evaluation

    case = decided_case(team)
    with pytest.raises(ValidationError, match="尚未结案"):
        oversight.evaluation_link(case=case, role=Evaluation.PARTY)
    A.do_add_event(team.o1, case, "served", D(2026, 9, 14), fields={"method": "in_person"})
    A.do_add_event(team.o1, case, "disclosed", D(2026, 9, 15))
    A.do_add_event(team.aux, case, "paid", D(2026, 9, 20), fields={"amount": 1000, "surcharge": 0})
    A.do_close(team.o1, case, D(2026, 9, 21))
    case.refresh_from_db()
    ev = oversight.evaluation_link(case=case, role=Evaluation.PARTY)
    assert oversight.evaluation_link(case=case, role=Evaluation.PARTY).pk == ev.pk
    url = reverse("web:supervision:rate", args=[ev.token])
    assert "满意度评价" in client.get(url).content.decode()
    assert "1至5星" in client.post(url, {"rating": "0"}).content.decode()
    client.post(url, {"rating": "5", "comment": "执法规范"})
    ev.refresh_from_db()
    assert ev.rating == 5 and ev.comment == "执法规范"
    with pytest.raises(ValidationError, match="已经评价"):
        oversight.rate(ev.token, 1)

    client.force_login(team.o1)
    page = client.post(reverse("web:supervision:evaluations"), {"number": case.number}).content.decode()
    assert ev.token in page and "5星" in page


def test_clues_both_ways(team, make_user, client):
    from zhifa.supervision import oversight
    from zhifa.supervision.models import Clue

    proc = make_user(roles.PROCURATOR, username="jcy")
    head = make_user(roles.TOWNSHIP_ADMIN, township="T01", username="head")
    with pytest.raises(PermissionDenied):
        oversight.send_clue(
            team.o1,
            direction=Clue.TO_PROCURATORATE,
            township=team.t1,
            subject="s",
            content="c",
            on=D(2026, 11, 1),
        )
    up = oversight.send_clue(
        head, direction=Clue.TO_PROCURATORATE, township=team.t1, subject="涉嫌非法采矿", content="数量巨大",
        on=D(2026, 11, 1),
    )  # fmt: skip
    down = oversight.send_clue(
        proc, direction=Clue.FROM_PROCURATORATE, township=team.t1, subject="占道经营长期未处理",
        content="群众反映", on=D(2026, 11, 2),
    )  # fmt: skip
    # only the receiver records handling
    with pytest.raises(PermissionDenied):
        oversight.respond_clue(head, up.pk, status=Clue.HANDLED, response="x", on=D(2026, 11, 3))
    with pytest.raises(ValidationError, match="办理情况"):
        oversight.respond_clue(proc, up.pk, status=Clue.HANDLED, response=" ", on=D(2026, 11, 3))
    oversight.respond_clue(proc, up.pk, status=Clue.RECEIVED, response="", on=D(2026, 11, 3))
    oversight.respond_clue(head, down.pk, status=Clue.HANDLED, response="已立案查处", on=D(2026, 11, 4))
    up.refresh_from_db()
    down.refresh_from_db()
    assert up.status == Clue.RECEIVED and down.status == Clue.HANDLED
    # another township sees neither
    client.force_login(make_user(roles.TOWNSHIP_ADMIN, township="T02", username="t2head"))
    page = client.get(reverse("web:supervision:procuratorate")).content.decode()
    assert "涉嫌非法采矿" not in page
    client.force_login(proc)
    page = client.get(reverse("web:supervision:procuratorate")).content.decode()
    assert "涉嫌非法采矿" in page and "占道经营长期未处理" in page


def test_live_defects_page_drafts_a_supervision_letter(team, make_user, client):
    from urllib.parse import parse_qs, urlparse

    from zhifa.cases.services import refresh_findings

    case = decided_case(team)
    refresh_findings(case, today=D(2026, 11, 1))  # never served: PEN-SERVICE-7WD is now a defect
    client.force_login(make_user(roles.SUPERVISOR, username="sup"))
    page = client.get(reverse("web:supervision:findings")).content.decode()
    assert case.number in page and "PEN-SERVICE-7WD" in page and "发出监督建议书" in page
    link = page.split('class="button" href="')[1].split('"')[0].replace("&amp;", "&")
    params = parse_qs(urlparse(link).query)
    assert params["case_ref"] == [case.number] and "PEN-SERVICE-7WD" not in params["body"][0]
    form = client.get(link).content.decode()
    assert case.number in form and "第六十一条" in form
    client.force_login(team.other)
    assert case.number not in client.get(reverse("web:supervision:findings")).content.decode()

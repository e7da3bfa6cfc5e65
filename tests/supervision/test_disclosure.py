"""Public disclosure of penalty decisions: on time, redacted, withdrawn when revoked."""

from __future__ import annotations

import datetime as dt

import pytest
from cases.fixtures import build_team
from django.core.exceptions import ValidationError
from django.urls import reverse

from zhifa.cases import actions as A

D = dt.date
pytestmark = pytest.mark.django_db

PERSON = {
    "kind": "individual",
    "name": "王小明",
    "id_number": "41010219800101123X",
    "phone": "13800138000",
    "address": "东城街道幸福路12号3单元",
}


@pytest.fixture
def decided(county):
    team = build_team(county)
    case = A.do_open_case(
        team.o1,
        item_code="Z028",
        procedure="general",
        party=PERSON,
        opened_on=D(2026, 9, 1),
        summary="王小明（电话13800138000）在东城街道幸福路12号3单元门前占道摆摊。",
    )
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
    return team, case


def test_published_decision_is_redacted_and_on_time(decided, client):
    from zhifa.supervision import disclosure

    team, case = decided
    # 2026-09-11 (Friday) + 7 working days, Sunday 09-20 being a 调休 working day = 2026-09-21
    d = disclosure.publish_decision(team.o1, case.pk, D(2026, 9, 15))
    assert d.due_on == D(2026, 9, 21) and d.on_time
    assert case.events.filter(type="disclosed").count() == 1
    with pytest.raises(ValidationError, match="已经公示"):
        disclosure.publish_decision(team.o1, case.pk, D(2026, 9, 16))

    listing = client.get(reverse("web:supervision:public_decisions")).content.decode()
    detail = client.get(reverse("web:supervision:public_decision", args=[d.pk])).content.decode()
    for page in (listing, detail):
        assert d.doc_no in page and "王某" in page
        for secret in ("王小明", "41010219800101123X", "13800138000", "幸福路12号"):
            assert secret not in page
    assert "占道摆摊" in detail and "罚款1000" in detail and "城市道路管理条例" in detail

    # another township's staff cannot withdraw it; the township withdraws after revocation
    with pytest.raises(type(d).DoesNotExist):
        disclosure.withdraw(team.other, d.pk, revoked_on=D(2026, 10, 9), reason="复议撤销", on=D(2026, 10, 9))
    with pytest.raises(ValidationError, match="撤回原因"):
        disclosure.withdraw(team.o1, d.pk, revoked_on=D(2026, 10, 9), reason=" ", on=D(2026, 10, 12))
    # revoked Friday 2026-10-09 (a 调休 working Saturday follows on 10-10): 3 working days → 10-13
    d = disclosure.withdraw(
        team.o1, d.pk, revoked_on=D(2026, 10, 9), reason="复议决定撤销", on=D(2026, 10, 12)
    )
    assert d.withdraw_due == D(2026, 10, 13) and d.withdrawn_on_time is True
    assert d.doc_no not in client.get(reverse("web:supervision:public_decisions")).content.decode()
    assert client.get(reverse("web:supervision:public_decision", args=[d.pk])).status_code == 404


def test_only_penalty_decisions_and_scoped(decided, client):
    from zhifa.supervision import disclosure

    team, case = decided
    with pytest.raises(type(case).DoesNotExist):
        disclosure.publish_decision(team.other, case.pk, D(2026, 9, 15))
    undecided = A.do_open_case(
        team.o1, item_code="Z028", procedure="general", party=PERSON, opened_on=D(2026, 9, 1)
    )
    with pytest.raises(ValidationError, match="已作出行政处罚决定"):
        disclosure.publish_decision(team.o1, undecided.pk, D(2026, 9, 15))
    client.force_login(team.o1)
    page = client.get(reverse("web:supervision:disclosures")).content.decode()
    assert case.number in page and undecided.number not in page
    client.force_login(team.other)
    assert case.number not in client.get(reverse("web:supervision:disclosures")).content.decode()


def test_disclosure_carries_the_generated_decision_number(decided, settings, tmp_path):
    from zhifa.documents.services import generate
    from zhifa.supervision import disclosure

    settings.MEDIA_ROOT = tmp_path
    team, case = decided
    doc = generate(case, "penalty_decision", team.o1)
    d = disclosure.publish_decision(team.o1, case.pk, D(2026, 9, 15))
    assert d.doc_no == doc.doc_no == d.content["doc_no"]

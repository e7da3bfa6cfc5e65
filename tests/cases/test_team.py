"""Team management: officer profiles with certificates, seconded officers, squads, training."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from cases.fixtures import build_team
from zhifa.cases import team as T
from zhifa.cases.models import Officer, Squad, Training

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county, make_user):
    ns = build_team(county)
    ns.admin1 = make_user("township_admin", township="T01", username="adm1")
    ns.admin2 = make_user("township_admin", township="T02", username="adm2")
    ns.newbie = make_user("officer", township="T01", username="newbie", full_name="新队员")
    return ns


def test_register_officer_with_certificate(world):
    off = T.do_save_officer(
        world.admin1,
        world.newbie,
        kind="officer",
        cert_no="晋执0100",
        cert_valid_from=D(2026, 1, 1),
        cert_valid_to=D(2028, 12, 31),
        squad=world.squad,
    )
    assert off.cert_valid_on(D(2026, 9, 1)) and not off.cert_valid_on(D(2029, 1, 1))
    with pytest.raises(ValidationError) as exc:
        T.do_save_officer(world.admin1, world.newbie, kind="seconded", cert_no="晋执0100")
    msgs = " ".join(exc.value.messages)
    assert "证件有效期至" in msgs and "派出单位" in msgs
    with pytest.raises(PermissionDenied):
        T.do_save_officer(world.admin2, world.newbie, kind="officer")
    with pytest.raises(PermissionDenied):
        T.do_save_officer(world.o1, world.newbie, kind="officer")


def test_squad_and_training(world):
    sq = T.do_create_squad(world.admin1, world.t1, "安全生产中队", "安全生产")
    assert Squad.objects.filter(township=world.t1, name="安全生产中队").exists() and sq.domain == "安全生产"
    with pytest.raises(ValidationError):
        T.do_create_squad(world.admin1, world.t1, "安全生产中队")
    T.do_add_training(world.admin1, world.o1.officer, date=D(2026, 3, 1), title="执法证培训", hours="8")
    with pytest.raises(ValidationError):
        T.do_add_training(world.admin1, world.o1.officer, date=D(2026, 3, 1), title="x", hours="abc")
    assert Training.objects.count() == 1


def test_team_page_forms(world):
    c = Client()
    c.force_login(world.admin1)
    page = c.get("/cases/team/").content.decode()
    assert "登记或修改执法队员" in page and "北关队员" not in page
    r = c.post(
        "/cases/team/",
        {
            "action": "officer",
            "member": world.newbie.pk,
            "kind": "officer",
            "cert_no": "晋执0101",
            "cert_valid_from": "2026-01-01",
            "cert_valid_to": "2027-12-31",
            "active": "on",
        },
        follow=True,
    )
    assert "已保存新队员的执法队员信息" in r.content.decode()
    assert Officer.objects.get(user=world.newbie).cert_no == "晋执0101"
    r = c.post(
        f"/cases/team/{world.o1.officer.pk}/", {"date": "2026-03-05", "title": "案卷评查培训", "hours": "4"}
    )
    assert r.status_code == 302 and Training.objects.filter(title="案卷评查培训").exists()
    # Another township's account cannot be registered (404), an officer cannot manage (403).
    assert (
        c.post("/cases/team/", {"action": "officer", "member": world.other.pk, "kind": "officer"}).status_code
        == 404
    )
    o = Client()
    o.force_login(world.o1)
    assert (
        o.post("/cases/team/", {"action": "squad", "township": world.t1.pk, "name": "x"}).status_code == 403
    )

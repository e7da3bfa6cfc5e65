"""Case pages and API: scoping (other township 404, procurator read-only), steps via forms and JSON."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.fixtures import build_team
from zhifa.cases import actions as A
from zhifa.cases.models import Case, Evidence, Training
from zhifa.cases.services import activity_rate, my_deadlines, officer_record

D = dt.date
pytestmark = pytest.mark.django_db
SHOP = {"kind": "organisation", "name": "顺意餐饮有限公司"}


@pytest.fixture
def world(county):
    team = build_team(county)
    team.case = A.do_open_case(
        team.o1, item_code="Z028", procedure="general", party=SHOP, opened_on=D(2026, 9, 1)
    )
    team.case2 = A.do_open_case(
        team.other,
        item_code="Z028",
        procedure="general",
        party={"kind": "individual", "name": "北关当事人"},
        opened_on=D(2026, 9, 1),
    )
    return team


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_list_is_scoped_to_township(world):
    html = client_for(world.o1).get("/cases/").content.decode()
    assert world.case.number in html and "顺意餐饮" in html
    assert "北关当事人" not in html
    proc = client_for(world.procurator).get("/cases/").content.decode()
    assert "顺意餐饮" in proc and "北关当事人" in proc


def test_other_township_case_is_404_in_web_and_api(world):
    c = client_for(world.o1)
    assert c.get(f"/cases/{world.case2.pk}/").status_code == 404
    assert c.post(f"/cases/{world.case2.pk}/", {"action": "file", "date": "2026-09-01"}).status_code == 404
    assert c.get(f"/api/cases/cases/{world.case2.pk}/").status_code == 404
    r = c.post(f"/api/cases/cases/{world.case2.pk}/steps/", {"action": "close", "date": "2026-09-02"})
    assert r.status_code == 404
    body = c.get("/api/cases/cases/").json()
    ids = [x["id"] for x in (body["results"] if isinstance(body, dict) else body)]
    assert world.case.pk in ids and world.case2.pk not in ids


def test_procurator_reads_but_cannot_act(world):
    c = client_for(world.procurator)
    page = c.get(f"/cases/{world.case.pk}/")
    assert page.status_code == 200 and "全过程记录" in page.content.decode()
    assert "登记</button>" not in page.content.decode()
    assert c.post(f"/cases/{world.case.pk}/", {"action": "file", "date": "2026-09-01"}).status_code == 403
    r = c.post(f"/api/cases/cases/{world.case.pk}/steps/", {"action": "file", "date": "2026-09-01"})
    assert r.status_code == 403


def test_record_steps_through_the_page(world):
    boss = client_for(world.decider)
    r = boss.post(f"/cases/{world.case.pk}/", {"action": "file", "date": "2026-09-01"})
    assert r.status_code == 302
    o1 = client_for(world.o1)
    r = o1.post(
        f"/cases/{world.case.pk}/",
        {"action": "investigated", "date": "2026-09-02", "actors": ["o1", "o3"]},
    )
    html = r.content.decode()
    assert r.status_code == 200 and "有效期至2026-06-30" in html and "第四十二条" in html
    r = o1.post(
        f"/cases/{world.case.pk}/",
        {"action": "investigated", "date": "2026-09-02", "actors": ["o1", "o2"]},
        follow=True,
    )
    html = r.content.decode()
    assert "已记录：调查取证" in html and "王建军、李春梅" in html
    r = o1.post(
        f"/cases/{world.case.pk}/", {"action": "notice_served", "date": "2026-9-x", "proposed_fine": "abc"}
    )
    assert "日期“2026-9-x”不是有效日期" in r.content.decode()


def test_evidence_upload_and_download(world):
    c = client_for(world.o1)
    data = b"%PDF-1.4\n%test\n%%EOF\n"
    r = c.post(
        f"/cases/{world.case.pk}/",
        {"action": "evidence", "date": "2026-09-01", "file": SimpleUploadedFile("笔录.pdf", data)},
        follow=True,
    )
    assert "已保存" in r.content.decode()
    ev = Evidence.objects.get()
    assert ev.event is None
    step = world.case.events.get(type="discovered")
    r = c.post(
        f"/cases/{world.case.pk}/",
        {
            "action": "evidence",
            "date": "2026-09-01",
            "event": step.pk,
            "file": SimpleUploadedFile("b.pdf", data + b" "),
        },
        follow=True,
    )
    assert Evidence.objects.get(original_name="b.pdf").event == step
    assert "2026-09-01发现线索" in r.content.decode()
    got = c.get(f"/cases/evidence/{ev.pk}/")
    assert b"".join(got.streaming_content) == data
    assert client_for(world.other).get(f"/cases/evidence/{ev.pk}/").status_code == 404
    bad = c.post(
        f"/cases/{world.case.pk}/",
        {
            "action": "evidence",
            "date": "2026-09-01",
            "file": SimpleUploadedFile("a.jpg", b"hello world, not a photo"),
        },
    )
    assert "无法识别" in bad.content.decode()


def test_api_open_and_step(world):
    c = client_for(world.o1)
    r = c.post(
        "/api/cases/cases/",
        {"item_code": "Z100", "procedure": "general", "party": SHOP, "opened_on": "2026-09-01"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "第二十四条" in r.json()["error"]
    r = c.post(
        "/api/cases/cases/",
        {"item_code": "Z028", "procedure": "inspection", "party": SHOP, "opened_on": "2026-09-01"},
        content_type="application/json",
    )
    assert r.status_code == 201
    pk = r.json()["id"]
    r = c.post(
        f"/api/cases/cases/{pk}/steps/",
        {"action": "inspected", "date": "2026-09-01", "actors": ["o1", "o2"], "result": "compliant"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["case"]["casefile"]["events"][-1]["type"] == "inspected"
    r = c.post(
        f"/api/cases/cases/{pk}/steps/",
        {"action": "inspected", "date": "2026-09-01", "actors": ["o1"], "result": "compliant"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "两名以上" in r.json()["error"]


def test_deadlines_team_and_record_pages(world):
    A.do_file(world.decider, world.case, D(2026, 9, 1))
    Training.objects.create(officer=world.o1.officer, date=D(2026, 9, 5), title="行政处罚法培训", hours=8)
    c = client_for(world.o1)
    assert "我的办案期限" in c.get("/cases/deadlines/").content.decode()
    mine = my_deadlines(world.o1, today=D(2026, 9, 3))
    assert [(d.case.pk, d.rule, d.due) for d in mine] == [
        (world.case.pk, "PEN-DECISION-90D", D(2026, 11, 30))
    ]
    assert my_deadlines(world.other, today=D(2026, 9, 3)) == []
    team = c.get("/cases/team/?month=2026-09").content.decode()
    assert "执法人员活跃率" in team and "张过期" in team and "已过期" in team
    rec = c.get(f"/cases/team/{world.o1.officer.pk}/").content.decode()
    assert "个人执法档案" in rec and world.case.number in rec
    assert client_for(world.other).get(f"/cases/team/{world.o1.officer.pk}/").status_code == 404


def test_activity_rate_and_record(world):
    A.do_file(world.decider, world.case, D(2026, 9, 1))
    A.do_add_event(world.o1, world.case, "investigated", D(2026, 9, 2), actors=[world.o1, world.sec])
    r = activity_rate(world.t1, D(2026, 9, 1))
    # Certified in September: o1, o2, sec, rev (o3 expired in June, the auxiliary has none).
    assert (r["active"], r["officers"]) == (2, 4) and r["percent"] == "50.0%"
    Training.objects.create(officer=world.o1.officer, date=D(2026, 9, 5), title="培训", hours=4)
    rec = officer_record(world.o1.officer)
    assert (
        rec["handled"] == 1
        and rec["training_hours"] == 4
        and rec["cases"] == [Case.objects.get(pk=world.case.pk)]
    )

"""Playbooks (智能预案): defined by the county, applied when a report is routed to their item."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dispatch.helpers import T01_POINT, at, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import playbooks
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import PlanTask, Whistle
from zhifa.rules import dispatch_workflow as wf


@pytest.fixture
def people(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(
        suggestions, "suggest_many", lambda reports: [suggestions.suggest(r) for r in reports]
    )
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion("Z001"))
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    return {
        "cd": make_user("county_dispatcher", username="cd"),
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "o1": make_user("officer", township="T01", username="o1"),
        "o2": make_user("officer", township="T02", username="o2"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
    }


def test_parse_steps_names_the_line():
    assert playbooks.parse_steps("现场制止|乡镇执法队|1\n\n恢复路面|县住建局|5") == [
        {"title": "现场制止", "unit": "乡镇执法队", "days": 1},
        {"title": "恢复路面", "unit": "县住建局", "days": 5},
    ]
    with pytest.raises(ValidationError) as exc:
        playbooks.parse_steps("现场制止|乡镇执法队\n恢复|县住建局|五\n拆除|队|99")
    assert exc.value.message_dict["steps"] == [
        "第1行应为“步骤|责任单位|工作日数”",
        "第2行的工作日数“五”不是整数",
        "第3行的工作日数应在1至60之间",
    ]


def test_playbook_applied_on_routing(people, county):
    with pytest.raises(PermissionDenied):
        playbooks.save_playbook(
            people["td1"], county=county, code="P1", name="x", item_codes=["Z001"], steps=[]
        )
    with pytest.raises(ValidationError) as exc:
        playbooks.save_playbook(
            people["cd"],
            county=county,
            code="",
            name="",
            item_codes=["Z9"],
            steps=[],
            call_departments=["D9"],
        )
    assert set(exc.value.message_dict) == {"code", "name", "item_codes", "call_departments"}
    playbooks.save_playbook(
        people["cd"],
        county=county,
        code="P1",
        name="流动摊贩占道经营整治预案",
        item_codes=["Z001"],
        steps=playbooks.parse_steps("现场劝离并登记|乡镇执法队|1\n联合市场监管清理|县市场监管局|3"),
        priority=wf.URGENT,
        call_departments=["D01"],
    )
    r = s.do_intake(
        people["gw"],
        county=county,
        text="占道摆摊",
        lon=T01_POINT[0],
        lat=T01_POINT[1],
        now=at("2026-09-30T09:00"),
    ).report
    s.do_route(people["td1"], r.pk, now=at("2026-09-30T10:00"))
    r.refresh_from_db()
    assert r.playbook.code == "P1" and r.priority == wf.URGENT
    tasks = list(r.plan_tasks.all())
    # Working days across the National Day holiday: 8 October, then 10 October (a worked Saturday).
    assert [(t.title, t.due_at) for t in tasks] == [
        ("现场劝离并登记", at("2026-10-08T17:30")),
        ("联合市场监管清理", at("2026-10-10T17:30")),
    ]
    w = Whistle.objects.get(report=r)
    assert [c.department.code for c in w.calls.all()] == ["D01"] and "整治预案" in w.subject
    assert r.transitions.filter(action="playbook").exists()
    # Routing again (reassign back to the same item) does not duplicate the plan.
    s.do_reassign(people["td1"], r.pk, item_code="Z001", reason="复核后仍由本街道办理")
    assert PlanTask.objects.filter(report=r).count() == 2
    with pytest.raises(PermissionDenied):
        playbooks.do_complete_task(people["o2"], tasks[0].pk, note="越权")
    s.do_accept(people["o1"], r.pk)
    done = playbooks.do_complete_task(people["o1"], tasks[0].pk, note="已劝离5户")
    assert done.done_by == people["o1"]
    with pytest.raises(ValidationError, match="已完成"):
        playbooks.do_complete_task(people["o1"], tasks[0].pk)


def test_playbook_pages(people, county, client):
    client.force_login(people["cd"])
    r = client.post(
        "/dispatch/playbooks/",
        {"code": "P2", "name": "占道整治", "item_codes": ["Z001"], "steps": "劝离|执法队|1"},
    )
    assert r.status_code == 302
    body = client.get("/dispatch/playbooks/").content.decode()
    assert "占道整治" in body and "劝离（执法队，1个工作日）" in body
    body = client.post("/dispatch/playbooks/", {"code": "P3", "name": "x", "steps": "坏行"}).content.decode()
    assert "第1行应为" in body
    client.force_login(people["o1"])
    assert client.post("/dispatch/playbooks/", {"code": "P4"}).status_code == 403
    report = s.do_intake(
        people["gw"], county=county, text="占道摆摊", lon=T01_POINT[0], lat=T01_POINT[1]
    ).report
    s.do_route(people["td1"], report.pk)
    s.do_accept(people["o1"], report.pk)
    task = report.plan_tasks.get()
    page = client.get(f"/dispatch/{report.pk}/").content.decode()
    assert "智能预案：占道整治" in page
    client.post(f"/dispatch/{report.pk}/", {"action": "complete_task", "task": task.pk, "note": "已劝离"})
    task.refresh_from_db()
    assert task.done_at is not None and task.note == "已劝离"

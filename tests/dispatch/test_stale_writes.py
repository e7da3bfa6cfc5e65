"""Stale writes on reports: an action taken from an older state is refused (API 409, page flash)
and nothing is written; routing the same report twice gives the second dispatcher a 409."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import ValidationError

from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report, Step, Transition
from zhifa.rules import dispatch_workflow as wf

STALE = "该事件已被他人处理（当前状态：{}），请刷新后重试"


@pytest.fixture
def people(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(
        suggestions, "suggest_many", lambda reports: [suggestions.suggest(r) for r in reports]
    )
    monkeypatch.setattr(
        suggestions, "suggest", lambda report: fake_suggestion("Z002" if "树" in report.text else "Z001")
    )
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    return {
        "cd": make_user("county_dispatcher", username="cd"),
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "o1": make_user("officer", township="T01", username="o1"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
    }


def _report(people, county, text: str = "门口占道摆摊卖菜") -> Report:
    return s.do_intake(people["gw"], county=county, text=text, lon=T01_POINT[0], lat=T01_POINT[1]).report


def _snapshot(report: Report) -> tuple:
    report.refresh_from_db()
    return (
        report.status,
        report.handler_kind,
        report.handler_township_id,
        report.handler_department_id,
        report.item_code,
        list(Transition.objects.filter(report=report).values_list("action", flat=True)),
        Step.objects.filter(report=report).count(),
    )


def _act(client, report: Report, **body):
    return client.post(f"/api/dispatch/reports/{report.pk}/actions/", body, content_type="application/json")


def test_api_action_from_an_older_state_is_409_and_writes_nothing(people, county, client):
    r = _report(people, county)
    client.force_login(people["td1"])
    seen = client.get(f"/api/dispatch/reports/{r.pk}/").json()["status"]
    assert seen == wf.RECEIVED
    first = _act(client, r, action="route", expected_state=seen)
    assert first.status_code == 200 and first.json()["status"] == wf.ROUTED
    before = _snapshot(r)
    # A dispatcher still looking at the unrouted report now returns it... from the old state.
    client.force_login(people["o1"])
    stale = _act(client, r, action="accept", expected_state=seen)
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == STALE.format(wf.STATE_LABELS[wf.ROUTED])
    assert body["current_state"] == wf.ROUTED and body["fields"]["expected_state"] == [body["error"]]
    assert _snapshot(r) == before
    # From the state it is in, the same action goes through.
    ok = _act(client, r, action="accept", expected_state=wf.ROUTED)
    assert ok.status_code == 200 and ok.json()["status"] == wf.HANDLING


def test_routing_twice_gives_409_even_without_expected_state(people, county, client):
    r = _report(people, county)
    client.force_login(people["td1"])
    assert _act(client, r, action="route").status_code == 200
    before = _snapshot(r)
    client.force_login(people["cd"])
    # Routing again (plain, or naming a unit — which used to silently reassign) is refused.
    again = _act(client, r, action="route")
    assert again.status_code == 409 and again.json()["current_state"] == wf.ROUTED
    unit = _act(client, r, action="route", unit="department:D01", expected_state=wf.RECEIVED)
    assert unit.status_code == 409 and "请刷新后重试" in unit.json()["error"]
    assert _snapshot(r) == before
    assert Transition.objects.filter(report=r, action=wf.ROUTE).count() == 1
    # Reassigning is a different action, taken knowingly from the routed state.
    moved = _act(
        client, r, action="reassign", unit="department:D01", reason="由部门办理", expected_state=wf.ROUTED
    )
    assert moved.status_code == 200 and moved.json()["handler"] == "department:D01"


def test_unknown_expected_state_is_a_field_error(people, county, client):
    r = _report(people, county)
    client.force_login(people["td1"])
    resp = _act(client, r, action="route", expected_state="nonsense")
    assert resp.status_code == 400 and "expected_state" in resp.json()["fields"]
    assert "nonsense" in resp.json()["fields"]["expected_state"][0]
    assert re.search(r"[\u4e00-\u9fff]", resp.json()["fields"]["expected_state"][0]), "a Chinese message"
    # The same through the page form data: the service names the field in Chinese.
    with pytest.raises(ValidationError, match="expected_state"):
        s.perform(people["td1"], r.pk, wf.ROUTE, {"expected_state": "nonsense"})
    assert _snapshot(r)[0] == wf.RECEIVED


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (wf.RETURN, {"reason": "不属本队"}),
        (wf.ACCEPT, {}),
        (wf.URGE, {"reason": "抓紧"}),
        (wf.SPLIT_ACTION, {"parts": "门口占道\n卖菜", "reason": "两件事"}),
        (wf.REASSIGN, {"reason": "改派", "item": "Z002"}),
    ],
)
def test_service_refuses_every_action_from_a_stale_state(people, county, action, data):
    r = _report(people, county)
    s.do_route(people["td1"], r.pk)
    before = _snapshot(r)
    actor = people["td1"] if action in (wf.URGE, wf.REASSIGN, wf.SPLIT_ACTION) else people["o1"]
    with pytest.raises(s.StaleState) as info:
        s.perform(actor, r.pk, action, {**data, "expected_state": wf.RECEIVED})
    assert info.value.current_state == wf.ROUTED
    assert _snapshot(r) == before
    # Same data, current state: it goes through.
    s.perform(actor, r.pk, action, {**data, "expected_state": wf.ROUTED})
    assert _snapshot(r)[5] != before[5]


def test_close_from_a_stale_state_is_refused(people, county):
    r = _report(people, county)
    s.do_route(people["td1"], r.pk)
    s.do_accept(people["o1"], r.pk, expected_state=wf.ROUTED)
    s.do_finish(people["o1"], r.pk, result="已劝离", expected_state=wf.HANDLING)
    s.do_verify(people["td1"], r.pk, passed=True, expected_state=wf.VERIFYING)
    before = _snapshot(r)
    with pytest.raises(s.StaleState, match="当前状态：待核查回访"):
        s.do_close(people["td1"], r.pk, expected_state=wf.HANDLING)
    assert _snapshot(r) == before and r.closed_at is None


def test_detail_page_forms_carry_the_state_and_a_stale_post_flashes(people, county, client):
    r = _report(people, county)
    client.force_login(people["td1"])
    page = client.get(f"/dispatch/{r.pk}/").content.decode()
    forms = re.findall(r'<form method="post"[^>]*>.*?</form>', page, re.S)
    actions = [f for f in forms if 'name="action"' in f and 'value="complete_task"' not in f]
    assert actions, "the detail page shows action forms"
    for form in actions:
        assert f'name="expected_state" value="{wf.RECEIVED}"' in form
    # Another dispatcher routes the report meanwhile.
    s.do_route(people["cd"], r.pk)
    before = _snapshot(r)
    resp = client.post(
        f"/dispatch/{r.pk}/",
        {"action": "route", "item": "__suggested__", "expected_state": wf.RECEIVED},
        follow=True,
    )
    html = resp.content.decode()
    assert resp.status_code == 200 and resp.redirect_chain[-1][0] == f"/dispatch/{r.pk}/"
    assert STALE.format(wf.STATE_LABELS[wf.ROUTED]) in html
    assert _snapshot(r) == before
    # The refreshed page now carries the new state.
    assert f'name="expected_state" value="{wf.ROUTED}"' in html


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_route_at_once_one_wins_the_other_gets_409(people, county):
    """Two threads, each with its own client and database connection, route the same report at
    the same moment: the row lock makes the second wait and then see it routed (409)."""
    from django.db import connection, connections
    from django.test import Client

    assert connection.vendor == "postgresql"
    r = _report(people, county)
    clients = {}
    for name in ("cd", "td1"):
        clients[name] = Client()
        clients[name].force_login(people[name])
    barrier = threading.Barrier(2)
    codes: list[int] = []
    errors: list[BaseException] = []

    def dispatcher(name: str) -> None:
        try:
            barrier.wait()
            resp = _act(clients[name], r, action="route", expected_state=wf.RECEIVED)
            codes.append(resp.status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher, args=(n,)) for n in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(codes) == [200, 409]
    assert Transition.objects.filter(report=r, action=wf.ROUTE).count() == 1
    r.refresh_from_db()
    assert r.status == wf.ROUTED

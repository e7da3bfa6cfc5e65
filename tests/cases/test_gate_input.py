"""Bad input to the case API is a 400 in Chinese naming the field, never a 500; a stale step
(made from an older state of the case) is a 409 and writes nothing."""

from __future__ import annotations

import pytest

from cases.fixtures import build_team
from cases.gate_harness import Channel, snapshot
from zhifa.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(county):
    return build_team(county)


@pytest.fixture
def api(team):
    return Channel("api")


def post(api, user, url, body):
    return api.client(user).post(url, body, content_type="application/json")


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


OPEN = {"item_code": "Z028", "procedure": "general", "party": {"kind": "individual", "name": "张三"}}


@pytest.mark.parametrize(
    "body, field",
    [
        ([OPEN], "JSON对象"),
        ("just text", "JSON"),
        ({**OPEN, "violation": "昨天"}, "violation"),
        ({**OPEN, "violation": 5}, "violation"),
        (
            {**OPEN, "violation": {"began": "2026/08/01", "ended": None, "grave_harm": False}},
            "violation.began",
        ),
        ({**OPEN, "violation": {"began": 20260801, "ended": None, "grave_harm": False}}, "violation.began"),
        (
            {**OPEN, "violation": {"began": "2026-08-01", "ended": "2026-02-30", "grave_harm": False}},
            "violation.ended",
        ),
        ({**OPEN, "violation": {"began": "2026-08-01", "ended": None, "grave_harm": "no"}}, "grave_harm"),
        ({**OPEN, "opened_on": 20260901}, "opened_on"),
        ({**OPEN, "opened_on": "2026/09/01"}, "opened_on"),
        ({**OPEN, "opened_on": "20260901"}, "opened_on"),
        ({**OPEN, "party": "张三"}, "party"),
        ({**OPEN, "party": {"kind": "individual", "name": ["张三"]}}, "party.name"),
        ({**OPEN, "summary": {"a": 1}}, "summary"),
        ({**OPEN, "procedure": ["general"]}, "procedure"),
        ({**OPEN, "source": "路人"}, "source"),
    ],
)
def test_open_case_bad_input_is_400_naming_the_field(api, team, body, field):
    r = post(api, team.o1, "/api/cases/cases/", body)
    assert r.status_code == 400, r.content[:200]
    assert field in r.json()["error"] and has_chinese(r.json()["error"])
    assert Case.objects.count() == 0


def test_violation_dates_are_compared_as_dates(api, team):
    # "2026-10-01" > "2026-9-30" as text; as dates the violation began before the opening day
    body = {
        **OPEN,
        "opened_on": "2026-10-01",
        "violation": {"began": "2026-09-30", "ended": None, "grave_harm": False},
    }
    assert post(api, team.o1, "/api/cases/cases/", body).status_code == 201
    late = {
        **OPEN,
        "opened_on": "2026-10-01",
        "violation": {"began": "2026-10-02", "ended": None, "grave_harm": False},
    }
    r = post(api, team.o1, "/api/cases/cases/", late)
    assert r.status_code == 400 and "晚于受理日期" in r.json()["error"]


@pytest.fixture
def case_id(api, team):
    cid = api.open(team.o1, opened_on="2026-09-01")
    assert api.step(team.decider, cid, "file", "2026-09-01")[0]
    return cid


@pytest.mark.parametrize(
    "body, field",
    [
        ([{"action": "close", "date": "2026-09-02"}], "JSON对象"),
        (7, "JSON对象"),
        ({"action": ["close"], "date": "2026-09-02"}, "action"),
        ({"action": "fly", "date": "2026-09-02"}, "action"),
        ({"action": "investigated", "date": 20260902, "actors": ["o1", "o2"]}, "date"),
        ({"action": "investigated", "date": "2026/09/02", "actors": ["o1", "o2"]}, "date"),
        ({"action": "investigated", "date": "2026-02-30", "actors": ["o1", "o2"]}, "date"),
        ({"action": "investigated", "date": ["2026-09-02"], "actors": ["o1", "o2"]}, "date"),
        ({"action": "investigated", "date": "2026-09-02", "actors": [1, 2]}, "actors"),
        ({"action": "notice_served", "date": "2026-09-02", "proposed_fine": "abc"}, "proposed_fine"),
        ({"action": "notice_served", "date": "2026-09-02", "proposed_fine": [1]}, "proposed_fine"),
        ({"action": "notice_served", "date": "2026-09-02", "proposed_fine": "Infinity"}, "proposed_fine"),
        ({"action": "notice_served", "date": "2026-09-02", "proposed_fine": 1e400}, "JSON"),
        ({"action": "notice_served", "date": "2026-09-02", "proposed_fine": -5}, "proposed_fine"),
        (
            {"action": "notice_served", "date": "2026-09-02", "proposed_fine": 10, "statement_days": "三"},
            "statement_days",
        ),
        (
            {"action": "notice_served", "date": "2026-09-02", "proposed_fine": 10, "statement_days": 2.5},
            "statement_days",
        ),
        (
            {"action": "notice_served", "date": "2026-09-02", "proposed_fine": 10, "hearing_right": "maybe"},
            "hearing_right",
        ),
        ({"action": "served", "date": "2026-09-02", "method": ["mail"]}, "method"),
        ({"action": "decide", "date": "2026-09-02", "kind": ["penalty"]}, "kind"),
        ({"action": "decide", "date": "2026-09-02", "penalties": [{"x": 1}]}, "penalties"),
        (
            {"action": "decide", "date": "2026-09-02", "penalties": ["fine"], "circumstance": "general档"},
            "circumstance",
        ),
        ({"action": "decide", "date": "2026-09-02", "penalties": ["fine"], "fine": [100]}, "fine"),
        (
            {
                "action": "decide",
                "date": "2026-09-02",
                "penalties": ["fine"],
                "fine": 100,
                "deviation_reason": 5,
            },
            "deviation_reason",
        ),
        ({"action": "demolition_notice", "date": "2026-09-02", "deadline": "2026/09/20"}, "deadline"),
        ({"action": "close", "date": "2026-09-02", "note": ["x"]}, "note"),
        ({"action": "close", "date": "2026-09-02", "expected_state": ["1"]}, "expected_state"),
    ],
)
def test_step_bad_input_is_400_naming_the_field(api, team, case_id, body, field):
    before = snapshot(case_id)
    r = post(
        api, team.decider if "decide" in str(body) else team.o1, f"/api/cases/cases/{case_id}/steps/", body
    )
    assert r.status_code == 400, r.content[:300]
    msg = r.json()["error"]
    assert field in msg and has_chinese(msg), msg
    assert snapshot(case_id) == before


def test_stale_step_is_409_and_writes_nothing(api, team, case_id):
    c = api.client(team.o1)
    state = c.get(f"/api/cases/cases/{case_id}/").json()["state"]
    step = {"action": "investigated", "date": "2026-09-02", "actors": ["o1", "o2"], "expected_state": state}
    assert post(api, team.o1, f"/api/cases/cases/{case_id}/steps/", step).status_code == 201
    before = snapshot(case_id)
    # a second officer still looking at the old state
    again = {**step, "actors": ["o2", "sec"]}
    r = post(api, team.o2, f"/api/cases/cases/{case_id}/steps/", again)
    assert r.status_code == 409 and "他人" in r.json()["error"]
    assert snapshot(case_id) == before
    fresh = c.get(f"/api/cases/cases/{case_id}/").json()["state"]
    assert fresh != state
    assert (
        post(
            api, team.o2, f"/api/cases/cases/{case_id}/steps/", {**again, "expected_state": fresh}
        ).status_code
        == 201
    )


def test_stale_step_form_says_someone_else_changed_it(api, team, case_id):
    page = api.client(team.o1).get(f"/cases/{case_id}/").content.decode()
    state = Case.objects.get(pk=case_id).events.order_by("-seq").first().seq
    assert f'name="expected_state" value="{state}"' in page
    post(
        api,
        team.o2,
        f"/api/cases/cases/{case_id}/steps/",
        {"action": "investigated", "date": "2026-09-02", "actors": ["o1", "o2"]},
    )
    before = snapshot(case_id)
    form = {
        "action": "investigated",
        "date": "2026-09-03",
        "actors": ["o1", "o2"],
        "expected_state": str(state),
    }
    r = api.client(team.o1).post(f"/cases/{case_id}/", form)
    html = r.content.decode()
    assert r.status_code == 200 and "他人已先更新本案" in html and "本次登记未保存" in html
    assert snapshot(case_id) == before


def test_late_fact_hint_is_on_the_form_before_submit(api, team, case_id):
    assert api.step(team.o1, case_id, "notice_served", "2026-09-03", proposed_fine=1000, statement_days=3)[0]
    assert api.step(
        team.decider, case_id, "decide", "2026-09-30", penalties=["fine"], fine=1000, circumstance="general"
    )[0]
    page = api.client(team.o1).get(f"/cases/{case_id}/").content.decode()
    # decided 2026-09-30, party absent: service due by 2026-10-15, long past on the test day
    assert "已超过法定期限" in page and "登记后本案将记为问题" in page


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_officers_at_once_one_step_wins_the_other_gets_409(county):
    """Two threads post a step made from the same state at the same moment: the row lock makes
    the second wait for the first and then see the new state (409), so exactly one is stored."""
    import threading

    from django.db import connection, connections

    assert connection.vendor == "postgresql"
    team = build_team(county)
    api = Channel("api")
    cid = api.open(team.o1, opened_on="2026-09-01")
    assert api.step(team.decider, cid, "file", "2026-09-01")[0]
    state = api.client(team.o1).get(f"/api/cases/cases/{cid}/").json()["state"]
    clients = {u.username: api.client(u) for u in (team.o1, team.o2)}
    barrier = threading.Barrier(2)
    codes: list[int] = []
    errors: list[BaseException] = []

    def officer(name: str) -> None:
        try:
            body = {
                "action": "investigated",
                "date": "2026-09-02",
                "actors": ["o1", "o2"],
                "expected_state": state,
            }
            barrier.wait()
            r = clients[name].post(f"/api/cases/cases/{cid}/steps/", body, content_type="application/json")
            codes.append(r.status_code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=officer, args=(n,)) for n in ("o1", "o2")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sorted(codes) == [201, 409]
    assert Case.objects.get(pk=cid).events.filter(type="investigated").count() == 1


def test_my_deadlines_warn_days_ahead(api, team, case_id):
    import datetime as dt

    from zhifa.cases.services import my_deadlines

    assert api.step(team.o1, case_id, "notice_served", "2026-09-03", proposed_fine=1000, statement_days=3)[0]
    assert api.step(
        team.decider, case_id, "decide", "2026-09-30", penalties=["fine"], fine=1000, circumstance="general"
    )[0]
    # service by 2026-10-15 (7 working days over 国庆, Saturday 10-10 worked)
    soon = {d.rule: d for d in my_deadlines(team.o1, dt.date(2026, 10, 13))}
    assert soon["PEN-SERVICE-7WD"].due == dt.date(2026, 10, 15) and soon["PEN-SERVICE-7WD"].near
    early = {d.rule: d for d in my_deadlines(team.o1, dt.date(2026, 10, 8))}
    assert not early["PEN-SERVICE-7WD"].near

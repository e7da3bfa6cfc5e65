"""Dispatch pages, the reports API, Open311 and the urging command."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.helpers import T01_POINT, T02_POINT, at, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Open311Client, Report, Transition
from zhifa.rules import dispatch_workflow as wf


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
        "td2": make_user("township_dispatcher", township="T02", username="td2"),
        "o1": make_user("officer", township="T01", username="o1"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
        "d2": make_user("department_staff", department="D02", username="d2"),
        "sup": make_user("supervisor", username="sup"),
    }


def _report(people, county, text="门口占道摆摊卖菜", point=T01_POINT, **kw):
    return s.do_intake(people["gw"], county=county, text=text, lon=point[0], lat=point[1], **kw).report


def test_queue_is_scoped_and_filters(people, county, client):
    mine = _report(people, county)
    other = _report(people, county, text="北关路口占道经营", point=T02_POINT)
    client.force_login(people["td1"])
    body = client.get("/dispatch/").content.decode()
    assert mine.tracking_code in body and other.tracking_code not in body
    assert "市容" not in body or "Z001" in body
    assert client.get(f"/dispatch/{other.pk}/").status_code == 404
    assert client.get(f"/dispatch/{mine.pk}/").status_code == 200
    client.force_login(people["cd"])
    body = client.get("/dispatch/?township=T02").content.decode()
    assert other.tracking_code in body and mine.tracking_code not in body
    assert mine.tracking_code not in client.get("/dispatch/?overdue=1").content.decode()
    s.do_route(people["cd"], other.pk, item_code="", reason="维修类")
    body = client.get("/dispatch/?handler=service").content.decode()
    assert other.tracking_code in body and mine.tracking_code not in body


def test_queue_query_count_does_not_grow_with_rows(people, county, client):
    for i in range(3):
        _report(
            people,
            county,
            text=["占道摆摊", "后山砍树", "路灯坏了"][i],
            point=(T01_POINT[0] + i * 0.01, T01_POINT[1]),
        )
    client.force_login(people["cd"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/dispatch/").status_code == 200
    for i in range(12):
        r = _report(
            people, county, text=f"后山砍树{i}处", point=(T01_POINT[0] + i * 0.01, T01_POINT[1] + 0.05)
        )
        s.do_route(people["cd"], r.pk)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/dispatch/").content.decode()
    assert body.count("data-code=") == 15
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_intake_form_errors_and_success(people, county, client):
    client.force_login(people["gw"])
    r = client.post("/dispatch/new/", {"text": "", "lon": "200", "lat": "abc"})
    body = r.content.decode()
    assert "请填写事件描述" in body and "经度200.0超出范围" in body and "纬度必须是数字" in body
    assert not Report.objects.exists()
    r = client.post(
        "/dispatch/new/",
        {"text": "门口占道摆摊", "lon": T01_POINT[0], "lat": T01_POINT[1], "reporter_name": "李四"},
    )
    assert r.status_code == 302
    report = Report.objects.get()
    assert r["Location"] == f"/dispatch/{report.pk}/" and report.channel == Report.WEB


def test_detail_shows_suggestion_and_runs_actions(people, county, client):
    r = _report(people, county)
    client.force_login(people["td1"])
    body = client.get(f"/dispatch/{r.pk}/").content.decode()
    assert "对擅自占道经营的处罚" in body and "91.0%" in body and "占道、摆摊" in body
    assert 'data-action="route"' in body and 'data-action="accept"' not in body
    resp = client.post(f"/dispatch/{r.pk}/", {"action": "route", "item": "__suggested__", "reason": ""})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == wf.ROUTED and r.handler_township.code == "T01" and r.squad == "市容"
    client.force_login(people["cd"])
    body = client.post(f"/dispatch/{r.pk}/", {"action": "return", "reason": "不归我"}).content.decode()
    assert "只有承办单位可以回退" in body
    client.force_login(people["o1"])
    body = client.post(f"/dispatch/{r.pk}/", {"action": "return", "reason": ""}).content.decode()
    assert "回退必须填写理由" in body
    client.post(f"/dispatch/{r.pk}/", {"action": "accept"})
    r.refresh_from_db()
    assert r.status == wf.HANDLING


def test_public_tracking_never_shows_the_reporter(people, county, client):
    r = _report(people, county, reporter_name="王秘密", reporter_phone="13912345678", anonymous=True)
    s.do_route(people["td1"], r.pk)
    body = client.get(f"/dispatch/track/?code={r.tracking_code.lower()}").content.decode()
    assert "已转办待签收" in body and "转办" in body
    assert "王秘密" not in body and "13912345678" not in body and "td1" not in body
    assert "不存在" in client.get("/dispatch/track/?code=SJXXXX").content.decode()
    # Staff of the handling unit do not see a protected reporter; the dispatcher does.
    client.force_login(people["o1"])
    assert "王秘密" not in client.get(f"/dispatch/{r.pk}/").content.decode()
    client.force_login(people["td1"])
    assert "王秘密" in client.get(f"/dispatch/{r.pk}/").content.decode()


def test_api_intake_is_idempotent_and_scoped(people, county, client):
    client.force_login(people["gw"])
    payload = {"client_id": "gw-0001", "text": "门口占道摆摊", "lon": T01_POINT[0], "lat": T01_POINT[1]}
    first = client.post("/api/dispatch/reports/", payload, content_type="application/json")
    again = client.post("/api/dispatch/reports/", payload, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    assert Report.objects.count() == 1
    header = client.post(
        "/api/dispatch/reports/",
        {"text": "另一件", "lon": T01_POINT[0], "lat": T01_POINT[1]},
        content_type="application/json",
        headers={"Idempotency-Key": "hdr-1"},
    )
    assert header.status_code == 201 and Report.objects.get(client_id="hdr-1")
    bad = client.post(
        "/api/dispatch/reports/", {"text": "", "lon": 1, "lat": 2}, content_type="application/json"
    )
    assert bad.status_code == 400 and "text" in bad.json()["fields"]
    bad = client.post(
        "/api/dispatch/reports/", {"text": "x", "lon": 1, "lat": 2}, content_type="application/json"
    )
    assert "经度1.0超出范围" in bad.json()["fields"]["lon"][0]
    rid = first.json()["id"]
    client.force_login(people["td2"])
    # Knowing another township's client id reveals nothing.
    stolen = client.post("/api/dispatch/reports/", payload, content_type="application/json")
    assert stolen.status_code == 409 and "门口占道摆摊" not in stolen.content.decode()
    # A reporter resending their own report gets it back even where they cannot browse it.
    mover = people["gw"]
    mover.township = county.townships.get(code="T02")
    mover.save()
    client.force_login(mover)
    assert client.post("/api/dispatch/reports/", payload, content_type="application/json").status_code == 200
    mover.township = county.townships.get(code="T01")
    mover.save()
    client.force_login(people["td2"])
    assert client.get(f"/api/dispatch/reports/{rid}/").status_code == 404
    assert client.get("/api/dispatch/reports/").json()["count"] == 0
    r = client.post(
        f"/api/dispatch/reports/{rid}/actions/", {"action": "route"}, content_type="application/json"
    )
    assert r.status_code == 404
    client.force_login(people["td1"])
    r = client.post(
        f"/api/dispatch/reports/{rid}/actions/", {"action": "route"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == wf.ROUTED and r.json()["handler"] == "township:T01"
    r = client.post(
        f"/api/dispatch/reports/{rid}/actions/", {"action": "close"}, content_type="application/json"
    )
    assert r.status_code == 400 and "不能" in r.json()["fields"]["action"][0]
    assert "/api/dispatch/reports/" in client.get("/api/schema/").content.decode()


def test_urge_overdue_command_once(people, county, capsys):
    r = _report(people, county, now=at("2026-09-29T09:00"))
    call_command("urge_overdue", once=True)
    r.refresh_from_db()
    assert r.urge_count == 1 and r.escalation_level == 1
    assert "督办1件" in capsys.readouterr().out
    assert Transition.objects.filter(report=r, action=wf.ESCALATE, actor_name="督办程序").exists()


def test_whistle_pages(people, county, client):
    client.force_login(people["td1"])
    body = client.post("/dispatch/whistles/", {"subject": "", "respond_by": "明天"}).content.decode()
    assert "请填写吹哨事由" in body and "报到期限格式" in body
    r = client.post(
        "/dispatch/whistles/",
        {"subject": "联合拆除违建", "departments": ["D02"], "respond_by": "2099-01-01T09:00"},
    )
    assert r.status_code == 302
    client.force_login(people["d2"])
    page = client.get(r["Location"]).content.decode()
    assert "联合拆除违建" in page and "报到</button>" in page
    # With a report: the called department reads the matter on the whistle page.
    report = _report(people, county, text="河道边违建一处")
    client.force_login(people["td1"])
    r2 = client.post(
        "/dispatch/whistles/",
        {
            "subject": "河道违建",
            "departments": ["D02"],
            "respond_by": "2099-01-01T09:00",
            "report": report.tracking_code,
        },
    )
    client.force_login(people["d2"])
    assert "河道边违建一处" in client.get(r2["Location"]).content.decode()
    # ... and opens the report itself from there (see test_called_department_reads_the_report).
    assert client.get(f"/dispatch/{report.pk}/").status_code == 200
    client.force_login(people["td2"])
    assert client.get(r["Location"]).status_code == 404
    client.force_login(people["sup"])
    assert "县林业局" in client.get("/dispatch/whistles/absent/").content.decode()
    client.force_login(people["o1"])
    assert client.get("/dispatch/whistles/absent/").status_code == 403


# ---- Open311 over real HTTP -------------------------------------------------------------------


def _http(method: str, url: str, data: dict | None = None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.django_db(transaction=True)
def test_open311_round_trip_over_http(people, county, live_server):
    Open311Client.objects.create(county=county, name="市民通", api_key="k-311")
    base = live_server.url + "/open311/v2/"
    status, services = _http("GET", base + "services.json")
    assert status == 200
    assert {x["service_code"] for x in services} == {"Z001", "Z002", "FW"}
    form = {"service_code": "Z001", "lat": T01_POINT[1], "long": T01_POINT[0], "description": "门口占道摆摊"}
    status, err = _http("POST", base + "requests.json", form)
    assert status == 403 and err[0]["code"] == 403 and "api_key" in err[0]["description"]
    status, err = _http("POST", base + "requests.json", {**form, "api_key": "k-311", "service_code": "Z9"})
    assert status == 404 and "Z9" in err[0]["description"]
    status, err = _http("POST", base + "requests.json", {**form, "api_key": "k-311", "lat": "95"})
    assert status == 400 and "纬度" in err[0]["description"]
    status, created = _http(
        "POST", base + "requests.json", {**form, "api_key": "k-311", "first_name": "五", "last_name": "赵"}
    )
    assert status == 201
    code = created[0]["service_request_id"]
    status, got = _http("GET", base + f"requests/{code}.json")
    assert status == 200 and got[0]["status"] == "open" and got[0]["service_code"] == "Z001"
    assert got[0]["description"] == "门口占道摆摊" and "赵" not in json.dumps(got, ensure_ascii=False)
    status, listed = _http("GET", base + "requests.json?status=open")
    assert [x["service_request_id"] for x in listed] == [code]

    # A 311 client that resends with the same Idempotency-Key gets the same request back.
    def post_once():
        req = urllib.request.Request(
            base + "requests.json",
            data=urllib.parse.urlencode({**form, "api_key": "k-311"}).encode(),
            headers={"Idempotency-Key": "app-42"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())[0]["service_request_id"]

    first, again = post_once(), post_once()
    assert first[0] == 201 and again == (200, first[1])
    status, err = _http("GET", base + "requests.xml")
    assert status == 400 and "JSON" in err[0]["description"]
    assert Report.objects.get(tracking_code=code).channel == Report.OPEN311


def test_photos_are_stored_once_with_digest_and_scoped(people, county, client):
    import hashlib
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 128, 0)).save(buf, format="PNG")
    png = buf.getvalue()
    photo = s.PhotoIn("a.png", png, "image/png")
    r = _report(people, county, photos=[photo, photo])
    p = r.photos.get()
    assert p.sha256 == hashlib.sha256(png).hexdigest()
    client.force_login(people["td2"])
    assert client.get(f"/dispatch/photos/{p.pk}/").status_code == 404
    client.force_login(people["td1"])
    resp = client.get(f"/dispatch/photos/{p.pk}/")
    assert resp.status_code == 200 and b"".join(resp.streaming_content) == png
    with pytest.raises(ValidationError, match="不是图片"):
        _report(people, county, text="附件", photos=[s.PhotoIn("x.exe", b"MZ", "application/octet-stream")])


def test_dispatcher_assigns_a_unit_from_the_detail_page(people, county, client):
    r = _report(people, county, text="后山有人砍树")
    client.force_login(people["cd"])
    body = client.post(
        f"/dispatch/{r.pk}/", {"action": "route", "item": "__suggested__", "unit": "township:T01"}
    )
    assert "东城街道不能办理事项Z002" in body.content.decode()
    client.post(f"/dispatch/{r.pk}/", {"action": "route", "item": "__suggested__", "unit": "department:D01"})
    r.refresh_from_db()
    assert r.handler_department.code == "D01" and r.status == wf.ROUTED


def test_time_limit_page(people, county, client):
    from zhifa.dispatch.models import TimeLimit

    client.force_login(people["td1"])
    assert (
        client.post("/dispatch/limits/", {"step": "handling", "amount": 3, "unit": "workdays"}).status_code
        == 403
    )
    client.force_login(people["cd"])
    body = client.get("/dispatch/limits/").content.decode()
    assert "5个工作日" in body and "尚未设置" in body
    body = client.post(
        "/dispatch/limits/", {"step": "closed", "amount": 0, "unit": "weeks", "item_code": "Z9"}
    )
    text = body.content.decode()
    assert "请选择环节" in text and "时限应为1至365" in text and "单位应为" in text and "Z9" in text
    r = client.post(
        "/dispatch/limits/", {"step": "handling", "amount": 3, "unit": "workhours", "item_code": "Z001"}
    )
    assert r.status_code == 302
    row = TimeLimit.objects.get()
    assert (row.item_code, row.priority, row.amount, row.unit) == ("Z001", "", 3, "workhours")
    client.post(
        "/dispatch/limits/", {"step": "handling", "amount": 4, "unit": "workhours", "item_code": "Z001"}
    )
    assert TimeLimit.objects.get().amount == 4  # same key: updated, not duplicated
    client.post("/dispatch/limits/", {"delete": row.pk})
    assert not TimeLimit.objects.exists()


def test_whistle_api_for_departments(people, county, client):
    from zhifa.org.models import Township

    w = s.do_whistle(
        people["td1"],
        township=Township.objects.get(code="T01"),
        department_codes=["D02"],
        subject="联合执法",
        respond_by=at("2099-01-01T09:00"),
    )
    call = w.calls.get()
    client.force_login(people["td2"])
    assert client.get("/api/dispatch/whistles/").json()["count"] == 0
    assert client.get(f"/api/dispatch/whistles/{w.pk}/").status_code == 404
    client.force_login(people["d2"])
    data = client.get(f"/api/dispatch/whistles/{w.pk}/").json()
    assert data["township"] == "T01" and data["calls"][0]["status"] == "called"
    url = f"/api/dispatch/whistles/{w.pk}/calls/{call.pk}/respond/"
    assert client.post(url, {"response": ""}, content_type="application/json").status_code == 400
    r = client.post(url, {"response": "两人到场"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "responded"
    again = client.post(url, {"response": "再报"}, content_type="application/json")
    assert again.status_code == 400 and "不能重复报到" in again.content.decode()


# ---- a department called by a whistle reads the report -----------------------------------------


def _whistle(people, report, codes=("D02",)):
    from zhifa.org.models import Township

    return s.do_whistle(
        people["td1"],
        township=Township.objects.get(code="T01"),
        department_codes=list(codes),
        subject="联合执法",
        respond_by=at("2099-01-01T09:00"),
        report_id=report.pk,
    )


def test_called_department_reads_the_report(people, county, make_user, client):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 128, 0)).save(buf, format="PNG")
    d1 = make_user("department_staff", department="D01", username="d1")
    report = _report(
        people,
        county,
        text="河道边违建一处",
        reporter_name="张三",
        reporter_phone="13800000000",
        photos=[s.PhotoIn("a.png", buf.getvalue(), "image/png")],
    )
    other = _report(people, county, text="路口占道经营")
    photo = report.photos.get()
    client.force_login(people["d2"])
    assert client.get(f"/dispatch/{report.pk}/").status_code == 404
    assert client.get(f"/api/dispatch/reports/{report.pk}/").status_code == 404
    _whistle(people, report)
    _whistle(people, report)  # called twice: still one row, never duplicated
    page = client.get(f"/dispatch/{report.pk}/").content.decode()
    assert "河道边违建一处" in page and "吹哨报到" in page and "县林业局：待报到" in page
    # Read-only: no actions, and the reporter stays hidden as from any non-handler.
    assert "张三" not in page and "13800000000" not in page and 'name="action"' not in page
    assert client.get(f"/dispatch/photos/{photo.pk}/").status_code == 200
    body = client.get("/dispatch/?status=all").content.decode()
    assert body.count(report.tracking_code) >= 1 and other.tracking_code not in body
    assert "吹哨召集本部门" in body
    api = client.get("/api/dispatch/reports/").json()
    assert [r["tracking_code"] for r in api["results"]] == [report.tracking_code]
    data = client.get(f"/api/dispatch/reports/{report.pk}/").json()
    assert data["tracking_code"] == report.tracking_code and data["reporter_name"] == ""
    assert client.get(f"/api/dispatch/reports/{other.pk}/").status_code == 404
    # Reading is not acting: the transition table gives a called department no part.
    act = client.post(
        f"/api/dispatch/reports/{report.pk}/actions/", {"action": "finish", "reason": "x"}, "application/json"
    )
    assert act.status_code in (400, 403) and Report.objects.get(pk=report.pk).status == report.status
    assert not Report.objects.restrict(people["d2"], "change").filter(pk=report.pk).exists()
    # An uncalled department and another township see nothing of it.
    for user in (d1, people["td2"]):
        client.force_login(user)
        assert client.get(f"/dispatch/{report.pk}/").status_code == 404
        assert client.get(f"/dispatch/photos/{photo.pk}/").status_code == 404
        assert client.get(f"/api/dispatch/reports/{report.pk}/").status_code == 404
    client.force_login(people["td1"])
    assert client.get(f"/dispatch/{report.pk}/").status_code == 200


def test_department_queue_query_count_with_whistles(people, county, client):
    # One report of each kind first (called by a whistle, routed to D02), so that the only change
    # afterwards is the number of rows.
    _whistle(people, _report(people, county, text="占道摆摊"))
    s.do_route(people["cd"], _report(people, county, text="后山砍树", point=(112.79, 35.88)).pk)
    client.force_login(people["d2"])
    with CaptureQueriesContext(connection) as few:
        body = client.get("/dispatch/").content.decode()
    assert body.count("data-code=") == 2
    for i in range(6):
        r = _report(people, county, text=f"后山砍树{i}处", point=(T01_POINT[0] + i * 0.005, T01_POINT[1]))
        if i % 2:
            _whistle(people, r)
        else:
            s.do_route(people["cd"], r.pk)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/dispatch/").content.decode()
    assert body.count("data-code=") == 8
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_queue_pages_count_no_further_than_the_cap(people, county, client, monkeypatch):
    from zhifa.core import paging

    for i in range(5):
        _report(people, county, text=f"第{i}处占道摆摊", point=(T01_POINT[0] + i * 0.01, T01_POINT[1]))
    client.force_login(people["cd"])
    monkeypatch.setattr("zhifa.web.dispatch.views.QUEUE_PAGE", 2)
    monkeypatch.setattr(paging.CappedPaginator, "cap", 3)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/dispatch/?status=all").content.decode()
    assert "超过3条" in body and "请用筛选条件缩小范围" in body
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all("LIMIT" in q for q in counts)
    monkeypatch.setattr(paging.CappedPaginator, "cap", 100)
    body = client.get("/dispatch/?status=all").content.decode()
    assert "共5条" in body and "本页2条" in body and 'rel="next"' in body and "超过" not in body


def test_reading_the_queue_and_a_report_writes_nothing(people, county, client):
    """A report taken in without a suggestion (API intake defers it to the worker) is shown with
    one computed for the page; the GETs store nothing and audit nothing (issue 13)."""
    from zhifa.core.models import AuditEntry

    r = _report(people, county, route_suggestion=False)
    assert Report.objects.get(pk=r.pk).suggestion in ({}, None)
    audited = AuditEntry.objects.count()
    client.force_login(people["td1"])
    with CaptureQueriesContext(connection) as ctx:
        queue = client.get("/dispatch/").content.decode()
        detail = client.get(f"/dispatch/{r.pk}/").content.decode()
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert r.tracking_code in queue and "对擅自占道经营的处罚" in detail and "91.0%" in detail
    assert Report.objects.get(pk=r.pk).suggestion in ({}, None)
    assert AuditEntry.objects.count() == audited
    # The worker stores it.
    assert suggestions.fill_suggestions(Report.objects.filter(pk=r.pk)) == 1
    assert Report.objects.get(pk=r.pk).suggestion["item"] == "Z001"


def test_the_api_and_the_page_show_the_reporter_to_the_same_people(people, county, client):
    """One rule (`rules.redaction.may_see_reporter`) for the detail page and the API: the
    supervisor reads the report, but has no part in it and does not see who reported it."""
    r = _report(people, county, reporter_name="王举报", reporter_phone="13912345678")
    for who, sees in (("td1", True), ("sup", False)):
        client.force_login(people[who])
        page = client.get(f"/dispatch/{r.pk}/").content.decode()
        api = client.get(f"/api/dispatch/reports/{r.pk}/").json()
        assert ("王举报" in page) is sees and (api["reporter_name"] == "王举报") is sees
        assert (api["reporter_phone"] == "13912345678") is sees

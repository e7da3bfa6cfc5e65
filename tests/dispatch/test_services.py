"""Intake, routing, the closed loop, urging across a holiday, whistles (services, SQLite/PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dispatch.helpers import T01_POINT, T02_POINT, at, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.actions import intake as intake_actions
from zhifa.dispatch.models import Report, Step, TimeLimit, Transition, WhistleCall
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
    admin = make_user("admin", username="admin")
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    return {
        "admin": admin,
        "cd": make_user("county_dispatcher", username="cd"),
        "td1": make_user("township_dispatcher", township="T01", username="td1"),
        "td2": make_user("township_dispatcher", township="T02", username="td2"),
        "o1": make_user("officer", township="T01", username="o1"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
        "d1": make_user("department_staff", department="D01", username="d1"),
        "d2": make_user("department_staff", department="D02", username="d2"),
        "sup": make_user("supervisor", username="sup"),
    }


def intake(people, county, text="幸福里小区门口有人占道摆摊卖菜", point=T01_POINT, **kw):
    kw.setdefault("now", at("2026-09-29T09:00"))
    return s.do_intake(people["gw"], county=county, text=text, lon=point[0], lat=point[1], **kw)


def test_intake_is_idempotent_by_client_id(people, county):
    first = intake(people, county, client_id="m-123", reporter_phone="13800000000")
    again = intake(people, county, client_id="m-123", text="重发的同一事件")
    assert first.created and not again.created
    assert again.report.pk == first.report.pk
    assert Report.objects.count() == 1
    r = first.report
    assert r.township.code == "T01" and r.grid_code == "T01-G01" and r.micro_code == "T01-M01"
    assert r.suggestion["candidates"][0] == {"item": "Z001", "score": 0.91, "words": ["占道", "摆摊"]}
    assert r.status == wf.RECEIVED and r.step_due_at is not None
    assert r.tracking_code.startswith("SJ") and len(r.tracking_code) == 12
    assert [t.action for t in r.transitions.all()] == ["intake"]
    # Report, step and transition are in the audit chain (written as one batch).
    from zhifa.core.models import AuditEntry

    logged = set(
        AuditEntry.objects.filter(action="create", model__startswith="dispatch.").values_list(
            "model", "object_id"
        )
    )
    assert {("dispatch.Report", str(r.pk)), ("dispatch.Transition", str(r.transitions.get().pk))} <= logged
    assert ("dispatch.Step", str(r.steps.get().pk)) in logged


def test_intake_errors_are_chinese_and_name_the_field(people, county):
    with pytest.raises(ValidationError) as exc:
        s.do_intake(people["gw"], county=county, text=" ", lon="35.8", lat="112.8", crs="utm")
    errors = exc.value.message_dict
    assert errors["text"] == ["请填写事件描述"]
    assert "经度35.8超出范围" in errors["lon"][0] and "纬度112.8超出范围" in errors["lat"][0]
    assert "不支持的坐标系" in errors["crs"][0]
    with pytest.raises(ValidationError, match="经度必须是数字"):
        s.do_intake(people["gw"], county=county, text="x", lon="东经", lat=35)
    assert not Report.objects.exists()


def test_gcj02_is_converted_to_wgs84(people, county):
    r = intake(people, county, crs="gcj02").report
    assert r.lon == T01_POINT[0] and r.crs == "gcj02"
    # GCJ-02 is shifted a few hundred metres from WGS-84 in this region.
    assert 100 < s.distance_m(r.lon, r.lat, r.wgs_lon, r.wgs_lat) < 1000


def test_likely_duplicates_are_flagged(people, county):
    a = intake(people, county, text="幸福里小区门口早上有十几个菜摊占道经营").report
    near = (T01_POINT[0] + 0.0002, T01_POINT[1])  # about 18 m east
    b = intake(people, county, text="幸福里小区门口菜摊占道经营，老人过不去", point=near)
    assert b.report.duplicate_of_id == a.pk
    assert any(a.tracking_code in w for w in b.warnings)
    far = (T01_POINT[0] + 0.005, T01_POINT[1])  # about 450 m
    assert intake(people, county, text="幸福里小区门口菜摊占道经营", point=far).report.duplicate_of is None
    other = intake(people, county, text="路灯坏了三天了", point=near).report
    assert other.duplicate_of is None
    late = intake(people, county, text="幸福里小区门口菜摊占道经营", point=near, now=at("2026-10-09T09:00"))
    assert late.report.duplicate_of is None  # outside the 72-hour window


def test_route_to_township_squad_or_department(people, county):
    held = intake(people, county).report
    s.do_route(people["td1"], held.pk)
    held.refresh_from_db()
    assert (held.status, held.handler_kind, held.handler_township.code, held.squad) == (
        wf.ROUTED,
        "township",
        "T01",
        "市容",
    )
    assert s.handler_ref(held) == "township:T01"
    not_held = intake(people, county, text="有人砍了山上的树").report
    s.do_route(people["cd"], not_held.pk)
    not_held.refresh_from_db()
    assert s.handler_ref(not_held) == "department:D02"
    service = intake(people, county, text="小区路灯坏了").report
    s.do_route(people["td1"], service.pk, item_code="", reason="维修类，非执法事项")
    service.refresh_from_db()
    assert service.service_queue and service.handler_kind == Report.SERVICE
    # The department sees only what is routed to it.
    assert list(Report.objects.restrict(people["d2"])) == [not_held]
    assert not Report.objects.restrict(people["d1"]).exists()
    with pytest.raises(ValidationError, match="Z999"):
        s.do_route(people["cd"], intake(people, county, text="别的").report.pk, item_code="Z999")


def test_full_loop_to_archive_with_callback(people, county):
    r = intake(people, county, reporter_name="张三", reporter_phone="13800000000", anonymous=True).report
    s.do_route(people["td1"], r.pk)
    with pytest.raises(wf.TransitionRefused, match="只有承办单位可以签收"):
        s.do_accept(people["cd"], r.pk)
    s.do_accept(people["o1"], r.pk)
    with pytest.raises(ValidationError, match="必须填写理由"):
        s.do_finish(people["o1"], r.pk, result="")
    s.do_finish(people["o1"], r.pk, result="已劝离摊贩，恢复通行")
    with pytest.raises(ValidationError, match="尚未进行现场核查"):
        s.do_close(people["td1"], r.pk)
    s.do_verify(people["td1"], r.pk, passed=True, note="现场已无摊贩")
    with pytest.raises(ValidationError, match="尚未回访"):
        s.do_close(people["td1"], r.pk)
    s.do_callback(people["td1"], r.pk, result=Report.SATISFIED)
    s.do_close(people["td1"], r.pk)
    s.do_archive(people["td1"], r.pk)
    r.refresh_from_db()
    assert r.status == wf.ARCHIVED and r.closed_at is not None
    actions = list(r.transitions.values_list("action", "from_status", "to_status", "actor_name"))
    assert [a[0] for a in actions] == [
        "intake",
        "route",
        "accept",
        "finish",
        "verify",
        "callback",
        "close",
        "archive",
    ]
    assert actions[2][1:] == (wf.ROUTED, wf.HANDLING, "o1")
    assert [st.state for st in r.steps.all()] == [wf.RECEIVED, wf.ROUTED, wf.HANDLING, wf.VERIFYING]
    assert all(st.ended_at for st in r.steps.all())
    with pytest.raises(wf.TransitionRefused, match="已归档"):
        s.do_callback(people["td1"], r.pk, result=Report.UNSATISFIED, note="又来了")


def test_unhappy_callback_reopens(people, county):
    r = intake(people, county, reporter_phone="13800000000").report
    s.do_route(people["td1"], r.pk)
    s.do_accept(people["o1"], r.pk)
    s.do_finish(people["o1"], r.pk, result="已处理")
    s.do_verify(people["td1"], r.pk, passed=True)
    with pytest.raises(ValidationError, match="意见"):
        s.do_callback(people["td1"], r.pk, result=Report.UNSATISFIED)
    s.do_callback(people["td1"], r.pk, result=Report.UNSATISFIED, note="第二天又摆出来了")
    r.refresh_from_db()
    assert r.status == wf.HANDLING and not r.verified
    assert r.transitions.last().reason == "第二天又摆出来了"


def test_return_extension_hold_reassign(people, county):
    r = intake(people, county).report
    s.do_route(people["cd"], r.pk, item_code="Z002")
    with pytest.raises(ValidationError, match="回退必须填写理由"):
        s.do_return(people["d2"], r.pk, reason="")
    s.do_return(people["d2"], r.pk, reason="不是林业问题，是占道经营")
    r.refresh_from_db()
    assert r.status == wf.RECEIVED and r.handler_kind == Report.NONE
    assert not Report.objects.restrict(people["d2"]).exists()
    s.do_route(people["td1"], r.pk, item_code="Z001")
    s.do_accept(people["o1"], r.pk, now=at("2026-09-29T10:00"))
    r.refresh_from_db()
    due = r.step_due_at
    s.do_request_extension(people["o1"], r.pk, days=3, reason="需要协调市场搬迁")
    with pytest.raises(wf.TransitionRefused, match="只有调度员可以批准延期"):
        s.do_approve_extension(people["o1"], r.pk)
    s.do_approve_extension(people["td1"], r.pk)
    r.refresh_from_db()
    assert r.step_due_at > due and r.extension_requested_days == 0
    with pytest.raises(ValidationError, match="复查日期"):
        s.do_hold(people["o1"], r.pk, review_on=None, reason="待拆迁")
    s.do_hold(
        people["o1"], r.pk, review_on=dt.date(2026, 12, 1), reason="待拆迁后解决", now=at("2026-09-30T09:00")
    )
    r.refresh_from_db()
    assert r.status == wf.HELD and r.step_due_at is None
    assert s.remind_held(now=at("2026-11-30T09:00")) == []
    assert s.remind_held(now=at("2026-12-01T09:00")) == [r.tracking_code]
    assert s.remind_held(now=at("2026-12-01T15:00")) == []  # once per review date
    s.do_resume(people["td1"], r.pk)
    s.do_reassign(people["cd"], r.pk, department_code="D01", reason="改由县城管局办理")
    r.refresh_from_db()
    assert (r.status, s.handler_ref(r)) == (wf.ROUTED, "department:D01")


def test_split_and_merge(people, county):
    r = intake(people, county, text="门口占道摆摊，另外后山有人砍树").report
    kids = s.do_split(people["td1"], r.pk, parts=["门口占道摆摊", "后山有人砍树"], reason="两件事")
    r.refresh_from_db()
    assert r.status == wf.SPLIT and [k.parent_id for k in kids] == [r.pk, r.pk]
    assert kids[1].suggestion["item"] == "Z002" and kids[0].township_id == r.township_id
    with pytest.raises(ValidationError, match="至少需要两项"):
        s.do_split(people["td1"], kids[0].pk, parts=["一项"], reason="x")
    dup = intake(people, county, text="门口又有人占道摆摊").report
    s.do_merge(people["td1"], dup.pk, into_id=kids[0].pk, reason="同一地点同一事项")
    dup.refresh_from_db()
    assert dup.status == wf.MERGED and dup.merged_into_id == kids[0].pk


def test_scoping_other_township_cannot_act_or_see(people, county):
    r = intake(people, county).report
    with pytest.raises(Report.DoesNotExist):
        s.do_route(people["td2"], r.pk)
    assert not Report.objects.restrict(people["td2"]).filter(pk=r.pk).exists()
    assert Report.objects.restrict(people["sup"]).filter(pk=r.pk).exists()
    t2 = intake(people, county, point=T02_POINT).report
    assert t2.township.code == "T02"
    with pytest.raises(Report.DoesNotExist):
        s.do_route(people["td1"], t2.pk)
    with pytest.raises(wf.TransitionRefused, match="只有调度员"):
        s.do_dismiss(people["o1"], r.pk, reason="无效")


def test_time_limit_configuration_wins_over_default(people, county):
    TimeLimit.objects.create(county=county, item_code="Z001", step=wf.HANDLING, amount=2, unit=wf.WORKHOURS)
    TimeLimit.objects.create(county=county, step=wf.HANDLING, amount=9, unit=wf.WORKDAYS)
    r = intake(people, county).report
    s.do_route(people["td1"], r.pk)
    s.do_accept(people["o1"], r.pk, now=at("2026-09-30T16:30"))
    step = Step.objects.get(report=r, state=wf.HANDLING)
    assert step.limit_label == "2个工作小时"
    # One hour left on 30 September, then the National Day holiday, then 8:30–9:30 on 8 October.
    assert step.due_at == at("2026-10-08T09:30")
    other = intake(people, county, text="有人砍了山上的树").report
    s.do_route(people["cd"], other.pk)
    s.do_accept(people["d2"], other.pk, now=at("2026-09-29T09:00"))
    assert Step.objects.get(report=other, state=wf.HANDLING).limit_label == "9个工作日"


def test_urge_overdue_across_the_national_day_holiday(people, county):
    r = intake(people, county, now=at("2026-09-30T09:00")).report
    s.do_route(people["td1"], r.pk, now=at("2026-09-30T10:00"))
    r.refresh_from_db()
    # One working day to sign for it: 1–7 October are holidays, so the 8th at close of office.
    assert r.step_due_at == at("2026-10-08T17:30")
    assert s.urge_overdue(now=at("2026-10-07T20:00")).urged == []
    first = s.urge_overdue(now=at("2026-10-08T18:00"))
    assert first.urged == [r.tracking_code] and first.escalated == [r.tracking_code]
    r.refresh_from_db()
    assert (r.urge_count, r.escalation_level) == (1, 1)
    assert r.escalation_label == "乡镇（街道）调度平台"
    assert s.urge_overdue(now=at("2026-10-08T18:30")).urged == []  # within the grace day
    # The grace day is 9 October; 10 October is an adjusted working Saturday.
    s.urge_overdue(now=at("2026-10-09T18:00"))
    r.refresh_from_db()
    assert (r.urge_count, r.escalation_level) == (2, 2)
    urges = Transition.objects.filter(report=r, action=wf.URGE)
    assert urges.count() == 2 and urges.first().actor_name == "督办程序"
    assert "2026-10-08 17:30" in urges.first().reason
    assert Step.objects.get(report=r, state=wf.ROUTED).urged == 2


def test_whistle_absent_department_and_proposal(people, county):
    from zhifa.org.models import Township

    t1 = Township.objects.get(code="T01")
    r = intake(people, county).report
    with pytest.raises(PermissionDenied):
        s.do_whistle(people["o1"], township=t1, department_codes=["D01"], subject="x", respond_by=None)
    with pytest.raises(ValidationError) as exc:
        s.do_whistle(people["td1"], township=t1, department_codes=["D09"], subject="", respond_by=None)
    assert set(exc.value.message_dict) == {"subject", "departments", "respond_by"}
    w = s.do_whistle(
        people["td1"],
        township=t1,
        department_codes=["D01", "D02"],
        subject="违法建设联合拆除",
        respond_by=at("2026-10-09T17:00"),
        report_id=r.pk,
        now=at("2026-09-29T09:00"),
    )
    c1, c2 = w.calls.order_by("department__code")
    with pytest.raises(PermissionDenied):
        s.do_respond(people["d2"], c1.pk, response="到场")
    s.do_respond(people["d1"], c1.pk, response="执法大队2人到场", now=at("2026-09-30T09:00"))
    logged = r.transitions.get(action="whistle_response")
    assert logged.reason == "执法大队2人到场" and logged.data == {"department": "D01", "late": False}
    assert s.mark_absent(now=at("2026-10-09T18:00")) == 1
    c2.refresh_from_db()
    assert c2.status == WhistleCall.ABSENT
    rows = s.absent_departments(people["sup"])
    assert [(x["department"].code, x["absent"]) for x in rows] == [("D02", 1), ("D01", 0)]
    with pytest.raises(ValidationError, match="按时报到"):
        s.do_propose_discipline(people["sup"], c1.pk, text="约谈")
    p = s.do_propose_discipline(people["sup"], c2.pk, text="建议对县林业局相关负责人约谈")
    assert p.call_id == c2.pk
    # The department sees the whistles that call it, not others.
    assert list(WhistleCall.objects.restrict(people["d2"])) == [c2]


def test_assign_respects_holdings(people, county):
    r = intake(people, county, text="有人砍了山上的树").report  # Z002: T01 does not hold it
    with pytest.raises(ValidationError, match="东城街道不能办理事项Z002"):
        s.do_assign(people["cd"], r.pk, unit="township:T01")
    with pytest.raises(ValidationError, match="承办单位“T01”无效"):
        s.do_assign(people["cd"], r.pk, unit="T01")
    s.do_assign(people["cd"], r.pk, unit="department:D01", reason="由自然资源局牵头")
    r.refresh_from_db()
    assert (r.status, s.handler_ref(r), r.item_code) == (wf.ROUTED, "department:D01", "Z002")
    s.do_assign(people["cd"], r.pk, unit="township:T01", item_code="Z001", reason="实为占道经营")
    r.refresh_from_db()
    assert (r.status, s.handler_ref(r), r.squad) == (wf.ROUTED, "township:T01", "市容")
    assert [t.action for t in r.transitions.all()][-2:] == [wf.ROUTE, wf.REASSIGN]
    s.do_assign(people["cd"], r.pk, unit="service", reason="经核实为维修事项")
    r.refresh_from_db()
    assert r.service_queue and r.item_code == ""


def test_simultaneous_resend_loses_the_race_and_returns_the_winner(people, county, monkeypatch):
    first = intake(people, county, client_id="race-1").report
    # The second request checked before the first committed: it saw nothing and inserts too.
    monkeypatch.setattr(intake_actions, "_existing", lambda client_id: None)
    again = intake(people, county, client_id="race-1", text="同一事件的第二次发送")
    assert not again.created and again.report.pk == first.pk
    assert Report.objects.filter(client_id="race-1").count() == 1
    assert Transition.objects.filter(report=first).count() == 1


def test_joint_action_led_by_a_department_asks_the_township_to_assist(people, county):
    r = intake(people, county, text="有人砍了山上的树").report
    s.do_route(people["cd"], r.pk)
    s.do_accept(people["d2"], r.pk)
    with pytest.raises(ValidationError, match="理由"):
        s.do_start_joint(people["d2"], r.pk, reason="")
    s.do_start_joint(people["d2"], r.pk, reason="需街道协助查找责任人")
    r.refresh_from_db()
    assert r.status == wf.JOINT and r.assist_township
    assert Report.objects.restrict(people["td1"]).filter(pk=r.pk).exists()
    s.do_finish(people["d2"], r.pk, result="已立案查处")
    r.refresh_from_db()
    assert r.status == wf.VERIFYING


def test_a_missing_holiday_year_never_stops_intake(people, county):
    # 2027's arrangement is not in the calendar: the receipt step's due time cannot be computed.
    TimeLimit.objects.create(county=county, step=wf.RECEIVED, amount=3, unit=wf.WORKDAYS)
    res = intake(people, county, now=at("2026-12-30T10:00"))
    r = res.report
    assert r.step_due_at is None and any("缺少2027年节假日安排" in w for w in res.warnings)
    assert r.steps.get().limit_label == "3个工作日（期限待定，缺节假日安排）"
    s.do_route(people["td1"], r.pk, now=at("2026-12-30T11:00"))  # 1 working day: 31 December
    r.refresh_from_db()
    assert r.step_due_at == at("2026-12-31T17:30")
    s.do_accept(people["o1"], r.pk, now=at("2026-12-31T09:00"))
    r.refresh_from_db()
    assert r.step_due_at is None and r.status == wf.HANDLING
    s.do_request_extension(people["o1"], r.pk, days=3, reason="需协调")
    with pytest.raises(ValidationError, match="缺少2027年节假日安排"):
        s.do_approve_extension(people["td1"], r.pk, now=at("2026-12-31T10:00"))
    # The administrator enters 2027 (here only New Year's Day); the worker fills the due time.
    from zhifa.core import calendar as core_calendar
    from zhifa.core.models import CalendarDay, HolidayYear

    HolidayYear.objects.create(year=2027)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=CalendarDay.HOLIDAY, name="元旦")
    core_calendar.invalidate()
    try:
        assert s.fill_missing_dues() == 1
        r.refresh_from_db()
        # Five working days from 31 December: 4, 5, 6, 7 and 8 January (1 January a holiday).
        assert r.step_due_at == at("2027-01-08T17:30")
    finally:
        core_calendar.invalidate()


def test_duplicate_search_reads_the_cell_index_not_a_latitude_band(people, county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = intake(people, county, text="幸福里小区门口早上有十几个菜摊占道经营").report
    assert a.dup_cell == wf.duplicate_cell(a.wgs_lon, a.wgs_lat)
    # Moving the point moves its cell, also through a save naming only the coordinates.
    a.wgs_lon += 0.01
    a.save(update_fields=["wgs_lon"])
    a.refresh_from_db()
    assert a.dup_cell == wf.duplicate_cell(a.wgs_lon, a.wgs_lat)
    a.wgs_lon -= 0.01
    a.save(update_fields=["wgs_lon"])
    near = (T01_POINT[0] + 0.0002, T01_POINT[1])
    with CaptureQueriesContext(connection) as ctx:
        b = intake(people, county, text="幸福里小区门口菜摊占道经营，老人过不去", point=near)
    assert b.report.duplicate_of_id == a.pk
    sql = [q["sql"] for q in ctx.captured_queries if "dup_cell" in q["sql"] and "SELECT" in q["sql"]]
    assert len(sql) == 1 and "wgs_lat" not in sql[0].split("WHERE", 1)[1]
    assert "dispatch_report_cell_idx" in _candidates_plan(b.report, hide_others=True)


def _candidates_plan(report: Report, hide_others: bool = False) -> str:
    from django.db import connection

    from zhifa.dispatch.actions.intake import candidates_query

    sql, params = candidates_query(report)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # A table this small is cheapest read whole; the question is which index serves.
            cur.execute("SET LOCAL enable_seqscan = off")
            if hide_others:
                # On a table this small a whole scan of any index holding reported_at costs
                # about the same; at scale the cell index is by far the cheaper. The others are
                # hidden for this transaction (rolled back with the test): the question is "can it".
                cur.execute(
                    "SELECT indexrelid::regclass::text FROM pg_index i"
                    " WHERE indrelid = 'dispatch_report'::regclass AND NOT EXISTS"
                    " (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
                )
                for (name,) in cur.fetchall():
                    if name != "dispatch_report_cell_idx":
                        cur.execute(f"DROP INDEX {name}")
            cur.execute("EXPLAIN " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cur.fetchall())


def test_duplicate_search_keeps_to_the_cells_for_a_county_new_since_the_last_analyze(people, county):
    """Statistics taken while the county had no reports make the county look rare: a query that
    compared the county through an index then read all of the county's reports in the window
    (the board's (county, reported_at) index) instead of a few cells."""
    from django.db import connection

    a = intake(people, county, text="幸福里小区门口早上有十几个菜摊占道经营").report
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE dispatch_report")
    far = [(T01_POINT[0] + 0.002 * (i % 40), T01_POINT[1] + 0.002 * (i // 40)) for i in range(1, 2001)]
    Report.objects.bulk_create(
        Report(
            county=county,
            tracking_code=f"BULK{i:06d}",
            text="别处的事件",
            lon=lon,
            lat=lat,
            wgs_lon=lon,
            wgs_lat=lat,
            dup_cell=wf.duplicate_cell(lon, lat),
            reported_at=a.reported_at,
        )
        for i, (lon, lat) in enumerate(far)
    )
    probe = Report(county=county, text="门口菜摊", reported_at=a.reported_at)
    probe.wgs_lon, probe.wgs_lat = a.wgs_lon, a.wgs_lat
    plan = _candidates_plan(probe)
    # No index searched by the county: PostgreSQL's "Index Cond: ((county_id = 3) AND …" and
    # SQLite's "USING INDEX dispatch_report_period_idx (county_id=? AND …" were the old plans.
    searches = [line for line in plan.splitlines() if "Index Cond" in line or "USING" in line]
    assert searches and not any("county_id =" in line or "county_id=" in line for line in searches), plan
    if connection.vendor == "sqlite":
        assert "dispatch_report_cell_idx" in plan, plan
    assert s.find_duplicate(probe) == a


def test_the_running_step_is_read_from_the_reports_step_start_on(people, county):
    """Steps are partitioned by month of start: the running step's read is bounded below by the
    report's step_started_at (a few partitions), and still finds the step of a report without one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhifa.dispatch.actions.urge import do_urge

    r = intake(people, county).report
    with CaptureQueriesContext(connection) as ctx:
        do_urge(people["cd"], r.pk, reason="请尽快分拨", now=at("2026-09-29T10:00"))
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "dispatch_step"' in q["sql"]
    ]
    # The running step from the report's step start on; the audit's before-image by its month.
    bounded = ('"dispatch_step"."started_at" >=', '"dispatch_step"."started_at" =')
    assert len(reads) == 2 and all(any(b in sql for b in bounded) for sql in reads), reads
    assert r.steps.get().urged == 1
    Report.objects.filter(pk=r.pk).update(step_started_at=None)  # a report from before the column
    do_urge(people["cd"], r.pk, reason="再次督办", now=at("2026-09-29T11:00"))
    assert r.steps.get().urged == 2

"""Account administration and the holiday calendar editor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhifa.core import calendar
from zhifa.core.models import AuditEntry, CalendarDay
from zhifa.org import services
from zhifa.org.models import User
from zhifa.rules.workdays import CalendarGapError


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="county-admin")


def test_admin_creates_a_township_user_and_errors_are_named(client, admin, county):
    client.force_login(admin)
    r = client.post(
        "/org/users/new/", {"username": "x1", "full_name": "甲", "role": "officer", "password": "123"}
    )
    body = r.content.decode()
    assert "必须选择所属乡镇" in body
    assert not User.objects.filter(username="x1").exists()
    t01 = county.townships.get(code="T01")
    r = client.post(
        "/org/users/new/",
        {
            "username": "x1",
            "full_name": "甲",
            "role": "officer",
            "password": "Strong-pass-2026",
            "township": t01.pk,
        },
    )
    assert r.status_code == 302
    u = User.objects.get(username="x1")
    assert u.township == t01 and u.county == county


def test_township_staff_cannot_manage_users(client, make_user):
    officer = make_user("officer", township="T01")
    client.force_login(officer)
    assert client.get("/org/users/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.unlock_user(officer, officer.pk)


def test_unlock_clears_the_lock(admin, make_user, client):
    from zhifa.org import auth
    from zhifa.org.models import LoginThrottle

    locked = make_user("officer", township="T01", username="locked")
    for address in ("10.0.0.1", "10.0.0.2"):
        LoginThrottle.objects.create(
            username="locked", address=address, locked_until=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
        )
    assert auth.active_locks(["locked"]) == {"locked": 2}
    client.force_login(admin)
    assert "已锁定（2个地址）" in client.get("/org/users/?q=locked").content.decode()
    services.unlock_user(admin, locked.pk)
    assert auth.active_locks(["locked"]) == {}
    assert auth.refusal("locked", "10.0.0.1") is None


def test_reset_password_validates_strength(admin, make_user):
    u = make_user("officer", township="T01", username="pw")
    with pytest.raises(ValidationError):
        services.reset_password(admin, u.pk, "123")
    services.reset_password(admin, u.pk, "Another-good-2026")
    u.refresh_from_db()
    assert u.check_password("Another-good-2026")


def test_parse_day_lines_reports_each_bad_line():
    days, errors = calendar.parse_day_lines(
        "2027-10-01~2027-10-07 国庆节\nbad line\n2026-05-01 劳动节", 2027, "holiday"
    )
    # 2027-10-01 is a Friday; the weekend 10-02/10-03 is skipped.
    assert (dt.date(2027, 10, 1), "国庆节") in days
    assert dt.date(2027, 10, 2) not in [d for d, _ in days]
    assert any("第2行" in e for e in errors)
    assert any("第3行" in e and "不属于2027年" in e for e in errors)
    _, werr = calendar.parse_day_lines("2027-10-11 国庆节", 2027, "workday")
    assert "调休上班日应为周六或周日" in werr[0]


def test_adding_a_new_year_makes_its_deadlines_computable(client, admin, db):
    with pytest.raises(CalendarGapError):
        calendar.work_calendar().add_workdays(dt.date(2027, 1, 4), 3)
    client.force_login(admin)
    r = client.post(
        "/org/calendar/",
        {
            "year": "2027",
            "source": "国务院办公厅关于2027年部分节假日安排的通知",
            "holidays": "2027-01-01 元旦\n2027-01-05 测试休息日",
            "workdays": "2027-01-09 测试调休",
        },
    )
    assert r.status_code == 302, r.content.decode()
    cal = calendar.work_calendar()
    # 01-05 is off, 01-09 (Saturday) is worked.
    assert cal.add_workdays(dt.date(2027, 1, 4), 1) == dt.date(2027, 1, 6)
    assert cal.add_workdays(dt.date(2027, 1, 8), 1) == dt.date(2027, 1, 9)
    assert AuditEntry.objects.filter(model="core.CalendarDay", action="create").exists()
    # Editing the year replaces its days.
    r = client.post("/org/calendar/2027/", {"source": "更正", "holidays": "2027-01-01 元旦", "workdays": ""})
    assert r.status_code == 302
    assert not CalendarDay.objects.filter(date=dt.date(2027, 1, 5)).exists()
    assert calendar.work_calendar().add_workdays(dt.date(2027, 1, 4), 1) == dt.date(2027, 1, 5)
    calendar.invalidate()


def test_calendar_editor_refuses_bad_input_and_non_admins(client, admin, make_user):
    client.force_login(admin)
    r = client.post(
        "/org/calendar/", {"year": "2027", "source": "", "holidays": "2027-13-01", "workdays": ""}
    )
    body = r.content.decode()
    assert "日期格式应为" in body and "请填写依据" in body
    assert "2027" not in [str(y) for y in calendar.work_calendar().years]
    officer = make_user("officer", township="T01")
    client.force_login(officer)
    assert client.get("/org/calendar/2026/").status_code == 200
    assert client.post("/org/calendar/", {"year": "2028"}).status_code == 403


def test_api_users_are_scoped_and_guessed_ids_are_404(client, make_user):
    a = make_user("officer", township="T01", username="a1")
    b = make_user("officer", township="T02", username="b1")
    client.force_login(a)
    listed = {u["username"] for u in client.get("/api/org/users/").json()["results"]}
    assert listed == {"a1"}
    assert client.get(f"/api/org/users/{b.pk}/").status_code == 404
    assert client.get("/api/org/me/").json()["township"] == "T01"
    # Reference data stays readable by everyone of the county.
    assert len(client.get("/api/org/townships/").json()["results"]) == 2


def test_api_requires_login_and_answers_in_chinese(client, county):
    r = client.get("/api/org/townships/")
    assert r.status_code in (401, 403)
    assert "身份认证" in r.json()["error"] or "认证" in r.json()["error"]


def test_structure_page_lists_townships(client, make_user):
    client.force_login(make_user("officer", township="T01"))
    body = client.get("/org/").content.decode()
    assert "东城街道" in body and "县自然资源局" in body

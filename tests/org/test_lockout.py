"""Lockout per account and client address: a stranger cannot lock an officer out."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from zhifa.core.models import AuditEntry
from zhifa.org import auth
from zhifa.org.models import LoginThrottle

PASSWORD = "Zhifa-test-2026"


def _login(client: Client, username: str, password: str, address: str):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def officer(make_user, settings):
    settings.LOCKOUT_ATTEMPTS = 3
    settings.LOCKOUT_MINUTES = 15
    return make_user("officer", township="T01", username="wang")


def test_a_strangers_failures_lock_only_the_strangers_address(officer):
    stranger, own = Client(), Client()
    for _ in range(3):
        assert _login(stranger, "wang", "wrong-password", "203.0.113.9").status_code == 200
    refused = _login(stranger, "wang", PASSWORD, "203.0.113.9")
    assert "已被锁定" in refused.content.decode()
    assert "_auth_user_id" not in stranger.session
    # The officer, from the office's own address, signs in as usual.
    assert _login(own, "wang", PASSWORD, "10.1.2.3").status_code == 302
    assert own.session["_auth_user_id"] == str(officer.pk)


def test_failed_and_refused_logins_are_audited_with_the_address(officer):
    c = Client()
    for _ in range(4):
        _login(c, "wang", "wrong-password", "203.0.113.9")
    failed = AuditEntry.objects.filter(action="login_failed", object_id=str(officer.pk))
    assert failed.count() == 3
    assert {e.after["address"] for e in failed} == {"203.0.113.9"}
    assert AuditEntry.objects.filter(action="login_refused", after__username="wang").count() == 1
    # A name that is no account is audited too (someone is guessing).
    _login(c, "nobody", "x", "198.51.100.1")
    assert AuditEntry.objects.filter(action="login_failed", after__username="nobody").exists()


def test_each_further_lock_lasts_twice_as_long(officer, settings):
    assert auth.lock_duration(1) == dt.timedelta(minutes=15)
    assert auth.lock_duration(2) == dt.timedelta(minutes=30)
    assert auth.lock_duration(3) == dt.timedelta(minutes=60)
    assert auth.lock_duration(40) == dt.timedelta(hours=24)
    c = Client()
    for _ in range(3):
        _login(c, "wang", "wrong-password", "203.0.113.9")
    row = LoginThrottle.objects.get(username="wang", address="203.0.113.9")
    first = row.locked_until - timezone.now()
    assert dt.timedelta(minutes=14) < first <= dt.timedelta(minutes=15)
    # The lock runs out; three more failures lock for twice as long.
    LoginThrottle.objects.filter(pk=row.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    for _ in range(3):
        _login(c, "wang", "wrong-password", "203.0.113.9")
    row.refresh_from_db()
    assert row.lock_count == 2
    assert dt.timedelta(minutes=29) < row.locked_until - timezone.now() <= dt.timedelta(minutes=30)


def test_old_failures_are_forgotten_and_a_success_clears_the_pair(officer):
    c = Client()
    for _ in range(2):
        _login(c, "wang", "wrong-password", "10.1.2.3")
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    LoginThrottle.objects.filter(username="wang").update(last_failure_at=an_hour_ago)
    _login(c, "wang", "wrong-password", "10.1.2.3")
    assert LoginThrottle.objects.get(username="wang", address="10.1.2.3").failures == 1
    assert _login(c, "wang", PASSWORD, "10.1.2.3").status_code == 302
    assert not LoginThrottle.objects.filter(username="wang").exists()


def test_an_address_spraying_many_names_is_locked_for_every_name(officer, make_user, settings):
    settings.LOCKOUT_ADDRESS_ATTEMPTS = 5
    c = Client()
    for i in range(5):
        _login(c, f"guess{i}", "wrong-password", "203.0.113.50")
    r = _login(c, "wang", PASSWORD, "203.0.113.50")
    assert "本机所在地址登录失败次数过多" in r.content.decode()
    assert "_auth_user_id" not in c.session
    assert _login(Client(), "wang", PASSWORD, "10.1.2.3").status_code == 302


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_forwarded_address_counts(officer, rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    assert auth.client_address(request) == "203.0.113.7"  # what the proxy saw; the left is the client's word


def test_basic_auth_is_off_and_tokens_work(officer):
    basic = "Basic " + base64.b64encode(f"wang:{PASSWORD}".encode()).decode()
    assert Client().get("/api/dispatch/reports/", HTTP_AUTHORIZATION=basic).status_code in (401, 403)
    call_command("api_token", "wang", stdout=open("/dev/null", "w"))
    key = Token.objects.get(user=officer).key
    r = Client().get("/api/dispatch/reports/", HTTP_AUTHORIZATION=f"Token {key}")
    assert r.status_code == 200
    call_command("api_token", "wang", "--revoke", stdout=open("/dev/null", "w"))
    assert Client().get("/api/dispatch/reports/", HTTP_AUTHORIZATION=f"Token {key}").status_code in (401, 403)
    assert AuditEntry.objects.filter(action="token_revoked", object_id=str(officer.pk)).exists()

"""A lost database connection is a 503 with Retry-After, in Chinese, not a 500 (issue 12).

During a database restart or fail-over every request that touches the database fails; the phone
app and a load balancer must read "try again" (and the report was not stored), not "broken".
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client


@pytest.fixture
def signed_in(make_user):
    client = Client(raise_request_exception=False)
    client.force_login(make_user("county_dispatcher", username="cd"))
    return client


@pytest.fixture
def database_gone(monkeypatch):
    def load(self):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(SessionStore, "load", load)


def test_api_answers_503_with_retry_after(signed_in, database_gone):
    r = signed_in.get("/api/org/me/")
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert r["Content-Type"].startswith("application/json")
    assert "数据库暂时不可用" in r.json()["error"]


def test_intake_answers_503_and_says_nothing_was_stored(signed_in, database_gone):
    body = {"client_id": "x-1", "text": "路边有人乱倒垃圾", "lon": 118.0, "lat": 30.0}
    r = signed_in.post("/api/dispatch/reports/", body, "application/json")
    assert r.status_code == 503 and "未保存" in r.json()["error"]


def test_page_answers_503_in_chinese(signed_in, database_gone):
    r = signed_in.get("/")
    assert r.status_code == 503 and r["Retry-After"] == "5"
    assert "服务暂时不可用" in r.content.decode() and "重新提交" in r.content.decode()


def test_other_failures_stay_500_in_the_api_error_shape(signed_in, monkeypatch):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", broken)
    api = signed_in.get("/api/org/me/")
    assert api.status_code == 500 and "服务器内部错误" in api.json()["error"]
    page = signed_in.get("/")
    assert page.status_code == 500 and "服务器内部错误" in page.content.decode()

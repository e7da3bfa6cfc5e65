"""The session store (`zhifa.core.sessions`, its read compiled once per process) reads what
Django's database store reads: the stored data of a live session in one query, nothing for an
expired or unknown key (which then starts a fresh session), and sign-in works through it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhifa.core.sessions import SessionStore
from zhifa.org import roles

pytestmark = pytest.mark.django_db


def test_the_setting_names_this_store():
    assert settings.SESSION_ENGINE == "zhifa.core.sessions"


def test_a_live_session_reads_as_djangos_store_reads_it():
    made = DjangoStore()
    made["who"] = "东城"
    made["n"] = [1, 2]
    made.save()
    with CaptureQueriesContext(connection) as ctx:
        mine = SessionStore(made.session_key).load()
    assert len(ctx.captured_queries) == 1
    assert mine == DjangoStore(made.session_key).load() == {"who": "东城", "n": [1, 2]}
    row = SessionStore(made.session_key)._get_session_from_db()
    theirs = Session.objects.get(pk=made.session_key)
    assert (row.session_key, row.session_data, row.expire_date) == (
        theirs.session_key,
        theirs.session_data,
        theirs.expire_date,
    )
    assert row.expire_date.tzinfo is not None and row._state.adding is False


def test_an_expired_or_unknown_session_reads_as_nothing():
    made = DjangoStore()
    made["who"] = "东城"
    made.save()
    Session.objects.filter(pk=made.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    for key in (made.session_key, "x" * 32):
        store = SessionStore(key)
        assert store.load() == {} and store.session_key is None
        assert DjangoStore(key).load() == {}


def test_sign_in_and_a_signed_in_request_go_through_it(client, make_user):
    user = make_user(roles.OFFICER, township="T01")
    answer = client.post("/login/", {"username": user.username, "password": "Zhifa-test-2026"})
    assert answer.status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(key).load()["_auth_user_id"] == str(user.pk)
    assert client.get("/api/org/me/").json()["username"] == user.username

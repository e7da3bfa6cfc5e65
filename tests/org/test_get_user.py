"""The signed-in user's lookup (`LockoutModelBackend.get_user`, compiled once per process) gives
the same user as the ORM's `select_related` query, in one query, and nothing for a key that is
not an active user's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhifa.org import roles
from zhifa.org.auth import LockoutModelBackend
from zhifa.org.models import User

pytestmark = pytest.mark.django_db

RELATED = ("county", "township", "department")


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _same_as_the_orm(user: User) -> None:
    expected = User.objects.select_related(*RELATED).get(pk=user.pk)
    assert type(user) is User and user._state.adding is False and user._state.db == "default"
    assert _values(user) == _values(expected)
    for name in RELATED:
        mine, theirs = getattr(user, name), getattr(expected, name)
        assert (mine is None) == (theirs is None)
        if theirs is not None:
            assert type(mine) is type(theirs) and _values(mine) == _values(theirs)


def test_the_user_and_their_units_come_in_one_query(make_user):
    officer = make_user(roles.OFFICER, township="T01")
    staff = make_user(roles.DEPARTMENT_STAFF, department="D02")
    backend = LockoutModelBackend()
    for made in (officer, staff):
        for key in (made.pk, str(made.pk)):  # the session keeps the key as a string
            with CaptureQueriesContext(connection) as ctx:
                user = backend.get_user(key)
                # Scoping reads these next: already loaded, no further query.
                names = [getattr(user, n).name if getattr(user, n) else None for n in RELATED]
            assert len(ctx.captured_queries) == 1
            assert user.pk == made.pk and names[0] == "测试县"
            _same_as_the_orm(user)
    # Field types as the ORM converts them (on SQLite datetimes and booleans come back as text
    # and integers without the converters).
    user = backend.get_user(officer.pk)
    assert user.date_joined == officer.date_joined and user.date_joined.tzinfo is not None
    assert user.is_active is True and user.township.code == "T01" and user.department is None


def test_a_saved_user_from_get_user_saves_as_usual(make_user):
    made = make_user(roles.OFFICER, township="T01")
    user = LockoutModelBackend().get_user(made.pk)
    user.full_name = "改名"
    user.save(update_fields=["full_name"])
    assert User.objects.get(pk=made.pk).full_name == "改名"


def test_no_user_for_an_inactive_a_missing_or_a_malformed_key(make_user):
    backend = LockoutModelBackend()
    made = make_user(roles.OFFICER, township="T01")
    User.objects.filter(pk=made.pk).update(is_active=False)
    assert backend.get_user(made.pk) is None
    assert backend.get_user(made.pk + 1000) is None
    for bad in ("abc", "", None, "1; DROP TABLE org_user", [1]):
        assert backend.get_user(bad) is None

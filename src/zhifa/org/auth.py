"""Authentication with lockout after repeated failures (web form, API basic auth alike)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

LOCKED_MESSAGE = "该账号因连续{n}次密码错误已被锁定，请于{minutes}分钟后再试或联系管理员解锁。"


class AccountLocked(PermissionDenied):
    pass


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        user = User._default_manager.filter(username=username).first() if username else None
        if user is not None and user.is_locked():
            # PermissionDenied stops Django from trying further backends and reports failure.
            raise AccountLocked(locked_message())
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            if authenticated is None:
                register_failure(user)
            elif user.failed_logins:
                User._default_manager.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        return authenticated


def locked_message() -> str:
    return LOCKED_MESSAGE.format(n=settings.LOCKOUT_ATTEMPTS, minutes=settings.LOCKOUT_MINUTES)


def register_failure(user) -> None:
    User = type(user)
    User._default_manager.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins"])
    if user.failed_logins >= settings.LOCKOUT_ATTEMPTS:
        until = timezone.now() + dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
        User._default_manager.filter(pk=user.pk).update(locked_until=until, failed_logins=0)


def unlock(user) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])

"""Authentication with lockout per account and client address (web form, API token, Basic alike).

A lock is kept per (username, client address), not per account: a stranger who types wrong
passwords for an officer's name from one address locks only that address out of that account,
and the officer goes on signing in from their own. Each further lock of the same pair lasts twice
as long (back-off, capped at a day). An address that fails against many names (password
spraying) is locked for every name once it reaches LOCKOUT_ADDRESS_ATTEMPTS. Counters forget
failures older than LOCKOUT_MINUTES, so a few typos spread over weeks lock nothing. Every failed
or refused sign-in is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from zhifa.core import audit

LOCKED_MESSAGE = (
    "该账号在您所在的地址连续{n}次密码错误，已被锁定，请于{minutes}分钟后再试或联系管理员解锁"
    "（其他地址的登录不受影响）。"
)
ADDRESS_LOCKED_MESSAGE = (
    "本机所在地址登录失败次数过多，已被临时禁止登录，请于{minutes}分钟后再试或联系管理员。"
)
MAX_LOCK = dt.timedelta(hours=24)
ANY_USER = ""  # the username of an address-wide counter


class AccountLocked(PermissionDenied):
    pass


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry ZHIFA_TRUSTED_PROXIES hops from the right
    of X-Forwarded-For when the site runs behind that many trusted reverse proxies (a client can
    write anything to the left of what its proxies appended)."""
    if request is None:
        return "unknown"
    meta = getattr(request, "META", {})
    hops = settings.TRUSTED_PROXIES
    if hops:
        chain = [p.strip() for p in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(chain) >= hops:
            return chain[-hops][:45]
    return (meta.get("REMOTE_ADDR") or "unknown")[:45]


def _minutes_left(until: dt.datetime) -> int:
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


def refusal(username: str, address: str) -> str | None:
    """Why a sign-in of `username` from `address` is refused before the password is even tried,
    or None. One indexed query."""
    from zhifa.org.models import LoginThrottle

    now = timezone.now()
    locks = LoginThrottle.objects.filter(
        address=address, username__in=[username or ANY_USER, ANY_USER], locked_until__gt=now
    ).values_list("username", "locked_until")
    for name, until in sorted(locks, key=lambda x: x[0] == ANY_USER, reverse=True):
        if name == ANY_USER:
            return ADDRESS_LOCKED_MESSAGE.format(minutes=_minutes_left(until))
        return LOCKED_MESSAGE.format(n=settings.LOCKOUT_ATTEMPTS, minutes=_minutes_left(until))
    return None


def lock_duration(lock_count: int) -> dt.timedelta:
    """The n-th lock of a pair (1-based) lasts LOCKOUT_MINUTES × 2^(n-1), at most a day."""
    base = dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    return min(base * (2 ** max(0, min(lock_count - 1, 16))), MAX_LOCK)


def _count_failure(username: str, address: str, limit: int) -> dt.datetime | None:
    """Add one failure to the (username, address) counter; returns the lock's end if this failure
    locks it. Row-locked, so two concurrent failures are both counted."""
    from zhifa.org.models import LoginThrottle

    now = timezone.now()
    window = dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().filter(username=username, address=address).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = LoginThrottle.objects.create(username=username, address=address)
            except IntegrityError:  # created by a concurrent failure
                row = LoginThrottle.objects.select_for_update().get(username=username, address=address)
        if row.last_failure_at is not None and now - row.last_failure_at > window and not row.is_locked(now):
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        locked = None
        if row.failures >= limit:
            row.lock_count += 1
            row.failures = 0
            row.locked_until = locked = now + lock_duration(row.lock_count)
        row.save()
    return locked


def register_failure(username: str, address: str, *, reason: str = "密码错误") -> None:
    User = get_user_model()
    user = User._default_manager.filter(username=username).first() if username else None
    _count_failure(username, address, settings.LOCKOUT_ATTEMPTS)
    _count_failure(ANY_USER, address, settings.LOCKOUT_ADDRESS_ATTEMPTS)
    audit.record(
        "login_failed",
        model="org.User",
        object_id=str(user.pk) if user is not None else "",
        after={"username": username[:150], "address": address, "known_account": user is not None},
        reason=f"登录失败（{reason}），来源地址 {address}",
    )


def record_refusal(username: str, address: str) -> None:
    audit.record(
        "login_refused",
        model="org.User",
        object_id="",
        after={"username": username[:150], "address": address},
        reason=f"锁定期间尝试登录，来源地址 {address}",
    )


def register_success(username: str, address: str) -> None:
    """A correct password clears this pair's counter (not the address-wide one: signing in to
    one's own account must not reset a spraying address's count)."""
    from zhifa.org.models import LoginThrottle

    LoginThrottle.objects.filter(username=username, address=address).delete()


def unlock(username: str) -> int:
    """Lift every lock on `username` (all addresses); returns how many were lifted."""
    from zhifa.org.models import LoginThrottle

    return LoginThrottle.objects.filter(username=username).exclude(username=ANY_USER).delete()[0]


def active_locks(usernames) -> dict[str, int]:
    """username → number of addresses it is locked from now (one query, for list pages)."""
    from django.db.models import Count

    from zhifa.org.models import LoginThrottle

    rows = (
        LoginThrottle.objects.filter(username__in=list(usernames), locked_until__gt=timezone.now())
        .values("username")
        .annotate(n=Count("id"))
    )
    return {r["username"]: r["n"] for r in rows}


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        username = str(username)[:150]
        address = client_address(request)
        why = refusal(username, address)
        if why is not None:
            record_refusal(username, address)
            # PermissionDenied stops Django from trying further backends and reports failure.
            raise AccountLocked(why)
        authenticated = super().authenticate(request, username=username, password=password, **kwargs)
        if authenticated is None:
            register_failure(username, address)
        else:
            register_success(username, address)
        return authenticated

    def get_user(self, user_id):
        # Every signed-in request loads the user; its county, township and department are read
        # by nearly every page next (scoping), so they come in the same query.
        user = _user_query().get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class _UserQuery:
    """The signed-in user with county, township and department, compiled once per process.

    Compiling the ORM query (three joins) cost about 1.1 ms of CPU on every signed-in request,
    more than running it. The SQL and the row-to-object plan depend only on the models and the
    database, so they are built once from the ORM's own compiler; each call runs the SQL with
    the key and builds the objects as `QuerySet` iteration does (the compiler's converters,
    `Model.from_db`, its related populators), so the user is the same as
    `select_related(...).get(pk=...)` gives (tests/org/test_get_user.py)."""

    RELATED = ("county", "township", "department")

    def __init__(self, using: str) -> None:
        from django.db.models.query import get_related_populators

        self.using = using
        self.model = get_user_model()
        qs = self.model._default_manager.using(using).select_related(*self.RELATED).filter(pk=0)
        compiler = qs.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        if list(params) != [0]:  # the key must be the one parameter, else do not cache
            raise ValueError(f"unexpected parameters {params!r}")
        self.compiler = compiler
        info = compiler.klass_info
        self.start, self.end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.names = [f[0].target.attname for f in compiler.select[self.start : self.end]]
        self.populators = get_related_populators(info, compiler.select, using)

    def get(self, user_id):
        pk = self.model._meta.pk
        try:
            key = pk.get_db_prep_value(pk.to_python(user_id), connections[self.using])
        except (ValidationError, TypeError, ValueError):
            return None
        with connections[self.using].cursor() as cur:
            cur.execute(self.sql, [key])
            rows = cur.fetchmany(2)
        for row in self.compiler.results_iter([rows]):
            user = self.model.from_db(self.using, self.names, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, user)
            return user
        return None


_compiled: dict[str, _UserQuery] = {}


def _user_query() -> _UserQuery:
    using = router.db_for_read(get_user_model())
    query = _compiled.get(using)
    if query is None:
        query = _compiled[using] = _UserQuery(using)
    return query

"""The session store (SESSION_ENGINE): Django's database sessions, read by a query compiled once.

Every signed-in page and API call reads its session first. Django's store builds that read as
an ORM query (`Session.objects.get(session_key=..., expire_date__gt=now)`) and compiles it on
every request: about 0.25 ms of CPU, more than running it. The SQL and the row-to-object plan
depend only on the model and the database, so they are taken once from the ORM's own compiler;
each read runs that SQL with the key and the current time and builds the session row as the
ORM does (its converters, `Model.from_db`). Writing, expiry and everything else are Django's
(tests/org/test_sessions.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation
from django.db import connections, router
from django.utils import timezone

_PROBE_KEY = "zhifa-probe-session-key"
_PROBE_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class _SessionQuery:
    def __init__(self, model, using: str) -> None:
        self.model, self.using = model, using
        qs = model._default_manager.using(using).filter(session_key=_PROBE_KEY, expire_date__gt=_PROBE_AT)
        qs.query.set_limits(high=21)  # as `get()` runs it
        compiler = qs.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        connection = connections[using]
        at = connection.ops.adapt_datetimefield_value(_PROBE_AT)
        params = list(params)
        if sorted(map(str, params)) != sorted([_PROBE_KEY, str(at)]) or len(params) != 2:
            raise ValueError(f"unexpected parameters {params!r}")  # do not cache what we do not know
        self.key_first = params[0] == _PROBE_KEY
        self.compiler = compiler
        info = compiler.klass_info
        self.start, self.end = info["select_fields"][0], info["select_fields"][-1] + 1
        self.names = [f[0].target.attname for f in compiler.select[self.start : self.end]]

    def get(self, session_key: str, now: dt.datetime):
        connection = connections[self.using]
        at = connection.ops.adapt_datetimefield_value(now)
        params = [session_key, at] if self.key_first else [at, session_key]
        with connection.cursor() as cur:
            cur.execute(self.sql, params)
            rows = cur.fetchmany(21)
        for row in self.compiler.results_iter([rows]):
            return self.model.from_db(self.using, self.names, row[self.start : self.end])
        return None


_compiled: dict[str, _SessionQuery] = {}


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        using = router.db_for_read(model)
        query = _compiled.get(using)
        if query is None:
            query = _compiled[using] = _SessionQuery(model, using)
        try:
            session = query.get(self.session_key, timezone.now())
            if session is None:
                raise model.DoesNotExist
            return session
        except (model.DoesNotExist, SuspiciousOperation) as e:
            if isinstance(e, SuspiciousOperation):
                logger = logging.getLogger(f"django.security.{e.__class__.__name__}")
                logger.warning(str(e))
            self._session_key = None

"""The audit log partitioned by month of `at` on PostgreSQL (issue 11): migration core/0006
converts an existing log in place; `seq` and `hash`, unique across the log elsewhere, are unique
there only together with `at`, so the verification reports a repeated or missing position and a
repeated hash across months; the sealer's UPDATEs are bounded to the entry's month; the worker
keeps the audit table's coming months. On SQLite the log stays one table with its unique
constraints."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import time
from types import SimpleNamespace

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from zhifa.core import audit, partitions
from zhifa.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TABLE = "core_auditentry"
MONTHS = [
    dt.datetime(2025, 1, 10, 8, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 3, 9, tzinfo=dt.UTC),
    dt.datetime(2025, 6, 20, 9, tzinfo=dt.UTC),
    dt.datetime(2025, 11, 28, 23, tzinfo=dt.UTC),
]
# Every column of an entry but its id and `at`.
COLUMNS = ("actor_id", "actor", "action", "model", "object_id", "object_repr", "before", "after",
           "reason", "seq", "prev_hash", "hash", "alg", "key_id", "county_id")  # fmt: skip


@pytest.fixture(autouse=True)
def _months_of_2025(db):
    """The months the entries below are written in have their partitions (as the worker or the
    migration made them for a log that has been running)."""
    partitions.ensure_months(dt.date(2025, 1, 1), dt.date(2025, 12, 1))


def _sql(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def _entries(stamps, *, seal=True) -> list[int]:
    """One entry written at each of `stamps` (its `at` set before it is sealed, as if recorded
    then); sealed into the chain unless told not to."""
    ids = []
    for i, at in enumerate(stamps):
        audit.record("update", model="test.Thing", object_id="7", after={"n": i}, reason="分区测试")
        eid = AuditEntry.objects.filter(seq__isnull=True).order_by("-id").values_list("id", flat=True)[0]
        AuditEntry.objects.filter(pk=eid).update(at=at)
        ids.append(eid)
    if seal:
        while audit.seal_pending(wait=True):
            pass
    return ids


def _partition_of(entry_id: int) -> str:
    return _sql(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s", [entry_id])[0][0]


def _copy(entry_id: int, *, at: dt.datetime, **columns) -> int:
    """A row forged behind the application's back: entry `entry_id` copied with a new id (from
    the sequence), another `at` and the given columns replaced."""
    select = ", ".join("%s" if c in columns else c for c in COLUMNS)
    params = [columns[c] for c in COLUMNS if c in columns]
    return _sql(
        f"INSERT INTO {TABLE} (at, {', '.join(COLUMNS)}) SELECT %s, {select} FROM {TABLE} WHERE id = %s "
        "RETURNING id",
        [at, *params, entry_id],
    )[0][0]


def _constraints() -> set[str]:
    return {r[0] for r in _sql(f"SELECT conname FROM pg_constraint WHERE conrelid = '{TABLE}'::regclass")}


def test_seq_and_hash_are_unique_across_the_log_on_sqlite_and_with_at_on_postgresql(county):
    ids = _entries(MONTHS[:2])
    first = AuditEntry.objects.get(pk=ids[0])
    if connection.vendor == "postgresql":
        assert partitions.is_partitioned(TABLE)
        defs = _sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [TABLE, "CREATE UNIQUE INDEX%"],
        )
        uniques = dict(defs)
        assert "(id, at)" in uniques[f"{TABLE}_pkey"]
        assert "(seq, at)" in uniques[f"{TABLE}_seq_at_uniq"]
        assert "(hash, at)" in uniques[f"{TABLE}_hash_at_uniq"]
        # The same position at the same time is still refused by the database …
        with pytest.raises(IntegrityError), transaction.atomic():
            _copy(first.id, at=first.at, hash="f" * 64)
        # … at another time it is not (the verification reports it, below).
        with transaction.atomic():
            forged = _copy(first.id, at=MONTHS[3], hash="f" * 64)
        assert _partition_of(forged) == f"{TABLE}_p202511"
    else:
        assert not partitions.is_partitioned(TABLE) and partitions.months(TABLE) == []
        for column in ("seq", "hash"):
            with pytest.raises(IntegrityError), transaction.atomic():
                _copy(first.id, at=MONTHS[3], **({"hash": "f" * 64} if column == "seq" else {"seq": 999}))


def test_sealing_updates_name_the_entrys_month(county):
    """Each sealing UPDATE carries `at` beside the id: on PostgreSQL it plans and touches one
    month's partition, not every month's primary-key index."""
    ids = _entries(MONTHS, seal=False)
    seen: list[tuple[str, list]] = []

    def spy(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and TABLE in sql:
            seen.append((sql, list(params) if many else [params]))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert audit.seal_pending(wait=True) >= len(MONTHS)
    updates = [(sql, p) for sql, rows in seen for p in rows if "SET seq" in sql]
    assert updates and all(re.search(r"WHERE id = %s AND at = %s\s*$", sql) for sql, _ in updates)
    assert {p[5] for _, p in updates} >= set(ids)
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit.verify().ok
    if connection.vendor != "postgresql":
        return
    sql, params = next((sql, p) for sql, p in updates if p[5] == ids[0])

    def touched(statement, values):
        plan = "\n".join(r[0] for r in _sql("EXPLAIN " + statement, values))
        return set(re.findall(rf"{TABLE}_(?:p\d{{6}}|default)\b", plan))

    assert touched(sql, params) == {f"{TABLE}_p202501"}
    # By id alone (as the sealer used to) the statement plans over every month and the default.
    by_id = sql.replace(" AND at = %s", "")
    assert len(touched(by_id, params[:-1])) == len(partitions.months(TABLE)) + 1 > 2


def test_a_sealing_update_that_misses_its_entry_seals_nothing(county, monkeypatch):
    """Were an entry's `at` read wrong, its UPDATE would match no row while the head moved on:
    the sealer counts the rows updated and rolls the whole batch back instead."""
    from django.db import DatabaseError

    from zhifa.core.models import AuditHead

    audit.seal_pending(wait=True)
    before = AuditHead.objects.values_list("count", "last_hash").get(pk=1)
    ids = _entries(MONTHS[:2], seal=False)
    real = audit._pending_rows

    def skewed(last_id, n, since=None):
        return [(r[0], r[1] + dt.timedelta(seconds=1), *r[2:]) for r in real(last_id, n, since)]

    monkeypatch.setattr(audit, "_pending_rows", skewed)
    with pytest.raises(DatabaseError, match="updated 0 of 2 entries"):
        audit.seal_pending(wait=True)
    assert AuditHead.objects.values_list("count", "last_hash").get(pk=1) == before
    assert set(AuditEntry.objects.filter(seq__isnull=True).values_list("id", flat=True)) == set(ids)
    monkeypatch.undo()
    assert audit.seal_pending(wait=True) == 2 and audit.verify().ok


def test_a_windowed_look_leaves_old_pending_entries_to_the_full_look(county, monkeypatch):
    """Between full looks a sealer reads only the entries of the last SEAL_WINDOW (on PostgreSQL:
    the recent months' partitions); an older pending entry waits for the next full look."""
    from django.test.utils import CaptureQueriesContext

    audit.seal_pending(wait=True)
    old = _entries([MONTHS[0]], seal=False)  # pending since January 2025 (a sealer was stopped)
    new = _entries([timezone.now()], seal=False)
    monkeypatch.setattr(audit, "_last_full_look", time.monotonic())  # a full look just made
    with CaptureQueriesContext(connection) as ctx:
        assert audit.seal_pending() == 1
    assert AuditEntry.objects.get(pk=new[0]).seq is not None
    assert AuditEntry.objects.get(pk=old[0]).seq is None
    if connection.vendor == "postgresql":
        reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
        reads = [sql for sql in reads if '"seq" IS NULL' in sql]
        assert len(reads) >= 2  # whether any is pending, and the pending rows
        for sql in reads:
            plan = "\n".join(r[0] for r in _sql("EXPLAIN " + sql))
            planned = set(re.findall(rf"{TABLE}_(?:p\d{{6}}|default)\b", plan))
            assert f"{TABLE}_p202501" not in planned and f"{TABLE}_p{timezone.now():%Y%m}" in planned
            # This month, the months kept ahead and the default one (the window's start may lie
            # in last month), out of every month of the log.
            assert len(planned) <= partitions.AHEAD_MONTHS + 3 < len(partitions.months(TABLE)) + 1
    monkeypatch.setattr(audit, "_last_full_look", time.monotonic() - audit.FULL_LOOK_EVERY)
    assert audit.seal_pending() == 1
    assert AuditEntry.objects.get(pk=old[0]).seq is not None
    assert audit.verify().ok


@pytest.mark.postgres_only
def test_a_duplicate_seq_in_another_months_partition_is_reported(county):
    ids = _entries(MONTHS)
    assert audit.verify().ok
    original = AuditEntry.objects.get(pk=ids[1])  # June
    forged = _copy(original.id, at=MONTHS[3] + dt.timedelta(hours=1), hash="e" * 64)
    assert _partition_of(forged) == f"{TABLE}_p202511" != _partition_of(original.id)

    result = audit.verify()

    assert not result.ok
    assert f"第{forged}条：链序号{original.seq}与第{original.id}条重复（记录被复制或插入）" in result.problems
    assert f"第{forged}条：内容与哈希不符（记录被篡改）" in result.problems
    # The chain itself goes on from the genuine entry: nothing else is reported.
    assert len(result.problems) == 2, result.problems


@pytest.mark.postgres_only
def test_a_duplicate_hash_in_another_month_is_reported(county):
    ids = _entries(MONTHS)
    head = audit.verify()
    assert head.ok
    copied = AuditEntry.objects.get(pk=ids[0])
    last = AuditEntry.objects.order_by("-seq").first()
    # A forged append: the next position, linked to the tip, carrying an earlier entry's hash.
    forged = _copy(copied.id, at=MONTHS[2], seq=last.seq + 1, prev_hash=last.hash)

    problems = audit.verify().problems

    assert f"第{copied.id}条与第{forged}条的哈希相同（记录被复制）" in problems
    assert f"第{forged}条：内容与哈希不符（记录被篡改）" in problems


@pytest.mark.postgres_only
def test_a_missing_seq_in_one_months_partition_is_reported(county):
    ids = _entries(MONTHS)
    victim = AuditEntry.objects.get(pk=ids[2])
    after = AuditEntry.objects.get(seq=victim.seq + 1)
    _sql(f"DELETE FROM {_partition_of(victim.id)} WHERE id = %s", [victim.id])

    problems = audit.verify().problems

    assert f"第{after.id}条：链序号为{after.seq}，应为{victim.seq}（记录被删除或插入）" in problems


@pytest.mark.postgres_only
def test_the_migration_converts_an_existing_log_in_place(county):
    migration = importlib.import_module("zhifa.core.migrations.0006_partition_audit_entries")
    editor = SimpleNamespace(connection=connection)
    # The log as it stood before core/0006: one table, seq and hash unique on their own.
    migration.backward(None, editor)
    assert not partitions.is_partitioned(TABLE)
    assert {f"{TABLE}_pkey", f"{TABLE}_seq_key", f"{TABLE}_hash_key"} <= _constraints()
    ids = _entries(MONTHS)
    pending = _entries([MONTHS[3]], seal=False)  # written, not yet sealed
    rows = _sql(f"SELECT id, at, seq, hash, after FROM {TABLE} ORDER BY id")
    indexes = {r[0] for r in _sql("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])}
    max_id = max(r[0] for r in rows)

    migration.forward(None, editor)

    assert partitions.is_partitioned(TABLE)
    assert _sql(f"SELECT id, at, seq, hash, after FROM {TABLE} ORDER BY id") == rows
    for eid, month in zip(ids, ("202501", "202506", "202506", "202511"), strict=True):
        assert _partition_of(eid) == f"{TABLE}_p{month}"
    assert _sql(f"SELECT count(*) FROM {TABLE}_default") == [(0,)]
    assert partitions.months(TABLE)[0] == dt.date(2025, 1, 1)
    after = {r[0] for r in _sql("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])}
    assert after == (indexes - {f"{TABLE}_seq_key", f"{TABLE}_hash_key"}) | {
        f"{TABLE}_seq_at_uniq",
        f"{TABLE}_hash_at_uniq",
    }
    # The id sequence goes on; the pending entry is sealed into the same chain; it verifies.
    new = _entries([timezone.now()], seal=False)
    assert new[0] == max_id + 1
    while audit.seal_pending(wait=True):
        pass
    assert AuditEntry.objects.get(pk=pending[0]).seq is not None
    result = audit.verify()
    assert result.ok, result.problems
    # A history read by object, across months, finds every entry.
    history = AuditEntry.objects.filter(model="test.Thing", object_id="7").order_by("id")
    assert [e.id for e in history] == ids + pending + new

    # And back: one table, seq and hash unique on their own again, the same rows, still verifying.
    migration.backward(None, editor)
    assert not partitions.is_partitioned(TABLE)
    assert {f"{TABLE}_pkey", f"{TABLE}_seq_key", f"{TABLE}_hash_key"} <= _constraints()
    assert _sql(f"SELECT count(*) FROM {TABLE}")[0][0] == len(rows) + 1
    assert audit.verify().ok
    migration.forward(None, editor)
    assert partitions.is_partitioned(TABLE)


@pytest.mark.postgres_only
def test_the_worker_keeps_the_audit_logs_coming_months(county):
    from zhifa.dispatch.actions.worker import urge_overdue

    now = timezone.now() + dt.timedelta(days=400)  # a worker a year on: months not made yet
    month = timezone.localdate(now).replace(day=1)
    assert month not in partitions.months(TABLE)
    early = _entries([now], seal=False)  # an entry of that month went to the default partition
    assert _partition_of(early[0]) == f"{TABLE}_default"
    urge_overdue(now)
    assert month in partitions.months(TABLE)
    assert _partition_of(early[0]) == f"{TABLE}_p{month:%Y%m}"

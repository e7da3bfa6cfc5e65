"""The one audit mechanism: every change to a zhifa model becomes a hash-chained entry.

Saves and deletes through the ORM are captured by signals (before and after images);
bulk paths (imports) call `record_many`. The actor comes from a context variable set
by the web middleware, the API authentication and management commands (`acting_as`).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import hashlib
import json
import logging
import math
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from zhifa.core import auditkeys, partitions
from zhifa.core.partitions import PARTITIONED

GENESIS = "0" * 64
logger = logging.getLogger(__name__)
_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("zhifa_audit_actor", default=None)
_skip: contextvars.ContextVar[bool] = contextvars.ContextVar("zhifa_audit_skip", default=False)
# Fields too large or too volatile to copy into every entry: a digest stands for them.
DIGEST_FIELDS = {"geometry", "geojson", "polygon", "model_blob", "content"}
# Columns computed from other columns of the same row (an index key): the image carries their
# sources, and a backfill of them is no business change.
DERIVED_FIELDS = {"dup_cell"}


@contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Attribute changes in this block to `actor` (a User, a string such as "命令行", or None)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(actor: Any) -> None:
    _actor.set(actor)


@contextmanager
def suppressed() -> Iterator[None]:
    """For code that records its own entries with `record_many` (bulk imports)."""
    token = _skip.set(True)
    try:
        yield
    finally:
        _skip.reset(token)


def _actor_fields() -> tuple[int | None, str]:
    actor = _actor.get()
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, actor
    return getattr(actor, "pk", None), getattr(actor, "username", str(actor))


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN_TYPES:  # most columns: returned as they are, as by the checks below
        return value
    if type(value) is dict:  # an image: the same as the dict case below, with its plain values inline
        return {str(k): v if type(v) in _PLAIN_TYPES else _jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, FieldFile):
        return value.name or None  # the stored path; the file's own hash is the model's business
    return value


_IMAGE_COLUMNS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _image_columns(model: type[models.Model]) -> tuple[tuple[str, bool], ...]:
    """(attname, digested) for each column an image holds, in the model's field order."""
    cols = _IMAGE_COLUMNS.get(model)
    if cols is None:
        cols = tuple(
            (f.attname, f.name in DIGEST_FIELDS)
            for f in model._meta.concrete_fields
            if f.name not in DERIVED_FIELDS
        )
        _IMAGE_COLUMNS[model] = cols
    return cols


def _digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def image(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """What `snapshot` gives for a row of `model` whose columns (by attname) hold `values`;
    for bulk writers that have the values without a model instance."""
    data: dict[str, Any] = {}
    for attname, digested in _image_columns(model):
        value = _jsonable(values[attname])
        data[attname] = _digest(value) if digested and value is not None else value
    return data


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row as plain JSON: one key per concrete column."""
    data: dict[str, Any] = {}
    for attname, digested in _image_columns(type(obj)):
        value = _jsonable(getattr(obj, attname))
        data[attname] = _digest(value) if digested and value is not None else value
    return data


def entry_hash(
    fields: dict[str, Any], prev_hash: str, alg: str = auditkeys.PLAIN, key: bytes | None = None
) -> str:
    """The entry's seal. A keyed seal also covers its algorithm and key id, so an entry cannot be
    relabelled as plain SHA-256 (which anyone can recompute) without breaking it."""
    if alg != auditkeys.PLAIN:
        fields = {**fields, "_alg": alg}
    payload = json.dumps([prev_hash, fields], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return auditkeys.digest(alg, payload.encode("utf-8"), key)


def _keyring() -> auditkeys.Keyring:
    from django.conf import settings

    return getattr(settings, "AUDIT_KEYRING", None) or auditkeys.Keyring()


def head_mac(head, keyring: auditkeys.Keyring) -> str:
    """The MAC over the head's columns under the head's own key ("" when the head is unkeyed)."""
    if not head.alg or head.alg == auditkeys.PLAIN:
        return ""
    payload = json.dumps(
        [
            "zhifa-audit-head",
            head.seq,
            head.count,
            head.last_hash,
            head.first_keyed_seq,
            head.alg,
            head.key_id,
        ],
        separators=(",", ":"),
    ).encode()
    return auditkeys.digest(head.alg, payload, keyring.key(head.key_id))


# The columns an entry's hash covers (besides prev_hash and, when keyed, alg), as _hashed_fields reads them.
_HASHED_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor",
    "action",
    "model",
    "object_id",
    "object_repr",
    "before",
    "after",
    "reason",
    "county_id",
)


def _hashed_fields(e) -> dict[str, Any]:
    return _hashed_row(tuple(getattr(e, name) for name in _HASHED_COLUMNS))


def _hashed_row(row: tuple) -> dict[str, Any]:
    """The fields an entry's hash covers, from its _HASHED_COLUMNS values as the ORM reads them."""
    fields = dict(zip(_HASHED_COLUMNS, row, strict=True))
    at = fields["at"]
    if isinstance(at, dt.datetime):
        fields["at"] = at.isoformat()
    if fields["county_id"] is None:
        del fields["county_id"]
    return fields


def _pending(since: dt.datetime | None = None):
    """The unsealed entries (written at `since` or later, when given)."""
    from zhifa.core.models import AuditEntry

    qs = AuditEntry.objects.filter(seq__isnull=True)
    return qs if since is None else qs.filter(at__gte=since)


def _pending_rows(last_id: int, n: int, since: dt.datetime | None = None) -> list[tuple]:
    """Up to `n` unsealed entries after id `last_id` (written at `since` or later, when given),
    in id order, as _HASHED_COLUMNS tuples (plain rows through the ORM's converters, no model
    instances)."""
    qs = _pending(since).filter(id__gt=last_id).order_by("id")
    return list(qs.values_list(*_HASHED_COLUMNS)[:n])


@dataclass
class Change:
    action: str
    model: str
    object_id: str
    object_repr: str = ""
    before: dict | None = None
    after: dict | None = None
    reason: str = ""
    county_id: int | None = None  # None: the actor's county


def county_of(obj: models.Model | None) -> int | None:
    """The county an object belongs to, read along its scope's county path through relations
    already in memory only (never a query on the write path); None where that is not known."""
    if obj is None:
        return None
    path = getattr(getattr(type(obj), "scope", None), "county", None)
    if not path:
        return None
    if path == "pk":
        return obj.pk
    cur = obj
    hops = path.split("__")
    try:
        for name in hops[:-1]:
            field = cur._meta.get_field(name)
            if not (field.many_to_one or field.one_to_one) or not field.is_cached(cur):
                return None
            cur = getattr(cur, name)
            if cur is None:
                return None
        return getattr(cur, cur._meta.get_field(hops[-1]).attname)
    except (AttributeError, LookupError, ValueError):
        return None


def _actor_county() -> int | None:
    actor = _actor.get()
    if actor is None or isinstance(actor, str):
        return None
    if getattr(actor, "county_id", None):
        return actor.county_id
    for rel in ("township", "department"):
        field = type(actor)._meta.get_field(rel) if hasattr(actor, "_meta") else None
        if field is not None and getattr(actor, f"{rel}_id", None) and field.is_cached(actor):
            return getattr(actor, rel).county_id
    return None


# Rows per INSERT (record_many) and per fetch and UPDATE (seal_pending): bounded memory for imports.
CHUNK = 2000
SMALL_BATCH = 20  # at most 20 x 14 parameters: under every backend's limit


def record_many(changes: Iterable[Change]) -> int:
    """Append entries for `changes` in the caller's transaction; sealed into the chain after commit.

    No lock is taken here, so concurrent requests do not queue behind one another on the chain's
    tip; `seal_pending` (run after every commit, by the worker and by `verify`) links them.
    `changes` may be a generator: it is consumed and written CHUNK entries at a time, so a bulk
    import need not hold all its entries at once.
    """
    from zhifa.core.models import AuditEntry

    it = iter(changes)
    chunk = list(islice(it, CHUNK))
    if not chunk:
        return 0
    actor_id, actor_name = _actor_fields()
    actor_county = _actor_county()
    now = timezone.now().replace(microsecond=0)
    # The values bulk_create would send (each field's get_db_prep_save), computed once for the
    # columns every entry shares and per entry only for the two JSON images: bulk_create's
    # per-field, per-row compilation was most of the cost of a large import's entries.
    meta = AuditEntry._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    shared = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    shared |= {
        "at": meta.get_field("at").get_db_prep_save(now, connection),
        "actor_id": actor_id,
        "actor": actor_name[:150],
    }
    before_db = meta.get_field("before").get_db_prep_save
    after_db = meta.get_field("after").get_db_prep_save
    names = [f.attname for f in fields]
    quote = connection.ops.quote_name
    sql_values = f"({', '.join(['%s'] * len(fields))})"
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "

    def row(c: Change) -> list:
        values = {
            **shared,
            "action": c.action,
            "model": c.model,
            "object_id": str(c.object_id)[:64],
            "object_repr": str(c.object_repr)[:200],
            "before": before_db(_jsonable(c.before), connection),
            "after": after_db(_jsonable(c.after), connection),
            "reason": c.reason,
            "county_id": c.county_id if c.county_id is not None else actor_county,
        }
        return [values[name] for name in names]

    written = 0
    with connection.cursor() as cursor:
        if len(chunk) < min(CHUNK, SMALL_BATCH + 1):
            # A request's few entries (intake: three) as one multi-row INSERT: psycopg's
            # executemany sets up a pipeline, which costs more than the statement at this size.
            # (A chunk shorter than CHUNK is the whole of `changes`.)
            cursor.execute(head + ", ".join([sql_values] * len(chunk)), [v for c in chunk for v in row(c)])
            written = len(chunk)
            chunk = []
        while chunk:
            cursor.executemany(head + sql_values, [row(c) for c in chunk])
            written += len(chunk)
            chunk = list(islice(it, CHUNK))
    # Outside a transaction this runs at once; inside, after the outermost commit (never after
    # a rollback, whose entries are gone with it). With ZHIFA_AUDIT_SEAL=worker the worker does it.
    if _seal_mode() == "commit":
        transaction.on_commit(_seal_after_commit)
    return written


def _seal_mode() -> str:
    from django.conf import settings

    return getattr(settings, "AUDIT_SEAL", "commit")


def _seal_after_commit() -> None:
    """Seal right after a commit; the change is already stored, so a busy or failing database here
    must not fail the request: the entries stay pending for the next sealer (worker, verify)."""
    try:
        seal_pending()
    except DatabaseError as exc:
        logger.warning("audit entries left unsealed for now: %s", exc)


# The sealer's statement, one run per entry; `at` bounds it to the entry's month partition.
SEAL_SQL = (
    "UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s, alg = %s, key_id = %s WHERE id = %s AND at = %s"
)


# What a sealer looks for: the entries written within SEAL_WINDOW of now. The bound on `at` lets
# the after-commit and half-second sealers plan and read, on the log partitioned by month
# (zhifa.core.partitions), this month's partition, the months ahead and the default one, not
# every month's index (at 76 months a look over all of them costs 4-7 ms of planning). Older
# pending entries (a transaction open longer than that, a sealer stopped for want of the audit
# key, a clock set back) are found by a full look, which each process makes on its first call
# and then at least every FULL_LOOK_EVERY seconds, and which `wait=True` (verify, backup,
# `zhifa audit seal`) always makes.
SEAL_WINDOW = dt.timedelta(hours=1)
FULL_LOOK_EVERY = 60.0
_last_full_look = -math.inf  # time.monotonic() when this process last sealed all that was pending


def seal_pending(*, wait: bool = False, limit: int = 20000) -> int:
    """Give unsealed entries, in the order they were written, their chain position and hash.

    Returns how many were sealed. Without `wait`, a sealer that finds another one at work leaves
    its entries to it (or to the next commit, the worker, or `verify`) instead of queueing.
    Within one call entries are sealed in id order; an entry left out of a windowed look (see
    SEAL_WINDOW) is sealed after newer ones, as one committed late by a long transaction is.
    """
    global _last_full_look
    from zhifa.core.models import AuditEntry, AuditHead

    full = wait or time.monotonic() - _last_full_look >= FULL_LOOK_EVERY
    since = None if full else timezone.now() - SEAL_WINDOW
    looked = time.monotonic()
    if not _pending(since).exists():
        if full:
            _last_full_look = looked
        return 0
    sealed = 0
    with transaction.atomic():
        if not AuditHead.objects.filter(pk=1).exists():
            try:
                with transaction.atomic():
                    AuditHead.objects.create(pk=1)
            except IntegrityError:
                pass  # another sealer created it
        heads = AuditHead.objects.filter(pk=1)
        if not wait and connection.features.has_select_for_update_skip_locked:
            head = heads.select_for_update(skip_locked=True).first()
            if head is None:
                return 0
        else:
            # The UPDATE takes the write lock (the row on PostgreSQL, the database on SQLite)
            # before the tip is read, so two sealers can never chain to the same tip.
            heads.update(seq=F("seq"))
            head = heads.select_for_update().get()
        keyring = _keyring()
        if head.first_keyed_seq is not None and not keyring.keyed:
            # The chain is keyed but this process has no key: sealing on with plain SHA-256 would
            # downgrade it. The entries stay pending (verify reports them) until the key is back.
            logger.error("audit chain is keyed but ZHIFA_AUDIT_KEY is not set: entries left unsealed")
            return 0
        key = keyring.key(keyring.key_id) if keyring.keyed else None
        prev, n = head.last_hash, head.count
        first_seq: int | None = None
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        at_db = AuditEntry._meta.get_field("at").get_db_prep_value
        # In order of id, CHUNK entries at a time: plain rows (no model instances), then one
        # prepared UPDATE run per chunk, far cheaper than bulk_update's CASE expressions. Each
        # UPDATE names the entry's `at` beside its id: on PostgreSQL the log is partitioned by
        # month of `at` (zhifa.core.partitions), so the row is found in its month's partition
        # instead of every month's primary-key index being planned and probed.
        last_id = 0
        while sealed < limit:
            pending = _pending_rows(last_id, min(CHUNK, limit - sealed), since)
            if not pending:
                if full:
                    _last_full_look = looked
                break
            params = []
            for row in pending:
                n += 1
                h = entry_hash(_hashed_row(row), prev, keyring.alg, key)
                params.append((n, prev, h, keyring.alg, keyring.key_id, row[0], at_db(row[1], connection)))
                prev = h
            if first_seq is None:
                first_seq = params[0][0]
            with connection.cursor() as cur:
                cur.executemany(SEAL_SQL.format(table=table), params)
                if cur.rowcount not in (-1, len(params)):
                    # Every entry read is updated exactly once (none can go away under the head's
                    # lock); anything else would leave the head ahead of the sealed entries.
                    raise DatabaseError(f"audit sealing updated {cur.rowcount} of {len(params)} entries")
            sealed += len(pending)
            last_id = pending[-1][0]
        head.seq = head.count = n
        head.last_hash = prev
        if keyring.keyed:
            if head.first_keyed_seq is None and first_seq is not None:
                head.first_keyed_seq = first_seq
            head.alg, head.key_id = keyring.alg, keyring.key_id
        head.mac = head_mac(head, keyring)
        heads.update(
            last_hash=prev,
            count=n,
            seq=n,
            first_keyed_seq=head.first_keyed_seq,
            alg=head.alg,
            key_id=head.key_id,
            mac=head.mac,
        )
    return sealed


def seal_and_key_head() -> int:
    """Seal everything pending; when a key has just been configured, record that as an entry so
    the head is signed at once (verify refuses an unsigned head once a key is configured)."""
    from zhifa.core.models import AuditHead

    total = 0
    while n := seal_pending(wait=True):
        total += n
    keyring = _keyring()
    head = AuditHead.objects.filter(pk=1).first()
    if keyring.keyed and (head is None or head.alg != keyring.alg or head.key_id != keyring.key_id):
        previous = f"{head.alg}/{head.key_id}" if head is not None and head.mac else "无密钥签名"
        record(
            "audit_key",
            model="core.AuditHead",
            object_id="1",
            after={"alg": keyring.alg, "key_id": keyring.key_id},
            reason=f"审计链启用密钥签名 {keyring.alg}/{keyring.key_id}（此前为{previous}）",
        )
        while n := seal_pending(wait=True):
            total += n
    return total


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before=None,
    after=None,
    reason: str = "",
    model: str | None = None,
    object_id: str | None = None,
) -> None:
    """Record one change made outside the ORM's save/delete (e.g. a state transition's reason)."""
    record_many(
        [
            Change(
                action=action,
                model=model or (obj._meta.label if obj is not None else ""),
                object_id=object_id if object_id is not None else (str(obj.pk) if obj is not None else ""),
                object_repr=str(obj) if obj is not None else "",
                before=before,
                after=after if after is not None else (snapshot(obj) if obj is not None else None),
                reason=reason,
                county_id=county_of(obj),
            )
        ]
    )


# ---- signals -----------------------------------------------------------------------------


def _audited(sender) -> bool:
    label = sender._meta.label
    return (
        sender.__module__.startswith("zhifa.")
        and label not in {"core.AuditEntry", "core.AuditHead"}
        and not getattr(sender, "audit_exempt", False)
    ) or label == "org.User"


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw or _skip.get() or not _audited(sender):
        return
    instance._audit_before = None
    if instance.pk is not None:
        old = None
        month_key = PARTITIONED.get(sender._meta.db_table)
        if month_key is not None and getattr(instance, month_key, None) is not None:
            # A partitioned table (steps, transitions: by month of a column that never changes
            # once written): read through the partition column, so PostgreSQL plans and reads
            # one month instead of every month of the history; by key alone if it moved.
            old = sender._default_manager.filter(
                pk=instance.pk, **{month_key: getattr(instance, month_key)}
            ).first()
        if old is None:
            old = sender._default_manager.filter(pk=instance.pk).first()
        if old is not None:
            instance._audit_before = snapshot(old)


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw or _skip.get() or not _audited(sender):
        return
    before = getattr(instance, "_audit_before", None)
    after = snapshot(instance)
    if before is not None and before == after:
        return
    if sender._meta.label == "org.User" and before is not None:
        # Login bookkeeping is not a change of the account worth an entry each time.
        if {k for k in after if before.get(k) != after.get(k)} <= {"last_login"}:
            return
    record_many(
        [
            Change(
                "create" if created else "update",
                sender._meta.label,
                str(instance.pk),
                str(instance)[:200],
                before,
                after,
                county_id=county_of(instance),
            )
        ]
    )


def _post_delete(sender, instance, **kwargs):
    if _skip.get() or not _audited(sender):
        return
    record_many(
        [
            Change(
                "delete",
                sender._meta.label,
                str(instance.pk),
                str(instance)[:200],
                snapshot(instance),
                None,
                county_id=county_of(instance),
            )
        ]
    )


def connect_signals() -> None:
    pre_save.connect(_pre_save, dispatch_uid="zhifa_audit_pre")
    post_save.connect(_post_save, dispatch_uid="zhifa_audit_post")
    post_delete.connect(_post_delete, dispatch_uid="zhifa_audit_delete")


# ---- verification --------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def verify(anchors: Iterable[tuple[int, str]] = ()) -> VerifyResult:
    """Seal what is pending, then recompute the chain; name every entry that does not match.

    `anchors` are (seq, hash) pairs recorded outside the database earlier (`zhifa audit head`):
    each must still be in the chain, which catches a truncated tail with a replayed old head.
    """
    from zhifa.core.models import AuditEntry, AuditHead

    while seal_pending(wait=True):
        pass
    keyring = _keyring()
    problems: list[str] = []
    prev = GENESIS
    n = 0
    first_keyed: int | None = None
    unverifiable = 0
    wanted = dict(anchors)
    last: Any = None  # the entry before, in chain order
    # In order of seq. A position held twice or skipped is reported here: on PostgreSQL `seq` is
    # unique only together with `at` (a partitioned log, zhifa.core.partitions), so a row copied
    # into another month's partition is found by this walk, not refused by the database. Two
    # entries claiming one position come in a fixed order: by `at` where the log is partitioned
    # (the order of its unique index on (seq, at), read month by month without a sort), by id
    # elsewhere (where they cannot occur).
    partitioned = partitions.is_partitioned(AuditEntry._meta.db_table)
    order = ("seq", "at") if partitioned else ("seq", "id")
    for e in AuditEntry.objects.filter(seq__isnull=False).order_by(*order).iterator(chunk_size=2000):
        if last is not None and e.seq == last.seq:
            problems.append(f"第{e.id}条：链序号{e.seq}与第{last.id}条重复（记录被复制或插入）")
            if e.hash != _expected_hash(e, keyring):
                problems.append(f"第{e.id}条：内容与哈希不符（记录被篡改）")
            continue  # the chain goes on from the first of the two
        last = e
        n += 1
        if e.seq != n:
            problems.append(f"第{e.id}条：链序号为{e.seq}，应为{n}（记录被删除或插入）")
            n = e.seq
        if e.prev_hash != prev:
            problems.append(f"第{e.id}条：与上一条的链接不符（记录被删除或插入）")
        if e.alg == auditkeys.PLAIN:
            if first_keyed is not None:
                problems.append(f"第{e.id}条：出现在带密钥签名的记录之后却没有密钥签名（记录被降级篡改）")
            expected = entry_hash(_hashed_fields(e), e.prev_hash)
        else:
            if first_keyed is None:
                first_keyed = e.seq
            key = keyring.key(e.key_id)
            if key is None or e.alg not in auditkeys.KEYED_ALGS:
                unverifiable += 1
                expected = e.hash
            else:
                expected = entry_hash(_hashed_fields(e), e.prev_hash, e.alg, key)
        if expected != e.hash:
            problems.append(f"第{e.id}条：内容与哈希不符（记录被篡改）")
        if e.seq in wanted and wanted.pop(e.seq) != e.hash:
            problems.append(f"第{e.seq}号记录与外部留存的锚点不符（记录被改写）")
        prev = e.hash
    if unverifiable:
        problems.append(
            f"有{unverifiable}条记录使用本机没有的密钥签名，无法校验"
            "（请配置 ZHIFA_AUDIT_KEY 或 ZHIFA_AUDIT_OLD_KEYS）"
        )
    for seq in sorted(wanted):
        problems.append(f"外部留存的锚点第{seq}号记录已不在链中（末尾记录被删除）")
    if partitioned:
        problems.extend(_repeated_keys())
    pending = AuditEntry.objects.filter(seq__isnull=True).count()
    if pending:
        problems.append(
            f"有{pending}条记录尚未封存进哈希链（链已启用密钥签名，但本机未配置 ZHIFA_AUDIT_KEY）"
        )
    head = AuditHead.objects.filter(pk=1).first()
    problems.extend(_check_head(head, prev, n, first_keyed, keyring))
    # Live business rows against the images the chain holds (the models domains registered).
    from zhifa.core import integrity

    problems.extend(integrity.check_rows())
    return VerifyResult(ok=not problems, checked=n, problems=problems)


def _expected_hash(e, keyring) -> str | None:
    """The hash entry `e` should carry (its own when its key is not here to check it)."""
    if e.alg == auditkeys.PLAIN:
        return entry_hash(_hashed_fields(e), e.prev_hash)
    key = keyring.key(e.key_id)
    if key is None or e.alg not in auditkeys.KEYED_ALGS:
        return e.hash
    return entry_hash(_hashed_fields(e), e.prev_hash, e.alg, key)


def _repeated_keys() -> list[str]:
    """On a partitioned log (PostgreSQL), a `hash` or an `id` held by more than one entry: the
    database holds them unique only together with `at`. (Elsewhere the table's own unique
    constraints refuse them, and this is not run.) One pass over the log for each."""
    from zhifa.core.models import AuditEntry

    table = AuditEntry._meta.db_table
    problems: list[str] = []
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT array_agg(id ORDER BY id) FROM {table} WHERE hash IS NOT NULL "
            "GROUP BY hash HAVING COUNT(*) > 1 ORDER BY MIN(id) LIMIT 100"
        )
        for (ids,) in cur.fetchall():
            others = "、".join(f"第{i}条" for i in ids[1:])
            problems.append(f"第{ids[0]}条与{others}的哈希相同（记录被复制）")
        cur.execute(f"SELECT id, COUNT(*) FROM {table} GROUP BY id HAVING COUNT(*) > 1 ORDER BY id LIMIT 100")
        for eid, count in cur.fetchall():
            problems.append(f"编号{eid}有{count}条记录（记录被复制）")
    return problems


def _check_head(head, last_hash: str, count: int, first_keyed: int | None, keyring) -> list[str]:
    problems: list[str] = []
    if head is None:
        if count:
            problems.append("缺少链尾记录（审计链的头部被删除）")
        return problems
    if head.last_hash != last_hash:
        problems.append("链尾与最后一条记录不符（末尾记录被删除或篡改）")
    if head.count != count:
        problems.append(f"记录条数为{count}，应为{head.count}（记录被删除或插入）")
    if head.first_keyed_seq != first_keyed:
        problems.append("链尾记载的首条密钥签名记录与链中不符（记录被降级篡改）")
    if head.alg and head.alg != auditkeys.PLAIN:
        if keyring.key(head.key_id) is None:
            problems.append(f"链尾使用本机没有的密钥 {head.key_id} 签名，无法校验")
        elif head_mac(head, keyring) != head.mac:
            problems.append("链尾的密钥签名不符（链尾被改写，如截断末尾记录）")
    elif first_keyed is not None or head.mac:
        problems.append("链中有密钥签名的记录，链尾却没有密钥签名（链尾被降级篡改）")
    elif keyring.keyed and count:
        problems.append(
            "已配置审计密钥，但链尾没有密钥签名：刚启用密钥时请先运行 zhifa audit seal；"
            "否则说明整条链被改写为无密钥签名"
        )
    return problems

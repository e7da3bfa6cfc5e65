"""Declarative partitioning by month on PostgreSQL, for the append-mostly large tables: a
report's steps (`dispatch_step`, by `started_at`) and transitions (`dispatch_transition`, by `at`),
and the audit log (`core_auditentry`, by `at`). Other databases keep plain tables: every function
here is a no-op there, so the schema and the code are the same everywhere.

Why by month and not by county: nothing refers to a step, a transition or an audit entry by key,
so their primary key may carry the month column (PostgreSQL requires the partition key in every
unique constraint); windows of the board and the metrics are time ranges, which prune
partitions; and old months can be detached or archived whole. The reports themselves are not
partitioned: steps, transitions, cases and whistles refer to them by `id`, and a unique `id`
across partitions cannot be declared. At province scale they are instead scoped by the
county-led indexes (and distributed by county on Citus, see docs/deploy.md).

The audit chain's `seq` and `hash` are unique across the whole log on other databases (the
model's `unique=True`). Partitioned, PostgreSQL can hold them unique only together with `at`
(`core_auditentry_seq_at_uniq`, `core_auditentry_hash_at_uniq`, built by `convert_audit`), so a
row forged into another month with a copied `seq` or `hash` is not refused by the database. What
the global constraints guaranteed is kept by the sealer and checked by the verification instead:
`zhifa.core.audit.seal_pending` assigns `seq` only while it holds the lock on the chain's head
row (the next `count`, contiguous), and `zhifa.core.audit.verify` walks the chain in `seq` order
(a repeated or missing position is reported) and, on a partitioned log, looks for a repeated
`hash` or `id` across all months.

Each table has a DEFAULT partition, so an insert never fails for want of a month; the worker
(`ensure_ahead`) keeps the coming months created for every table in `MONTHLY`, and moving a
month's rows out of the default partition is part of creating that month.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

# table → the timestamp column it is partitioned by. Migration dispatch/0009 converts the tables
# named here (and the audit before-images read through them), so this names those two only.
PARTITIONED = {"dispatch_step": "started_at", "dispatch_transition": "at"}
# The audit log, converted by migration core/0006 (`convert_audit`).
AUDIT = {"core_auditentry": "at"}
# One table: the unpacking fails at import, not at migration time, if another is added.
((AUDIT_TABLE, AUDIT_COLUMN),) = AUDIT.items()
# The chain's columns unique across the log elsewhere; partitioned, unique together with `at`.
AUDIT_UNIQUE = ("seq", "hash")
# Every partitioned table: the months the worker and the province generator create.
MONTHLY = {**PARTITIONED, **AUDIT}
AHEAD_MONTHS = 3  # months created ahead of today by the worker
MIN_MONTH = dt.date(2000, 1, 1)


def enabled(conn=connection) -> bool:
    return conn.vendor == "postgresql"


def _month(d: dt.date | dt.datetime) -> dt.date:
    return dt.date(d.year, d.month, 1)


def _next(m: dt.date) -> dt.date:
    return dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def _name(table: str, m: dt.date) -> str:
    return f"{table}_p{m:%Y%m}"


def is_partitioned(table: str, conn=connection) -> bool:
    if not enabled(conn):
        return False
    with conn.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [table],
        )
        return cur.fetchone() is not None


def months(table: str, conn=connection) -> list[dt.date]:
    """The months that have their own partition, in order."""
    if not is_partitioned(table, conn):
        return []
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [table],
        )
        names = [r[0] for r in cur.fetchall()]
    prefix = f"{table}_p"
    return sorted(dt.date(int(n[-6:-2]), int(n[-2:]), 1) for n in names if n.startswith(prefix))


def convert(table: str, column: str, *, ahead: int = AHEAD_MONTHS, conn=connection) -> None:
    """Turn an existing plain table into one partitioned by month on `column`, keeping every row,
    every index, every foreign key and the id sequence (run inside the migration's transaction).
    The primary key becomes (id, column)."""
    if not enabled(conn) or is_partitioned(table, conn):
        return
    old = f"{table}_unpartitioned"
    with conn.cursor() as cur:
        # Deferred foreign-key checks of rows written earlier in this transaction run now: a
        # table with pending trigger events cannot be dropped.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        index_sql, constraints = _definitions(cur, table)
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (old_seq,) = cur.fetchone()
        cur.execute(f"SELECT MIN({column}), MAX({column}), MAX(id) FROM {table}")
        first, last, max_id = cur.fetchone()
        cur.execute(f"ALTER TABLE {table} RENAME TO {old}")
        cur.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE ({column})")
        cur.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        today = dt.date.today()
        start = _month(first) if first is not None else _month(today)
        end = _month(max(last.date() if last else today, today))
        for _ in range(ahead):
            end = _next(end)
        m = start
        while m <= end:
            _create(cur, table, m)
            m = _next(m)
        cur.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        # The old table goes with its identity sequence, its indexes and constraints, whose
        # names the new table then takes (the statements were read before the rename).
        cur.execute(f"DROP TABLE {old}")
        if old_seq:
            cur.execute(f"DROP SEQUENCE IF EXISTS {old_seq}")
        seq = f"{table}_id_seq"
        cur.execute(f"CREATE SEQUENCE {seq} OWNED BY {table}.id")
        cur.execute(f"SELECT setval('{seq}', %s, %s)", [max_id or 1, max_id is not None])
        cur.execute(f"ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{seq}')")
        cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {column})")
        for sql in index_sql:
            cur.execute(sql)
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute(f"ANALYZE {table}")


def unconvert(table: str, conn=connection) -> None:
    """The reverse of `convert`: one plain table again, primary key `id`, same rows and indexes."""
    if not is_partitioned(table, conn):
        return
    plain = f"{table}_plain"
    with conn.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        index_sql, constraints = _definitions(cur, table)
        cur.execute(f"SELECT MAX(id) FROM {table}")
        (max_id,) = cur.fetchone()
        cur.execute(f"CREATE TABLE {plain} (LIKE {table} INCLUDING DEFAULTS)")
        cur.execute(f"ALTER TABLE {plain} ALTER COLUMN id DROP DEFAULT")
        cur.execute(f"INSERT INTO {plain} SELECT * FROM {table}")
        cur.execute(f"DROP TABLE {table}")  # its partitions and its sequence with it
        cur.execute(f"ALTER TABLE {plain} RENAME TO {table}")
        cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id)")
        cur.execute(f"ALTER TABLE {table} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
        if max_id is not None:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [max_id])
        for sql in index_sql:
            cur.execute(sql)
        for name, definition in constraints:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _audit_unique_name(col: str) -> str:
    return f"{AUDIT_TABLE}_{col}_{AUDIT_COLUMN}_uniq"


def convert_audit(conn=connection) -> None:
    """`convert` for the audit log: its unique constraints on `seq` and on `hash` (which a
    partitioned table cannot hold without `at`) become unique indexes on (seq, at) and
    (hash, at); see the module's docstring for what keeps the chain's uniqueness."""
    table, column = AUDIT_TABLE, AUDIT_COLUMN
    if not enabled(conn) or is_partitioned(table, conn):
        return
    with conn.cursor() as cur:
        for col in AUDIT_UNIQUE:
            cur.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
                "ON a.attrelid = c.conrelid AND a.attname = %s "
                "WHERE c.conrelid = %s::regclass AND c.contype = 'u' AND c.conkey = ARRAY[a.attnum]",
                [col, table],
            )
            for (name,) in cur.fetchall():
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    convert(table, column, conn=conn)
    with conn.cursor() as cur:
        for col in AUDIT_UNIQUE:
            cur.execute(f"CREATE UNIQUE INDEX {_audit_unique_name(col)} ON {table} ({col}, {column})")


def unconvert_audit(conn=connection) -> None:
    """The reverse of `convert_audit`: one plain table with `seq` and `hash` unique again (under
    the names Django gave them; refused if the log holds a repeated one)."""
    table = AUDIT_TABLE
    if not is_partitioned(table, conn):
        return
    with conn.cursor() as cur:
        for col in AUDIT_UNIQUE:
            cur.execute(f"DROP INDEX IF EXISTS {_audit_unique_name(col)}")
    unconvert(table, conn)
    with conn.cursor() as cur:
        for col in AUDIT_UNIQUE:
            cur.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_{col}_key UNIQUE ({col})")


def _definitions(cur, table: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The statements that re-create `table`'s indexes (but the primary key) and its own foreign
    keys and CHECKs, read before the table is rebuilt under the same name."""
    cur.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary",
        [table],
    )
    # A partitioned table's index reads "ON ONLY t": re-created here on the whole table.
    index_sql = [r[0].replace(" ON ONLY ", " ON ") for r in cur.fetchall()]
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'c') AND coninhcount = 0",
        [table],
    )
    return index_sql, cur.fetchall()


def _create(cur, table: str, m: dt.date) -> None:
    cur.execute(
        f"CREATE TABLE IF NOT EXISTS {_name(table, m)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{m.isoformat()}') TO ('{_next(m).isoformat()}')"
    )


def ensure_month(table: str, m: dt.date, conn=connection, *, column: str | None = None) -> bool:
    """Give month `m` its own partition (moving its rows out of the default partition, where
    inserts for a month not yet created went). True when it was created."""
    if not is_partitioned(table, conn):
        return False
    m = _month(m)
    if m in months(table, conn):
        return False
    column = column or MONTHLY[table]
    lo, hi = m.isoformat(), _next(m).isoformat()
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        # Serialise with other workers doing the same (and with inserts into the default part).
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        if m in months(table, conn):
            return False
        cur.execute(f"ALTER TABLE {table} DETACH PARTITION {table}_default")
        _create(cur, table, m)
        cur.execute(
            f"WITH moved AS (DELETE FROM {table}_default WHERE {column} >= %s AND {column} < %s "
            f"RETURNING *) INSERT INTO {table} SELECT * FROM moved",
            [lo, hi],
        )
        cur.execute(f"ALTER TABLE {table} ATTACH PARTITION {table}_default DEFAULT")
    return True


def ensure_months(start: dt.date, end: dt.date, conn=connection) -> int:
    """Every partitioned table has a partition for each month from `start` to `end`."""
    if not enabled(conn):
        return 0
    made = 0
    for table in MONTHLY:
        # One look at the table's months: a worker pass that finds them all there costs two queries.
        have = set(months(table, conn))
        m = _month(start)
        while m <= _month(end):
            if m not in have:
                made += ensure_month(table, m, conn)
            m = _next(m)
    return made


def ensure_ahead(today: dt.date | None = None, conn=connection) -> int:
    """The worker's pass: this month and the next `AHEAD_MONTHS` exist for every table."""
    today = today or dt.date.today()
    end = today
    for _ in range(AHEAD_MONTHS):
        end = _next(_month(end))
    return ensure_months(today, end, conn)

"""Backup and restore of the whole database: `zhifa backup`, `zhifa backup --verify`, `zhifa restore`.

SQLite: an online copy through SQLite's backup API, all pages in one step, i.e. inside one read
transaction: a consistent state while the web server and the worker go on writing (WAL lets them).
A restore replaces the database file atomically (a temporary file beside it, fsync, os.replace),
and only while no other process has the database open (a file replaced under an open connection
would keep receiving that process's writes, which would be lost).

PostgreSQL: `pg_dump --format=custom` of a snapshot exported by a REPEATABLE READ transaction, the
same snapshot in which the manifest's row counts are read, so the two always agree (partitions are
dumped through their parent table, `--load-via-partition-root`, and counted as it); a restore pipes
`pg_restore --file=-` into `psql -v ON_ERROR_STOP=1`, which first drops the tables it replaces, in
one transaction committed only when both have run to the end: one that fails part-way is rolled
back and leaves the database as it was. The client programs are looked for beside the server's
(`pg_ctl`/`postgres` on PATH), then on PATH, then under /usr/lib/postgresql/*/bin (ZHIFA_PG_BINDIR
overrides), and the one of the server's major version is preferred (`find_pg_tool`).

Every backup has a manifest beside it, FILE.manifest.json: the file's size and SHA-256, the row
count of every table, the audit chain's head, the applied migrations, the zhifa version and the
time. A restore refuses a file that is not a database of this project, or whose schema is newer
than this code's; afterwards it checks the counts and the chain's head against the manifest and
runs the audit verification (`zhifa.core.audit.verify`, with the backup's head as an anchor).

Not in a backup (docs/deploy.md): uploaded files (MEDIA_ROOT), the audit key (ZHIFA_AUDIT_KEY,
which must be kept elsewhere: without it a restored keyed chain cannot be verified or continued),
the secret key and the rest of the environment.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

import zhifa
from zhifa.core import audit, auditkeys

FORMAT = "zhifa-backup"
FORMAT_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ALIAS = "default"
# A PostgreSQL restore that waits longer than this for a lock (another session's open transaction)
# gives up and rolls back instead of hanging behind a server that was not stopped.
PG_LOCK_TIMEOUT = "30s"
HEAD_FIELDS = ("seq", "count", "last_hash", "first_keyed_seq", "alg", "key_id")
# Connection settings (Django's OPTIONS keys, libpq's keywords) handed to pg_dump/pg_restore through
# libpq's environment variables: nothing, and above all no password, goes on their command line.
LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "gssencmode": "PGGSSENCMODE",
    "channel_binding": "PGCHANNELBINDING",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


class BackupError(Exception):
    """A backup, check or restore that cannot go on; the message says why, in Chinese."""


# ---- what a database holds ---------------------------------------------------------------------


@dataclass
class Snapshot:
    tables: dict[str, int]  # table → row count
    audit_head: dict[str, Any] | None
    audit_pending: int
    migrations: list[tuple[str, str]]  # applied (app, name), in the order applied

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The schema's tables as the application sees them: plain tables and partitioned parents, not the
# partitions (a parent's COUNT(*) holds its partitions' rows; `zhifa.core.partitions`).
_PG_TABLES = (
    "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
    " AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
)


def read_snapshot(cur, vendor: str) -> Snapshot:
    """Row counts, audit head and migrations through a DB-API cursor (sqlite3, psycopg or Django's)."""
    if vendor == "sqlite":
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'"
            " ORDER BY name"
        )
    else:
        cur.execute(_PG_TABLES + " ORDER BY c.relname")
    names = [r[0] for r in cur.fetchall()]
    tables: dict[str, int] = {}
    for name in names:
        cur.execute(f"SELECT COUNT(*) FROM {_quote(name)}")
        tables[name] = int(cur.fetchone()[0])
    head = None
    if "core_audithead" in tables:
        cur.execute(f"SELECT {', '.join(_quote(f) for f in HEAD_FIELDS)} FROM core_audithead WHERE id = 1")
        row = cur.fetchone()
        if row is not None:
            head = dict(zip(HEAD_FIELDS, row, strict=True))
    pending = 0
    if "core_auditentry" in tables:
        cur.execute("SELECT COUNT(*) FROM core_auditentry WHERE seq IS NULL")
        pending = int(cur.fetchone()[0])
    migrations: list[tuple[str, str]] = []
    if "django_migrations" in tables:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = [(str(a), str(n)) for a, n in cur.fetchall()]
    return Snapshot(tables, head, pending, migrations)


def engine() -> str:
    vendor = connections[ALIAS].vendor
    if vendor not in ENGINE_NAMES:
        raise BackupError(f"不支持备份 {vendor} 数据库：仅支持 SQLite 和 PostgreSQL")
    return vendor


def describe_database() -> str:
    """The database a restore would overwrite, in words."""
    sd = connections[ALIAS].settings_dict
    if engine() == "sqlite":
        return f"SQLite 数据库 {sd['NAME']}"
    host = sd.get("HOST") or (sd.get("OPTIONS") or {}).get("host") or "本机"
    return f"PostgreSQL 数据库 {sd['NAME']}（{host}）"


def manifest_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + MANIFEST_SUFFIX)


def default_path(kind: str | None = None, now=None) -> Path:
    now = timezone.localtime(now)
    suffix = ".sqlite3" if (kind or engine()) == "sqlite" else ".dump"
    return Path(settings.VAR_DIR) / "backups" / f"zhifa-{now:%Y%m%d-%H%M%S}{suffix}"


# ---- files ---------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory
    finally:
        os.close(fd)


def _write_json(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_kind(path: Path) -> str:
    """The kind of backup by the file's first bytes: "sqlite" or "postgresql"; anything else is refused."""
    if path.name.endswith(MANIFEST_SUFFIX):
        raise BackupError(f"{path} 是备份清单：请给出它旁边的备份文件本身。")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"找不到备份文件 {path}")
    except OSError as exc:
        raise BackupError(f"无法读取备份文件 {path}：{exc.strerror or exc}")
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} 不是本系统的备份文件：它既不是 SQLite 数据库，也不是 pg_dump 自定义格式（--format=custom）"
        "的备份（文件已损坏，或给错了文件）。"
    )


# ---- PostgreSQL client programs ------------------------------------------------------------------


@functools.cache
def tool_major(path: str) -> int | None:
    """The major version a PostgreSQL client program reports (`pg_dump --version`)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"\)\s*(\d+)(?:\.(\d+))?", out)
    return int(m.group(1)) if m else None


def _tool_candidates(name: str) -> list[str]:
    bindir = os.environ.get("ZHIFA_PG_BINDIR")
    if bindir:
        path = Path(bindir) / name
        if not path.is_file():
            raise BackupError(f"ZHIFA_PG_BINDIR={bindir} 中没有 {name}")
        return [str(path)]
    found: list[str] = []
    # The server's own binaries first: a pg_dump of the same version as the server it talks to.
    for anchor in ("pg_ctl", "postgres"):
        beside = shutil.which(anchor)
        if beside:
            found.append(str(Path(beside).resolve().parent / name))
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)

    def version_key(p: str) -> tuple[int, ...]:
        digits = re.findall(r"\d+", Path(p).parent.parent.name)
        return tuple(int(d) for d in digits)

    found += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version_key, reverse=True)
    out: list[str] = []
    seen: set[str] = set()
    for p in found:
        real = os.path.realpath(p)
        if os.path.isfile(p) and os.access(p, os.X_OK) and real not in seen:
            seen.add(real)
            out.append(p)
    return out


def find_pg_tool(name: str, server_major: int | None = None) -> str:
    """The `pg_dump`/`pg_restore` to use against a server of `server_major`: the first one found
    of that major version, else the first newer one (pg_dump reads older servers; an older one
    refuses a newer server), else an error saying which versions were found."""
    candidates = _tool_candidates(name)
    if not candidates:
        raise BackupError(
            f"找不到 PostgreSQL 程序 {name}：请安装与数据库服务器同一大版本的 postgresql-client，"
            "或设置 ZHIFA_PG_BINDIR 指向其所在目录。"
        )
    if server_major is None:
        return candidates[0]
    versions = [(c, tool_major(c)) for c in candidates]
    for c, v in versions:
        if v == server_major:
            return c
    for c, v in versions:
        if v is not None and v > server_major:
            return c
    seen = "、".join(f"{c}（{v or '版本未知'}）" for c, v in versions)
    raise BackupError(
        f"找到的 {name} 版本低于数据库服务器（PostgreSQL {server_major}）：{seen}。"
        f"请安装 PostgreSQL {server_major} 的客户端程序，或设置 ZHIFA_PG_BINDIR。"
    )


def _pg_env(extra_options: str = "") -> dict[str, str]:
    """The environment for pg_dump/pg_restore: libpq variables from Django's DATABASES settings."""
    sd = connections[ALIAS].settings_dict
    env = dict(os.environ)
    for key, value in (sd.get("OPTIONS") or {}).items():
        var = LIBPQ_ENV.get(key)
        if var and value not in (None, ""):
            env[var] = str(value)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if sd.get(key):
            env[var] = str(sd[key])
    if sd.get("PASSWORD"):
        env["PGPASSWORD"] = str(sd["PASSWORD"])
    if extra_options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {extra_options}".strip()
    return env


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True)
    except OSError as exc:
        raise BackupError(f"无法运行 {cmd[0]}：{exc.strerror or exc}")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        raise BackupError(f"{what}失败（{Path(cmd[0]).name} 退出码{proc.returncode}）：\n{_tail(err)}")
    return proc.stdout.decode("utf-8", "replace")


_TOC_TABLE = re.compile(r"^\d+;\s+\d+\s+\d+\s+(TABLE DATA|TABLE ATTACH|TABLE)\s+(\S+)\s+(\S+)\s")


def _pg_toc_tables(path: Path) -> list[str]:
    """The tables the archive holds, from its table of contents (`pg_restore --list`): plain
    tables and partitioned parents; a partition (a TABLE ATTACH entry) is part of its parent."""
    tool = find_pg_tool("pg_restore")
    try:
        toc = _run([tool, "--list", str(path)], "读取备份目录")
    except BackupError as exc:
        raise BackupError(f"备份文件 {path} 已损坏，无法读出其目录（pg_restore --list）：\n{exc}")
    found: dict[str, set[str]] = {"TABLE DATA": set(), "TABLE ATTACH": set(), "TABLE": set()}
    for line in toc.splitlines():
        if m := _TOC_TABLE.match(line):
            found[m.group(1)].add(m.group(3))
    # A partitioned parent has a TABLE entry and no data of its own; its partitions are attached.
    return sorted((found["TABLE DATA"] | found["TABLE"]) - found["TABLE ATTACH"])


def _copy_unescape(value: bytes) -> str | None:
    if value == b"\\N":
        return None
    text = value.decode("utf-8", "replace")
    if "\\" not in text:
        return text
    escapes = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text)


def _pg_scan(path: Path, *, only: str | None = None, collect: Iterable[str] = ()) -> tuple[dict, dict]:
    """Stream the archive's data as `pg_restore` writes it (COPY blocks, one row a line): row counts
    per table, and the rows (column → text) of the tables in `collect`. `only`: one table's data."""
    cmd = [find_pg_tool("pg_restore"), "--data-only", "--file=-"]
    if only:
        cmd.append(f"--table={only}")
    cmd.append(str(path))
    wanted = set(collect) | ({only} if only else set())
    counts: dict[str, int] = {}
    rows: dict[str, list[dict[str, str | None]]] = {t: [] for t in wanted}
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        except OSError as exc:
            raise BackupError(f"无法运行 {cmd[0]}：{exc.strerror or exc}")
        table, columns, n = None, [], 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if table is None:
                if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
                    ident, _, rest = line[5:].partition(b" ")
                    table = ident.decode("utf-8", "replace").rsplit(".", 1)[-1].strip('"')
                    cols = rest.partition(b")")[0].lstrip(b"(") if rest.startswith(b"(") else b""
                    columns = [c.strip().strip(b'"').decode() for c in cols.split(b",")] if cols else []
                    n = 0
                continue
            if line in (b"\\.\n", b"\\.\r\n", b"\\."):
                # Partitions are dumped through their parent (--load-via-partition-root): one
                # COPY block per partition, all naming the parent.
                counts[table] = counts.get(table, 0) + n
                table = None
                continue
            n += 1
            if table in wanted:
                values = line.rstrip(b"\n").split(b"\t")
                rows[table].append(dict(zip(columns, (_copy_unescape(v) for v in values), strict=False)))
        rc = proc.wait()
        if rc != 0 or table is not None:
            err.seek(0)
            detail = _tail(err.read().decode("utf-8", "replace")) or "数据不完整"
            raise BackupError(f"备份文件 {path} 已损坏，无法读出其中的数据：\n{detail}")
    return counts, rows


# ---- checks shared by --verify and restore -----------------------------------------------------


def _our_apps() -> set[str]:
    return {cfg.label for cfg in apps.get_app_configs() if cfg.name.startswith("zhifa.")}


def check_project(path: Path, tables: Iterable[str], migrations: list[tuple[str, str]]) -> None:
    """Refuse a database that is not one of this project's."""
    if "django_migrations" not in set(tables):
        raise BackupError(f"{path} 不是本系统（zhifa）的数据库备份：其中没有 django_migrations 表。")
    if not any(app in _our_apps() for app, _ in migrations):
        raise BackupError(f"{path} 不是本系统（zhifa）的数据库备份：其中没有本系统的数据库迁移记录。")


def check_migrations(path: Path, migrations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Refuse a backup whose schema is newer than this code's (a migration the code does not know);
    return the code's migrations the backup lacks (an older backup: `zhifa migrate` after restoring)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(tuple(r) for r in migration.replaces)  # squashed away since, still applied rows
    installed = {cfg.label for cfg in apps.get_app_configs()}
    # Rows of apps no longer installed are ignored, as `migrate` ignores them.
    unknown = [f"{a}.{n}" for a, n in migrations if a in installed and (a, n) not in known]
    if unknown:
        shown = "、".join(unknown[:5]) + ("等" if len(unknown) > 5 else "")
        raise BackupError(
            f"备份 {path} 的数据库结构比当前程序新：其中有本程序没有的数据库迁移 {shown}"
            f"（共{len(unknown)}个）。请先把 zhifa 升级到做备份时的版本（备份清单记有版本号），再恢复。"
        )
    applied = set(migrations)
    missing = []
    for node in loader.graph.nodes:
        if node in applied:
            continue
        migration = loader.graph.nodes[node]
        if migration.replaces and all(tuple(r) in applied for r in migration.replaces):
            continue
        missing.append(node)
    return sorted(missing)


def load_manifest(path: Path, kind: str, *, required: bool) -> dict | None:
    """The manifest beside `path`, checked against the file (size, SHA-256, engine)."""
    mpath = manifest_path(path)
    if not mpath.exists():
        if not required:
            return None
        raise BackupError(
            f"找不到备份清单 {mpath}：无法确认备份文件完好。备份清单由 zhifa backup 与备份文件一起写出；"
            "如确需在没有清单的情况下恢复，请加 --no-manifest（恢复后将无法核对行数）。"
        )
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"备份清单 {mpath} 无法读取：{exc}")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{mpath} 不是本系统的备份清单。")
    if not isinstance(data.get("format_version"), int) or data["format_version"] > FORMAT_VERSION:
        raise BackupError(f"备份清单 {mpath} 的格式比当前程序新：请先升级 zhifa。")
    if data.get("engine") != kind:
        raise BackupError(
            f"备份清单 {mpath} 记载的是 {ENGINE_NAMES.get(data.get('engine'), '未知')} 备份，"
            f"备份文件却是 {ENGINE_NAMES[kind]} 数据库：清单与文件不配套。"
        )
    if data.get("size") != path.stat().st_size or data.get("sha256") != _sha256(path):
        raise BackupError(
            f"备份文件 {path} 与备份清单不符（大小或 SHA-256 不同）：文件已损坏或被改动，不能使用。"
        )
    return data


def _inspect_sqlite(path: Path, *, thorough: bool) -> Snapshot:
    uri = f"file:{quote(str(path.absolute()))}?mode=ro&immutable=1"
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            pragma = "PRAGMA integrity_check" if thorough else "PRAGMA quick_check"
            check = [r[0] for r in con.execute(pragma)]
            if check != ["ok"]:
                raise BackupError(f"备份文件 {path} 已损坏（SQLite 完整性检查：{check[0]}）。")
            return read_snapshot(con.cursor(), "sqlite")
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份文件 {path} 已损坏，无法作为 SQLite 数据库读取：{exc}")


def _pg_head(rows: list[dict]) -> dict | None:
    for row in rows:
        if row.get("id") == "1":
            head = {f: row.get(f) for f in HEAD_FIELDS}
            for f in ("seq", "count", "first_keyed_seq"):
                head[f] = int(head[f]) if head[f] is not None else None
            return head
    return None


def compare_counts(expected: dict[str, int], actual: dict[str, int], *, strict: bool = True) -> list[str]:
    problems = []
    for t in sorted(set(expected) | (set(actual) if strict else set())):
        e, a = expected.get(t), actual.get(t)
        if e is None:
            problems.append(f"表 {t} 不在备份清单中（有{a}行）")
        elif a is None:
            problems.append(f"缺少表 {t}（备份清单记载{e}行）")
        elif e != a:
            problems.append(f"表 {t} 有{a}行，备份清单记载{e}行")
    return problems


def compare_head(expected: dict | None, actual: dict | None) -> list[str]:
    keys = ("seq", "count", "last_hash")
    if (expected or {}).get("seq") in (None, 0) and (actual or {}).get("seq") in (None, 0):
        return []
    if expected is None or actual is None or any(expected.get(k) != actual.get(k) for k in keys):
        want = f"第{expected['seq']}条" if expected else "空链"
        got = f"第{actual['seq']}条" if actual else "没有链尾"
        return [f"审计链尾与备份清单不符：清单记载{want}，实际为{got}"]
    return []


def _migration_note(missing: list[tuple[str, str]]) -> str:
    shown = "、".join(f"{a}.{n}" for a, n in missing[:3]) + ("等" if len(missing) > 3 else "")
    return (
        f"备份的数据库结构比当前程序旧：缺少{len(missing)}个数据库迁移（{shown}）。"
        "恢复后请运行 zhifa migrate，再运行 zhifa audit verify。"
    )


# ---- backup ----------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict

    def lines(self) -> list[str]:
        m = self.manifest
        size = m["size"] / (1024 * 1024)
        out = [
            f"已备份 {ENGINE_NAMES[m['engine']]} 数据库到 {self.path}"
            f"（{size:.1f} MB，{len(m['tables'])}张表共{m['rows']}行）。",
            f"备份清单：{self.manifest_path}",
        ]
        head = m.get("audit_head")
        if head and head.get("seq"):
            out.append(
                f"审计链尾：第{head['seq']}条（锚点 {head['seq']}:{head['last_hash']}，"
                "可抄送留存，日后用 zhifa audit verify --anchor 核对）。"
            )
        if head and head.get("alg") not in (None, "", auditkeys.PLAIN):
            out.append(
                f"审计链使用密钥 {head['key_id']}（{head['alg']}）签名：密钥不在备份中，"
                "恢复后要校验或续写审计链须配置同一 ZHIFA_AUDIT_KEY，请另行妥善保管。"
            )
        if m.get("audit_pending"):
            out.append(f"注意：有{m['audit_pending']}条审计记录尚未封存（本机未配置审计密钥？）。")
        out.append(
            "备份不含上传的证据与文书文件（ZHIFA_MEDIA_ROOT）和审计密钥（ZHIFA_AUDIT_KEY），请另行备份保管。"
        )
        return out


def _seal_pending() -> None:
    """Seal what is pending first, so the backup's chain head covers every entry written so far."""
    try:
        while audit.seal_pending(wait=True):
            pass
    except DatabaseError:
        pass  # no audit tables yet (a database not migrated): nothing to seal


def backup(path: str | Path | None = None, *, force: bool = False) -> BackupResult:
    """Back up the configured database to `path` (default: a timestamped file under
    VAR_DIR/backups) and write its manifest beside it. The file appears under its name only when
    complete (written beside it, fsynced, renamed)."""
    kind = engine()
    target = Path(path).expanduser().absolute() if path else default_path(kind)
    if target.is_dir():
        raise BackupError(f"{target} 是一个目录：请给出备份文件的路径。")
    mpath = manifest_path(target)
    if not force and (target.exists() or mpath.exists()):
        raise BackupError(f"备份文件 {target} 已存在；如要覆盖请加 --force。")
    try:
        if not target.parent.exists():
            target.parent.mkdir(parents=True, mode=0o700)  # a backup holds every password hash
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise BackupError(f"无法在 {target.parent} 中写入备份：{exc.strerror or exc}")
    tmp = Path(tmp_name)  # mode 0600, like the manifest
    try:
        _seal_pending()
        if kind == "sqlite":
            snap, extra = _backup_sqlite(tmp)
        else:
            snap, extra = _backup_postgres(tmp)
        _fsync(tmp)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "zhifa_version": zhifa.__version__,
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "engine": kind,
            "file": target.name,
            "size": tmp.stat().st_size,
            "sha256": _sha256(tmp),
            "tables": snap.tables,
            "rows": snap.rows,
            "audit_head": snap.audit_head,
            "audit_pending": snap.audit_pending,
            "migrations": {
                "applied": [list(m) for m in snap.migrations],
                "latest": {app: name for app, name in snap.migrations},
            },
            **extra,
        }
        os.replace(tmp, target)
        try:
            _write_json(mpath, manifest)
        except BaseException:
            target.unlink(missing_ok=True)  # a backup without its manifest cannot be checked
            raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"写入备份文件 {target} 失败：{exc.strerror or exc}（磁盘已满？）")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return BackupResult(target, mpath, manifest)


def _sqlite_path() -> Path:
    conn = connections[ALIAS]
    if conn.is_in_memory_db():
        raise BackupError("当前数据库在内存中，无法备份或恢复。")
    return Path(conn.settings_dict["NAME"])


def _backup_sqlite(tmp: Path) -> tuple[Snapshot, dict]:
    db = _sqlite_path()
    if not db.is_file():
        raise BackupError(f"找不到数据库文件 {db}（ZHIFA_VAR_DIR 设置对吗？）")
    src = sqlite3.connect(db, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        # All pages in one step: one read transaction, so one consistent state of the database
        # however much the server and the worker write meanwhile (WAL: they are not blocked).
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        snap = read_snapshot(dst.cursor(), "sqlite")  # counted in the copy itself
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份数据库 {db} 失败：{exc}")
    finally:
        dst.close()
        src.close()
    return snap, {"database": str(db), "server_version": sqlite3.sqlite_version, "tool": "sqlite3 backup API"}


def _backup_postgres(tmp: Path) -> tuple[Snapshot, dict]:
    side = connections.create_connection(ALIAS)  # its own session, whatever the caller's is doing
    try:
        side.ensure_connection()
        raw = side.connection
        server = int(raw.info.server_version)
        pg_dump = find_pg_tool("pg_dump", server // 10000)
        with raw.cursor() as cur:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
            snap = read_snapshot(cur, "postgresql")
            # pg_dump reads the very snapshot the counts above were read in (kept open until it ends).
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-password",
                    "--load-via-partition-root",
                    f"--snapshot={snapshot_id}",
                    f"--file={tmp}",
                ],
                f"备份数据库 {side.settings_dict['NAME']} ",
                env=_pg_env(),
            )
            cur.execute("COMMIT")
    finally:
        side.close()
    version = f"{server // 10000}.{server % 10000}"
    tool = f"pg_dump {tool_major(pg_dump) or '?'} ({pg_dump})"
    return snap, {"database": side.settings_dict["NAME"], "server_version": version, "tool": tool}


# ---- verify ----------------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    path: Path
    kind: str
    manifest: dict
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        m = self.manifest
        head = m.get("audit_head") or {}
        chain = f"，审计链尾第{head['seq']}条" if head.get("seq") else ""
        if self.ok:
            first = (
                f"备份文件完好：{self.path}（{ENGINE_NAMES[self.kind]}，{m.get('created_at')} 由 zhifa "
                f"{m.get('zhifa_version')} 创建；{len(m['tables'])}张表共{m['rows']}行，"
                f"与备份清单一致{chain}）。"
            )
        else:
            first = f"备份文件 {self.path} 校验失败：发现{len(self.problems)}处问题。"
        return [first, *self.notes]


def verify_backup(path: str | Path) -> VerifyReport:
    """Check a backup without restoring it: the manifest against the file, the file's own
    structure (SQLite: integrity check; PostgreSQL: the archive read through to its end), that it
    is a database of this project no newer than this code, and the row counts and chain head in
    the file against the manifest. The audit chain itself is verified by a restore (drill)."""
    path = Path(path).expanduser().absolute()
    kind = file_kind(path)
    manifest = load_manifest(path, kind, required=True)
    assert manifest is not None
    if kind == "sqlite":
        snap = _inspect_sqlite(path, thorough=True)
        tables, counts, head, migrations = snap.tables, snap.tables, snap.audit_head, snap.migrations
    else:
        tables = _pg_toc_tables(path)
        counts, rows = _pg_scan(path, collect=("django_migrations", "core_audithead"))
        migrations = [(r["app"], r["name"]) for r in rows["django_migrations"]]
        head = _pg_head(rows["core_audithead"])
    check_project(path, tables, migrations)
    missing = check_migrations(path, migrations)
    report = VerifyReport(path, kind, manifest)
    report.problems += compare_counts(manifest.get("tables") or {}, counts)
    report.problems += compare_head(manifest.get("audit_head"), head)
    if missing:
        report.notes.append(_migration_note(missing))
    return report


# ---- restore ---------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    path: Path
    kind: str
    target: str
    manifest: dict | None
    count_problems: list[str] = field(default_factory=list)
    head_problems: list[str] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    tables: int = 0
    audit_checked: int | None = None  # None: not verified (the schema is older than the code)

    @property
    def problems(self) -> list[str]:
        return self.count_problems + self.head_problems + self.audit_problems

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        m = self.manifest
        made = f"（{m.get('created_at')} 由 zhifa {m.get('zhifa_version')} 创建）" if m else ""
        out = [f"已从备份 {self.path}{made}恢复 {self.target}。"]
        if m is None:
            out.append(f"没有备份清单，未核对行数（现有{self.tables}张表共{self.rows}行）。")
        elif not self.count_problems:
            out.append(f"行数核对：{len(m['tables'])}张表共{m['rows']}行，与备份清单一致。")
        head = (m or {}).get("audit_head") or {}
        if head.get("seq") and not self.head_problems:
            out.append(f"审计链尾与备份一致：第{head['seq']}条。")
        if self.audit_checked is not None and not self.audit_problems:
            out.append(f"审计日志完整：共校验{self.audit_checked}条记录，未发现篡改。")
        return out + self.notes


def restore(
    path: str | Path, *, confirm: Callable[[str], bool], require_manifest: bool = True
) -> RestoreReport:
    """Check `path`, ask `confirm(what is overwritten)`, replace the database with the backup and
    verify the result. Raises BackupError, leaving the database untouched, for any file refused."""
    kind_db = engine()
    path = Path(path).expanduser().absolute()
    kind = file_kind(path)
    if kind != kind_db:
        raise BackupError(
            f"{path} 是 {ENGINE_NAMES[kind]} 数据库的备份，当前使用的是 {ENGINE_NAMES[kind_db]} 数据库，"
            "不能直接恢复。"
        )
    if kind == "sqlite":
        snap = _inspect_sqlite(path, thorough=False)
        dumped, migrations = list(snap.tables), snap.migrations
    else:
        dumped = _pg_toc_tables(path)
        _, rows = _pg_scan(path, only="django_migrations")
        migrations = [(r["app"], r["name"]) for r in rows["django_migrations"]]
    check_project(path, dumped, migrations)
    missing = check_migrations(path, migrations)
    manifest = load_manifest(path, kind, required=require_manifest)
    target = describe_database()
    if not confirm(target):
        raise BackupError("已取消恢复，数据库未改动。")
    report = RestoreReport(path, kind, target, manifest)
    if kind == "sqlite":
        _restore_sqlite(path)
    else:
        extra = _restore_postgres(path, set(dumped))
        if extra:
            report.notes.append(
                f"数据库中还有备份里没有的表（{'、'.join(sorted(extra))}），恢复未改动它们；"
                "如是较新版本建的表，请恢复到新建的空数据库。"
            )
    _after_restore(report, missing)
    return report


def _after_restore(report: RestoreReport, missing: list[tuple[str, str]]) -> None:
    from zhifa.core import calendar, tablecache

    # Nothing this process read before the restore may be served after it.
    tablecache.clear_all()
    calendar.invalidate()
    conn = connections[ALIAS]
    with conn.cursor() as cur:
        after = read_snapshot(cur, report.kind)
    report.rows, report.tables = after.rows, len(after.tables)
    m = report.manifest
    if m is not None:
        expected = m.get("tables") or {}
        # PostgreSQL: tables the archive does not hold were left alone (a note, see restore()).
        report.count_problems += compare_counts(expected, after.tables, strict=report.kind == "sqlite")
        report.head_problems += compare_head(m.get("audit_head"), after.audit_head)
    if missing:
        report.notes.append(_migration_note(missing))
        return
    head = (m or {}).get("audit_head") or {}
    anchors = [(int(head["seq"]), str(head["last_hash"]))] if head.get("seq") else []
    with audit.acting_as("命令行"):
        result = audit.verify(anchors)
    report.audit_checked = result.checked
    report.audit_problems += result.problems
    keyring = getattr(settings, "AUDIT_KEYRING", None)
    if head.get("alg") not in (None, "", auditkeys.PLAIN) and (
        keyring is None or keyring.key(head.get("key_id", "")) is None
    ):
        report.notes.append(
            f"备份的审计链使用密钥 {head.get('key_id')}（{head.get('alg')}）签名，本机没有这个密钥："
            "审计密钥不在备份中，请配置做备份时的 ZHIFA_AUDIT_KEY"
            "（轮换过的旧密钥放入 ZHIFA_AUDIT_OLD_KEYS），再运行 zhifa audit verify。"
        )


def _restore_sqlite(path: Path) -> None:
    db = _sqlite_path()
    connections.close_all()  # this process's own connections; the file is about to change
    db.parent.mkdir(parents=True, exist_ok=True)
    busy = BackupError(
        f"数据库 {db} 正被其他进程使用：请先停止 Web 服务和后台进程（zhifa dispatch-worker），再恢复。"
        "数据库未改动。"
    )
    live = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        try:
            # Leaving WAL mode needs the only connection to the database: proof that no other
            # process has it open. It also folds the WAL into the file, so no -wal is left behind
            # to be replayed onto the restored file.
            if str(live.execute("PRAGMA journal_mode=DELETE").fetchone()[0]).lower() != "delete":
                raise busy
            live.execute("BEGIN EXCLUSIVE")  # and nobody opens it while the file is swapped
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise busy
        except sqlite3.DatabaseError:
            pass  # the current file is itself damaged: it is what the restore replaces
        try:
            _remove_sidecars(db)
            _replace_file(path, db)
        except OSError as exc:
            raise BackupError(f"无法写入数据库文件 {db}：{exc.strerror or exc}。数据库未改动。")
    finally:
        live.close()
    _remove_sidecars(db)


def _remove_sidecars(db: Path) -> None:
    """A stale journal or WAL beside the database would be replayed onto the restored file."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _replace_file(src: Path, db: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=db.parent, prefix=f".{db.name}.restore-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if db.exists():  # keep the database's mode and owner (the web server may run as another user)
            st = db.stat()
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            if os.geteuid() == 0:
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass
        os.replace(tmp, db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(db.parent)


def _restore_postgres(path: Path, dumped: set[str]) -> set[str]:
    """Restore in one transaction; return the tables of the database the archive does not hold."""
    conn = connections[ALIAS]
    conn.ensure_connection()
    server_major = conn.pg_version // 10000
    with conn.cursor() as cur:
        cur.execute(_PG_TABLES)
        live = {r[0] for r in cur.fetchall()}
        cur.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        others = int(cur.fetchone()[0])
    pg_restore = find_pg_tool("pg_restore", server_major)
    psql = find_pg_tool("psql", server_major)
    name = conn.settings_dict["NAME"]
    connections.close_all()
    try:
        _pipe_restore(pg_restore, psql, name, path, sorted(live & dumped))
    except BackupError as exc:
        hints = []
        if others:
            hints.append(f"另有{others}个连接正在使用该数据库，可能持有锁：请先停止 Web 服务和后台进程")
        extra = sorted(live - dumped)
        if extra:
            hints.append(
                f"数据库中有备份里没有的表（{'、'.join(extra[:5])}），可能来自更新的版本：请恢复到新建的空数据库"
            )
        hint = "".join(f"\n提示：{h}。" for h in hints)
        raise BackupError(f"{exc}\n恢复已整体回滚，数据库保持原状。{hint}")
    with connections[ALIAS].cursor() as cur:
        cur.execute("ANALYZE")  # pg_restore leaves the planner without statistics
    return live - dumped


def _pipe_restore(pg_restore: str, psql: str, name: str, path: Path, drop: list[str]) -> None:
    """`pg_restore` writes the archive as SQL, `psql` runs it after dropping the tables it
    replaces, all in one transaction that is committed only once both have read and run every
    statement. Not `pg_restore --clean`: it drops a partitioned table's pieces one by one and
    fails on the partitions' inherited constraints. A table the archive does not hold is left
    alone; one that still refers to a dropped table makes the DROP fail, and the whole restore
    with it (no CASCADE that would silently cut its foreign key)."""
    env = _pg_env(f"-c lock_timeout={PG_LOCK_TIMEOUT}")
    preamble = "BEGIN;\n"
    if drop:
        preamble += f"DROP TABLE IF EXISTS {', '.join(_quote(t) for t in drop)};\n"
    write_cmd = [pg_restore, "--no-owner", "--file=-", str(path)]
    run_cmd = [psql, "--no-psqlrc", "--quiet", "--no-password", "-v", "ON_ERROR_STOP=1", f"--dbname={name}"]
    with tempfile.TemporaryFile() as err_w, tempfile.TemporaryFile() as err_r:
        try:
            writer = subprocess.Popen(write_cmd, stdout=subprocess.PIPE, stderr=err_w, env=env)
        except OSError as exc:
            raise BackupError(f"无法运行 {pg_restore}：{exc.strerror or exc}")
        try:
            runner = subprocess.Popen(
                run_cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err_r, env=env
            )
        except OSError as exc:
            writer.kill()
            writer.wait()
            raise BackupError(f"无法运行 {psql}：{exc.strerror or exc}")
        assert writer.stdout is not None and runner.stdin is not None
        broken = False
        try:
            runner.stdin.write(preamble.encode())
            shutil.copyfileobj(writer.stdout, runner.stdin, 1 << 20)
        except BrokenPipeError:
            broken = True  # psql stopped at an error; its message says which
            writer.kill()
        written = writer.wait()
        if written == 0 and not broken:
            try:
                runner.stdin.write(b"COMMIT;\n")
            except BrokenPipeError:
                broken = True
        # Closing psql's input without COMMIT ends its session: the server rolls everything back.
        try:
            runner.stdin.close()
        except BrokenPipeError:
            pass
        ran = runner.wait()
        if ran != 0 or broken:
            err_r.seek(0)
            raise BackupError(
                f"恢复失败（psql 退出码{ran}）：\n{_tail(err_r.read().decode('utf-8', 'replace'))}"
            )
        if written != 0:
            err_w.seek(0)
            detail = _tail(err_w.read().decode("utf-8", "replace"))
            raise BackupError(f"恢复失败（pg_restore 退出码{written}）：\n{detail}")

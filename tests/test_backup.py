"""zhifa backup / zhifa restore: a round trip brings back every row and a verifiable audit chain; a
corrupt, foreign or newer file is refused in Chinese and leaves the database untouched.

Runs on SQLite and on PostgreSQL (`python -m zhifa.testing.pgserver -- pytest tests/test_backup.py`).
The tests are transactional: a backup (pg_dump, or SQLite's backup API on its own connection) sees
committed data only.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from zhifa.core import audit, backup

committed = pytest.mark.django_db(transaction=True)

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def database(tmp_path, settings):
    """The database the commands back up and restore, with committed data.

    PostgreSQL: the test database itself. SQLite: Django's test database lives in memory, where no
    file can be replaced, so each test runs on a file copy of it (WAL mode, as in production); the
    in-memory database is put back afterwards."""
    settings.PASSWORD_HASHERS = MD5
    if connection.vendor != "sqlite":
        yield None
        return
    path = tmp_path / "db" / "zhifa.sqlite3"
    path.parent.mkdir()
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    both = (connection.settings_dict, django_settings.DATABASES["default"])
    dicts = list({id(d): d for d in both}.values())
    memory_name, memory_raw = connection.settings_dict["NAME"], connection.connection
    connection.connection = None
    for d in dicts:
        d["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        for d in dicts:
            d["NAME"] = memory_name
        connection.connection = memory_raw


@pytest.fixture
def small(database, county):
    """A county with a few audited changes (sealed), enough for the refusal tests."""
    from zhifa.org.models import Township

    t = Township.objects.get(code="T01")
    t.name = "东城街道（改）"
    t.save()
    audit.seal_pending(wait=True)
    return county


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def table_digest() -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows (order-independent)."""
    out = {}
    with connection.cursor() as cur:
        for name in sorted(connection.introspection.table_names()):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(name)}")
            rows = sorted(repr(tuple(_plain(v) for v in row)) for row in cur.fetchall())
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def refused(*args) -> str:
    with pytest.raises(CommandError) as err:
        call_command(*args)
    return str(err.value)


# ---- the round trip on the demo county -----------------------------------------------------------


@committed
def test_restore_brings_back_every_row_and_a_verifiable_audit_chain(database, tmp_path, capsys):
    from zhifa.demo.loader import load
    from zhifa.org.models import Township
    from zhifa.supervision.models import Letter

    load(log=lambda _msg: None)
    target = tmp_path / "backups" / "zhifa.backup"
    call_command("backup", str(target))
    out = capsys.readouterr().out
    assert "已备份" in out and "审计链尾" in out and "ZHIFA_AUDIT_KEY" in out
    at_backup = table_digest()
    manifest = json.loads(backup.manifest_path(target).read_text(encoding="utf-8"))
    assert manifest["engine"] == connection.vendor and manifest["zhifa_version"]
    assert {t: c for t, (c, _h) in at_backup.items()} == manifest["tables"]
    assert manifest["audit_head"]["count"] == at_backup["core_auditentry"][0] > 100
    assert ["core", "0001_initial"] in manifest["migrations"]["applied"]
    # The backup holds every password hash: readable by its owner only.
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.manifest_path(target).stat().st_mode) == 0o600

    call_command("backup", "--verify", str(target))
    assert "备份文件完好" in capsys.readouterr().out

    # After the backup: audited changes and deletes, new rows, and edits behind the log's back.
    t = Township.objects.get(code="T01")
    t.name = "城关街道（备份后改名）"
    t.save()
    Township.objects.create(county=t.county, code="T99", name="备份后新建乡", kind="乡", setting="农村")
    Letter.objects.all().delete()
    audit.seal_pending(wait=True)
    sql("UPDATE org_township SET name = %s WHERE code = %s", ["直接改库", "T02"])
    sql("DELETE FROM core_auditentry WHERE seq > %s", [manifest["audit_head"]["seq"] - 3])
    changed = table_digest()
    assert changed != at_backup
    assert not audit.verify().ok

    call_command("restore", str(target), "--yes")
    out = capsys.readouterr().out
    assert "行数核对" in out and "与备份清单一致" in out
    assert f"审计链尾与备份一致：第{manifest['audit_head']['seq']}条" in out
    assert "审计日志完整" in out
    restored = table_digest()
    assert [t for t in at_backup if restored.get(t) != at_backup[t]] == []
    assert restored == at_backup
    assert audit.verify().ok
    assert Township.objects.get(code="T01").name != "城关街道（备份后改名）"
    assert not Township.objects.filter(code="T99").exists() and Letter.objects.exists()


# ---- refusals --------------------------------------------------------------------------------------


def _foreign_file(tmp_path):
    """A valid database file of the current engine that is not a zhifa database."""
    path = tmp_path / "foreign.backup"
    if connection.vendor == "sqlite":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO things (name) VALUES ('别的系统')")
        con.commit()
        con.close()
    else:
        # A real pg_dump archive of this very server, but of one table only: no django_migrations.
        tool = backup.find_pg_tool("pg_dump", connection.pg_version // 10000)
        subprocess.run(
            [tool, "--format=custom", "--table=core_holidayyear", f"--file={path}"],
            env=backup._pg_env(),
            check=True,
        )
    return path


@committed
@pytest.mark.parametrize("kind", ["garbage", "foreign", "truncated", "edited"])
def test_a_corrupt_or_foreign_file_is_refused_and_the_database_is_untouched(small, tmp_path, kind):
    good = tmp_path / "good.backup"
    call_command("backup", str(good))
    if kind == "garbage":
        path = tmp_path / "garbage.backup"
        path.write_bytes(os.urandom(8192))
        says = "不是本系统的备份文件"
    elif kind == "foreign":
        path = _foreign_file(tmp_path)
        says = "不是本系统（zhifa）的数据库备份"
    elif kind == "truncated":
        path = tmp_path / "truncated.backup"
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
        backup.manifest_path(path).write_bytes(backup.manifest_path(good).read_bytes())
        says = "损坏" if connection.vendor == "sqlite" else ""
    else:  # one byte changed far into the file: the structure may still read, the checksum does not
        path = tmp_path / "edited.backup"
        data = bytearray(good.read_bytes())
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
        backup.manifest_path(path).write_bytes(backup.manifest_path(good).read_bytes())
        says = ""
    before = table_digest()
    message = refused("restore", str(path), "--yes")
    assert says in message
    assert any(word in message for word in ("不是", "损坏", "不符")), message
    assert table_digest() == before
    assert refused("backup", "--verify", str(path))


def test_the_manifest_given_instead_of_the_backup_is_explained(tmp_path):
    path = tmp_path / "zhifa.backup.manifest.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(backup.BackupError) as err:
        backup.file_kind(path)
    assert "是备份清单" in str(err.value)


@committed
def test_a_backup_of_a_newer_schema_is_refused(small, tmp_path):
    sql(
        "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
        ["core", "9999_from_a_newer_release", "2030-01-01 00:00:00"],
    )
    try:
        call_command("backup", str(tmp_path / "newer.backup"))
    finally:
        sql("DELETE FROM django_migrations WHERE name = %s", ["9999_from_a_newer_release"])
    before = table_digest()
    message = refused("restore", str(tmp_path / "newer.backup"), "--yes")
    assert "比当前程序新" in message and "core.9999_from_a_newer_release" in message
    assert table_digest() == before


@committed
def test_restore_asks_first_and_needs_the_manifest(small, tmp_path):
    from zhifa.org.models import Township

    path = tmp_path / "zhifa.backup"
    call_command("backup", str(path))
    at_backup = table_digest()
    Township.objects.filter(code="T02").delete()
    changed = table_digest()
    # Not interactive and no --yes: nothing is overwritten.
    assert "--yes" in refused("restore", str(path))
    assert table_digest() == changed
    # Without its manifest the file cannot be checked: refused unless --no-manifest says so.
    backup.manifest_path(path).unlink()
    assert "--no-manifest" in refused("restore", str(path), "--yes")
    assert table_digest() == changed
    call_command("restore", str(path), "--yes", "--no-manifest")
    assert table_digest() == at_backup
    assert audit.verify().ok


@committed
def test_a_database_another_process_holds_open(small, database, tmp_path):
    """SQLite: a file replaced under another process's open connection would swallow its writes,
    so the restore refuses. PostgreSQL: an idle session holds no lock; the restore goes ahead."""
    from zhifa.org.models import Township

    path = tmp_path / "zhifa.backup"
    call_command("backup", str(path))
    at_backup = table_digest()
    Township.objects.filter(code="T02").delete()
    changed = table_digest()
    if connection.vendor == "sqlite":
        other = sqlite3.connect(database)
        other.execute("SELECT COUNT(*) FROM org_township").fetchone()
        try:
            assert "正被其他进程使用" in refused("restore", str(path), "--yes")
        finally:
            other.close()
        assert table_digest() == changed
    else:
        other = connections.create_connection("default")
        other.ensure_connection()
        try:
            call_command("restore", str(path), "--yes")
        finally:
            other.close()
        assert table_digest() == at_backup


@pytest.mark.postgres_only
@committed
def test_a_failed_postgres_restore_leaves_the_database_as_it_was(small, tmp_path):
    from zhifa.org.models import Township

    path = tmp_path / "zhifa.backup"
    call_command("backup", str(path))
    Township.objects.filter(code="T02").delete()
    # A table the backup does not know refers to one it restores: pg_restore cannot drop that one,
    # fails part-way, and its single transaction is rolled back.
    sql("CREATE TABLE zz_newer (id serial PRIMARY KEY, township_id bigint REFERENCES org_township (id))")
    try:
        before = table_digest()
        message = refused("restore", str(path), "--yes")
        assert "整体回滚" in message and "数据库保持原状" in message and "zz_newer" in message
        assert table_digest() == before
    finally:
        sql("DROP TABLE zz_newer")


@committed
def test_the_audit_key_is_not_in_the_backup(small, tmp_path, settings):
    from zhifa.core import auditkeys
    from zhifa.org.models import Township

    key = "k" * 20 + "-county-audit-key-2026"
    settings.AUDIT_KEYRING = auditkeys.from_environ({"ZHIFA_AUDIT_KEY": key, "ZHIFA_AUDIT_KEY_ID": "k7"})
    t = Township.objects.get(code="T02")
    t.name = "北关街道（密钥）"
    t.save()
    call_command("audit", "seal")
    path = tmp_path / "keyed.backup"
    result = backup.backup(path)
    assert result.manifest["audit_head"]["key_id"] == "k7"
    assert any("密钥不在备份中" in line for line in result.lines())
    at_backup = table_digest()
    # Restored where the key is not configured: the rows come back, the chain cannot be verified.
    settings.AUDIT_KEYRING = auditkeys.Keyring()
    report = backup.restore(path, confirm=lambda _target: True)
    assert table_digest() == at_backup
    assert not report.ok and any("ZHIFA_AUDIT_KEY" in n and "k7" in n for n in report.notes)
    settings.AUDIT_KEYRING = auditkeys.from_environ({"ZHIFA_AUDIT_KEY": key, "ZHIFA_AUDIT_KEY_ID": "k7"})
    assert audit.verify().ok


@committed
def test_an_existing_backup_is_not_overwritten_without_force(small, tmp_path):
    path = tmp_path / "zhifa.backup"
    call_command("backup", str(path))
    assert "--force" in refused("backup", str(path))
    call_command("backup", str(path), "--force")
    call_command("backup", "--verify", str(path))


@committed
def test_the_default_backup_goes_under_var_backups(small, settings):
    result = backup.backup()
    assert result.path.parent == settings.VAR_DIR / "backups" and result.path.name.startswith("zhifa-")
    assert result.manifest_path.exists() and backup.verify_backup(result.path).ok


@committed
def test_a_backup_taken_while_another_connection_writes_matches_its_manifest(small, tmp_path):
    """The manifest's counts are read in the state the backup holds, however much is written meanwhile."""
    from zhifa.org.models import County, Township

    county_id = County.objects.get(code="C01").pk
    started, stop = threading.Event(), threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer():
        try:
            for i in range(400):
                Township.objects.create(county_id=county_id, code=f"W{i:03d}", name=f"并发乡{i}", kind="乡")
                written.append(i)
                started.set()
                if stop.is_set():
                    break
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            started.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        started.wait(60)
        result = backup.backup(tmp_path / "busy.backup")
    finally:
        stop.set()
        thread.join(120)
    assert not errors, errors
    report = backup.verify_backup(result.path)
    assert report.ok, report.problems
    assert 2 + 1 <= result.manifest["tables"]["org_township"] <= 2 + len(written)


def test_the_command_line_refuses_in_chinese_with_a_non_zero_exit_and_no_traceback(tmp_path):
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"not a backup at all\n" * 100)
    env = {**os.environ, "ZHIFA_VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-m", "zhifa", "restore", str(garbage), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "不是本系统的备份文件" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# ---- PostgreSQL client programs (no server needed) --------------------------------------------------


def _fake_tool(directory, name, version):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    path.chmod(0o755)
    return path


def test_the_pg_dump_of_the_servers_version_is_preferred(tmp_path, monkeypatch):
    server_bin = tmp_path / "server" / "bin"
    _fake_tool(server_bin, "pg_ctl", "16.4")
    beside = _fake_tool(server_bin, "pg_dump", "16.4")
    on_path = _fake_tool(tmp_path / "client", "pg_dump", "15.8")
    monkeypatch.setenv("PATH", f"{tmp_path / 'client'}:{server_bin}")
    monkeypatch.delenv("ZHIFA_PG_BINDIR", raising=False)
    monkeypatch.setattr(backup.glob, "glob", lambda _pattern: [])
    backup.tool_major.cache_clear()
    try:
        assert backup.find_pg_tool("pg_dump", 16) == str(beside)
        assert backup.find_pg_tool("pg_dump", 15) == str(on_path)
        assert backup.find_pg_tool("pg_dump", 14) == str(beside)  # newer clients read older servers
        with pytest.raises(backup.BackupError) as err:
            backup.find_pg_tool("pg_dump", 17)
        assert "低于数据库服务器" in str(err.value)
        monkeypatch.setenv("ZHIFA_PG_BINDIR", str(tmp_path / "client"))
        assert backup.find_pg_tool("pg_dump") == str(on_path)
        monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
        monkeypatch.delenv("ZHIFA_PG_BINDIR")
        with pytest.raises(backup.BackupError) as err:
            backup.find_pg_tool("pg_restore")
        assert "找不到 PostgreSQL 程序 pg_restore" in str(err.value)
    finally:
        backup.tool_major.cache_clear()


def test_the_password_goes_to_pg_dump_through_the_environment(settings, monkeypatch):
    sd = connections["default"].settings_dict
    monkeypatch.setitem(sd, "PASSWORD", "s3cret-pw")
    monkeypatch.setitem(sd, "OPTIONS", {**sd.get("OPTIONS", {}), "sslmode": "require"})
    env = backup._pg_env("-c lock_timeout=30s")
    assert env["PGPASSWORD"] == "s3cret-pw" and env["PGSSLMODE"] == "require"
    assert "lock_timeout=30s" in env["PGOPTIONS"]


@pytest.mark.postgres_only
@committed
def test_partitioned_steps_are_counted_as_their_table_and_come_back_in_their_months(small, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from zhifa.core import partitions
    from zhifa.dispatch.models import Report, Step

    county = small
    old = dt.datetime(2024, 3, 5, 9, tzinfo=dt.UTC)  # a month with its own partition
    gap = dt.datetime(2023, 7, 1, 9, tzinfo=dt.UTC)  # a month without one: the default partition
    partitions.ensure_month("dispatch_step", old.date())
    report = Report.objects.create(
        county=county, township=county.townships.first(), tracking_code="PB00001", text="占道经营",
        lon=112.8, lat=35.88, wgs_lon=112.8, wgs_lat=35.88, reported_at=timezone.now(),
    )  # fmt: skip
    for at in (old, old, gap):
        Step.objects.create(report=report, state="handling", started_at=at)
    path = tmp_path / "zhifa.backup"
    call_command("backup", str(path))
    manifest = json.loads(backup.manifest_path(path).read_text(encoding="utf-8"))
    assert manifest["tables"]["dispatch_step"] == 3
    assert not any(t.startswith("dispatch_step_") and t[-1].isdigit() for t in manifest["tables"])
    assert backup.verify_backup(path).ok
    Step.objects.filter(report=report).delete()
    call_command("restore", str(path), "--yes")
    assert Step.objects.filter(report=report).count() == 3
    assert partitions.is_partitioned("dispatch_step")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dispatch_step_p202403")
        assert cur.fetchone()[0] == 2
        cur.execute("SELECT count(*) FROM dispatch_step_default WHERE started_at < '2024-01-01'")
        assert cur.fetchone()[0] == 1

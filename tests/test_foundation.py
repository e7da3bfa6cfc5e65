"""Settings, audit chain, lockout and scoping."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection

from zhifa.core import audit
from zhifa.core.models import AuditEntry
from zhifa.org.models import Township, User


def test_production_refuses_default_secret(tmp_path):
    code = "import zhifa.settings"
    env = {"ZHIFA_ENV": "production", "PATH": "/usr/bin:/bin", "ZHIFA_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "ZHIFA_SECRET_KEY" in result.stderr
    env["ZHIFA_SECRET_KEY"] = "x" * 50
    assert subprocess.run([sys.executable, "-c", code], env=env).returncode == 0


def test_every_save_is_audited_with_before_and_after(county):
    t = Township.objects.get(code="T01")
    with audit.acting_as("测试"):
        t.name = "东城街道办事处"
        t.save()
    entry = AuditEntry.objects.filter(model="org.Township", object_id=str(t.pk)).last()
    assert entry.action == "update"
    assert entry.actor == "测试"
    assert entry.before["name"] == "东城街道"
    assert entry.after["name"] == "东城街道办事处"
    assert audit.verify().ok


def test_audit_entries_cannot_be_changed_through_the_app(county):
    entry = AuditEntry.objects.first()
    entry.reason = "改"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_audit_verify_finds_a_row_edited_in_the_database(county, capsys):
    call_command("audit", "verify")
    assert "未发现篡改" in capsys.readouterr().out
    target = AuditEntry.objects.filter(model="org.Township").first()
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET after = %s WHERE id = %s", ['{"name": "假"}', target.id])
    result = audit.verify()
    assert not result.ok
    assert any(f"第{target.id}条" in p for p in result.problems)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("audit", "verify")


def test_audit_verify_finds_a_deleted_row(county):
    audit.seal_pending()  # in service this runs right after each commit
    victim = AuditEntry.objects.order_by("id")[1]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [victim.id])
    assert not audit.verify().ok


def test_lockout_after_repeated_failures(client, make_user, settings):
    settings.LOCKOUT_ATTEMPTS = 3
    make_user("officer", township="T01", username="wang")
    for _ in range(3):
        r = client.post("/login/", {"username": "wang", "password": "wrong-password"})
        assert r.status_code == 200
    r = client.post("/login/", {"username": "wang", "password": "Zhifa-test-2026"})
    assert "已被锁定" in r.content.decode()
    assert "_auth_user_id" not in client.session
    from zhifa.org.models import LoginThrottle

    LoginThrottle.objects.filter(username="wang").update(locked_until=None)
    r = client.post("/login/", {"username": "wang", "password": "Zhifa-test-2026"})
    assert r.status_code == 302


def test_passwords_are_hashed_by_django(make_user, county):
    u = make_user("officer", township="T01")
    assert u.password.startswith("pbkdf2_sha256$")


def test_scoping_users_of_other_townships_are_invisible(county, make_user):
    a = make_user("officer", township="T01", username="a")
    b = make_user("officer", township="T02", username="b")
    sup = make_user("supervisor", username="sup")
    proc = make_user("procurator", username="proc")
    assert list(User.objects.restrict(a)) == [a]
    assert b not in User.objects.restrict(a, "change")
    assert {a, b} <= set(User.objects.restrict(sup))
    assert not User.objects.restrict(sup, "change").exists()
    assert not User.objects.restrict(proc, "change").exists()
    # Reference data: every township is readable, only one's own is changeable.
    assert Township.objects.restrict(a).count() == 2
    assert list(Township.objects.restrict(a, "change").values_list("code", flat=True)) == ["T01"]


def test_rules_package_imports_nothing_from_django():
    import pathlib
    import re

    import zhifa.rules

    root = pathlib.Path(zhifa.rules.__file__).parent
    pattern = re.compile(r"^\s*(?:from|import)\s+(django|zhifa(?!\.rules)\S*)", re.MULTILINE)
    offenders = {str(p): pattern.findall(p.read_text()) for p in root.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_database_engine_is_the_one_this_run_asked_for(db):
    import os

    expected = "postgresql" if os.environ.get("ZHIFA_TEST_POSTGRES") == "1" else "sqlite"
    assert connection.vendor == expected


def test_audit_snapshot_of_a_file_field_is_its_path():
    from django.db.models.fields.files import FieldFile

    from zhifa.core.audit import _jsonable

    class Fake(FieldFile):
        def __init__(self, name):
            self.name = name

    assert _jsonable(Fake("evidence/2026/a.jpg")) == "evidence/2026/a.jpg"
    assert _jsonable(Fake("")) is None


def test_entries_are_sealed_after_commit_in_write_order(county, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            t = Township.objects.get(code="T01")
            t.name = "东城"
            t.save()
            # inside the transaction the entry is written but not yet in the chain
            assert AuditEntry.objects.filter(model="org.Township").order_by("-id")[0].seq is None
    last = AuditEntry.objects.order_by("-id")[0]
    assert last.seq is not None and last.hash
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0
    seqs = list(AuditEntry.objects.order_by("id").values_list("seq", flat=True))
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
    assert audit.verify().ok


def test_a_rolled_back_change_leaves_no_entry(county):
    from django.db import transaction

    n = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        t = Township.objects.get(code="T02")
        t.name = "回滚"
        t.save()
        raise RuntimeError
    assert AuditEntry.objects.count() == n
    assert audit.verify().ok


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_give_one_unbroken_chain(county):
    import threading

    from django.db import connection as conn
    from django.db import transaction

    from zhifa.org.models import Community

    assert conn.vendor == "postgresql"
    t1 = Township.objects.get(code="T01")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(15):
                with transaction.atomic():
                    Community.objects.create(township=t1, code=f"T01-W{k}-{i}", name=f"社区{k}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    result = audit.verify()
    assert result.ok, result.problems
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert AuditEntry.objects.filter(model="org.Community").count() == 60

"""The keyed audit seal: HMAC-SHA256 / HMAC-SM3 entries and head, downgrade, rotation, anchors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from conftest import require
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhifa.core import audit, auditkeys
from zhifa.core.models import AuditEntry, AuditHead
from zhifa.org.models import Township

KEY = "k" * 20 + "-county-audit-key-2026"
OTHER = "o" * 20 + "-retired-audit-key-2025"


def ring(alg="hmac-sha256", key_id="k1", key=KEY, old: str = ""):
    env = {"ZHIFA_AUDIT_KEY": key, "ZHIFA_AUDIT_KEY_ID": key_id, "ZHIFA_AUDIT_ALG": alg}
    if old:
        env["ZHIFA_AUDIT_OLD_KEYS"] = old
    return auditkeys.from_environ(env)


def rename(code: str, name: str) -> None:
    t = Township.objects.get(code=code)
    t.name = name
    t.save()
    audit.seal_pending(wait=True)


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


# ---- parsing the settings (pure) -------------------------------------------------------------


def test_no_key_means_plain_sha256():
    keyring = auditkeys.from_environ({})
    assert not keyring.keyed and keyring.alg == "sha256"


@pytest.mark.parametrize(
    "env, says",
    [
        ({"ZHIFA_AUDIT_KEY": "short"}, "至少需要32个字符"),
        ({"ZHIFA_AUDIT_KEY": KEY, "ZHIFA_AUDIT_ALG": "md5"}, "ZHIFA_AUDIT_ALG"),
        ({"ZHIFA_AUDIT_KEY": KEY, "ZHIFA_AUDIT_KEY_ID": "有空 格"}, "ZHIFA_AUDIT_KEY_ID"),
        ({"ZHIFA_AUDIT_ALG": "hmac-sm3"}, "没有设置 ZHIFA_AUDIT_KEY"),
        ({"ZHIFA_AUDIT_KEY": KEY, "ZHIFA_AUDIT_OLD_KEYS": "k0"}, "编号=密钥"),
        ({"ZHIFA_AUDIT_KEY_FILE": "/nonexistent/zhifa.key"}, "无法读取审计密钥文件"),
    ],
)
def test_bad_key_settings_say_which_variable_is_wrong(env, says):
    with pytest.raises(auditkeys.KeyConfigError) as err:
        auditkeys.from_environ(env)
    assert says in str(err.value)


def test_key_from_a_file_and_retired_keys(tmp_path):
    path = tmp_path / "audit.key"
    path.write_text(KEY + "\n", encoding="utf-8")
    keyring = auditkeys.from_environ(
        {"ZHIFA_AUDIT_KEY_FILE": str(path), "ZHIFA_AUDIT_KEY_ID": "k2", "ZHIFA_AUDIT_OLD_KEYS": f"k1={OTHER}"}
    )
    assert keyring.keyed and keyring.key_id == "k2"
    assert keyring.key("k2") == KEY.encode() and keyring.key("k1") == OTHER.encode()


def test_settings_refuse_a_bad_key_at_start(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ZHIFA_VAR_DIR": str(tmp_path), "ZHIFA_AUDIT_KEY": "short"}
    env.update({k: v for k, v in os.environ.items() if k == "PYTHONPATH"})
    result = subprocess.run(
        [sys.executable, "-c", "import zhifa.settings"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "ZHIFA_AUDIT_KEY" in result.stderr


def test_keyed_digest_depends_on_the_key():
    a = auditkeys.digest("hmac-sha256", b"x", KEY.encode())
    assert a != auditkeys.digest("hmac-sha256", b"x", OTHER.encode())
    assert a != auditkeys.digest("sha256", b"x")
    if auditkeys.sm3_available():
        assert auditkeys.digest("hmac-sm3", b"x", KEY.encode()) not in {a, auditkeys.digest("sha256", b"x")}


# ---- the chain ---------------------------------------------------------------------------------


def test_a_keyed_chain_verifies_and_signs_its_head(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道一")
    head = AuditHead.objects.get(pk=1)
    entries = list(AuditEntry.objects.order_by("seq"))
    keyed = [e for e in entries if e.alg == "hmac-sha256"]
    # Entries written before the key are plain; every later one is keyed, and the head knows where.
    assert keyed and keyed[-1].seq == head.seq and head.first_keyed_seq == keyed[0].seq
    assert all(e.key_id == "k1" for e in keyed) and head.mac
    assert audit.verify().ok


def test_sm3_seal(county, settings):
    require(auditkeys.sm3_available(), "SM3 in OpenSSL")
    settings.AUDIT_KEYRING = ring(alg="hmac-sm3")
    rename("T01", "东城街道二")
    assert AuditEntry.objects.filter(alg="hmac-sm3").exists()
    assert audit.verify().ok


def test_someone_without_the_key_cannot_rewrite_an_entry(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道三")
    e = AuditEntry.objects.filter(alg="hmac-sha256").order_by("seq").last()
    # Edit the entry and recompute a plain SHA-256 for it (all a database user can do).
    e.reason = "改写"
    forged = audit.entry_hash(audit._hashed_fields(e), e.prev_hash)
    sql(
        "UPDATE core_auditentry SET reason = %s, hash = %s, alg = 'sha256' WHERE id = %s",
        ["改写", forged, e.id],
    )
    problems = audit.verify().problems
    assert any(f"第{e.id}条" in p for p in problems)


def test_rewriting_the_whole_chain_as_plain_sha256_is_caught(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道四")
    # The full downgrade: every entry recomputed with plain SHA-256, the head's signature dropped.
    prev = audit.GENESIS
    for e in AuditEntry.objects.order_by("seq"):
        h = audit.entry_hash(audit._hashed_fields(e), prev)
        sql("UPDATE core_auditentry SET hash = NULL WHERE id = %s", [e.id])
        sql(
            "UPDATE core_auditentry SET alg = 'sha256', key_id = '', prev_hash = %s, hash = %s WHERE id = %s",
            [prev, h, e.id],
        )
        prev = h
    sql(
        "UPDATE core_audithead SET last_hash = %s, first_keyed_seq = NULL, alg = '', key_id = '', mac = ''"
        " WHERE id = 1",
        [prev],
    )
    result = audit.verify()
    assert not result.ok
    assert any("链尾没有密钥签名" in p for p in result.problems)
    # Without the key the same database looks like a plain chain: the key is what proves more.
    settings.AUDIT_KEYRING = auditkeys.Keyring()
    assert audit.verify().ok


def test_a_truncated_tail_with_a_rolled_back_head_is_caught(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道五")
    rename("T02", "北关街道五")
    last = AuditEntry.objects.order_by("seq").last()
    before_last = AuditEntry.objects.get(seq=last.seq - 1)
    sql("DELETE FROM core_auditentry WHERE id = %s", [last.id])
    sql(
        "UPDATE core_audithead SET seq = %s, count = %s, last_hash = %s WHERE id = 1",
        [before_last.seq, before_last.seq, before_last.hash],
    )
    problems = audit.verify().problems
    assert any("链尾的密钥签名不符" in p for p in problems)


def test_an_anchor_kept_outside_catches_a_replayed_old_head(county, settings, capsys):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道六")
    old_head = AuditHead.objects.values().get(pk=1)
    rename("T02", "北关街道六")
    call_command("audit", "head")
    anchor = capsys.readouterr().out.strip()
    seq, h = anchor.split(":")
    assert int(seq) == AuditHead.objects.get(pk=1).seq and len(h) == 64
    call_command("audit", "verify", "--anchor", anchor)
    assert "1个外部锚点一致" in capsys.readouterr().out
    # Drop the newest entries and put back a head copied earlier: signed, so only the anchor tells.
    sql("DELETE FROM core_auditentry WHERE seq > %s", [old_head["seq"]])
    sql(
        "UPDATE core_audithead SET seq = %s, count = %s, last_hash = %s, mac = %s WHERE id = 1",
        [old_head["seq"], old_head["count"], old_head["last_hash"], old_head["mac"]],
    )
    # The business rows renamed after the old head no longer match any entry either; the anchor
    # is what proves the chain itself lost entries.
    problems = audit.verify([(int(seq), h)]).problems
    assert any("锚点" in p and "已不在链中" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--anchor", anchor)


def test_a_malformed_anchor_is_refused_in_chinese(county):
    with pytest.raises(CommandError) as err:
        call_command("audit", "verify", "--anchor", "12:nothex")
    assert "格式不正确" in str(err.value)


def test_rotating_the_key_keeps_old_entries_verifiable(county, settings):
    settings.AUDIT_KEYRING = ring(key_id="k1", key=OTHER)
    rename("T01", "东城街道七")
    settings.AUDIT_KEYRING = ring(key_id="k2", key=KEY, old=f"k1={OTHER}")
    rename("T02", "北关街道七")
    assert set(AuditEntry.objects.exclude(alg="sha256").values_list("key_id", flat=True)) == {"k1", "k2"}
    assert audit.verify().ok
    # Forgetting the retired key leaves its entries unverifiable: reported, never silently passed.
    settings.AUDIT_KEYRING = ring(key_id="k2", key=KEY)
    assert any("无法校验" in p for p in audit.verify().problems)


def test_a_wrong_key_fails_every_keyed_entry(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道八")
    settings.AUDIT_KEYRING = ring(key=OTHER)
    problems = audit.verify().problems
    n_keyed = AuditEntry.objects.exclude(alg="sha256").count()
    assert sum("内容与哈希不符" in p for p in problems) == n_keyed
    assert any("链尾的密钥签名不符" in p for p in problems)


def test_a_keyed_chain_is_not_downgraded_when_the_key_goes_missing(county, settings):
    settings.AUDIT_KEYRING = ring()
    rename("T01", "东城街道九")
    settings.AUDIT_KEYRING = auditkeys.Keyring()
    rename("T02", "北关街道九")
    assert AuditEntry.objects.filter(seq__isnull=True).exists()  # left pending, not sealed plain
    assert any("尚未封存" in p for p in audit.verify().problems)
    settings.AUDIT_KEYRING = ring()
    assert audit.verify().ok  # the key is back: the pending entries are sealed with it


def test_enabling_a_key_on_an_existing_chain(county, settings, capsys):
    audit.seal_pending(wait=True)
    plain = AuditEntry.objects.count()
    assert plain and audit.verify().ok
    settings.AUDIT_KEYRING = ring()
    # The head is still unsigned: verify says what to do rather than passing an unsigned head.
    assert any("zhifa audit seal" in p for p in audit.verify().problems)
    call_command("audit", "seal")
    entry = AuditEntry.objects.order_by("seq").last()
    assert entry.action == "audit_key" and entry.alg == "hmac-sha256"
    assert AuditHead.objects.get(pk=1).first_keyed_seq == plain + 1
    assert audit.verify().ok
    # The plain prefix is anchored by the first keyed entry: rewriting it breaks that entry's link.
    first = AuditEntry.objects.order_by("seq").first()
    forged = audit.entry_hash({**audit._hashed_fields(first), "reason": "改"}, first.prev_hash)
    sql("UPDATE core_auditentry SET reason = '改', hash = %s WHERE id = %s", [forged, first.id])
    assert not audit.verify().ok


def test_a_plain_digest_is_what_it_always_was():
    # Entries sealed before keys existed must keep verifying: the plain payload did not change.
    fields = {"id": 1, "action": "create"}
    payload = '["' + audit.GENESIS + '",{"action":"create","id":1}]'
    assert audit.entry_hash(fields, audit.GENESIS) == hashlib.sha256(payload.encode()).hexdigest()


def test_deploy_check_warns_without_a_key(settings):
    from zhifa.core.apps import check_audit_key

    settings.AUDIT_KEYRING = auditkeys.Keyring()
    assert [w.id for w in check_audit_key()] == ["zhifa.W001"]
    settings.AUDIT_KEYRING = ring()
    assert check_audit_key() == []

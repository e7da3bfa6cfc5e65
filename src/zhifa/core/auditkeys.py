"""The audit chain's keys and seal algorithms, read from the environment (no Django here).

Without a key every entry is sealed with plain SHA-256: the chain then proves only that it is
consistent with itself, and anyone who can write to the database can rewrite it end to end.
With `ZHIFA_AUDIT_KEY` (kept outside the database: environment, key file, secrets store) each
entry and the chain's head carry an HMAC that only a holder of the key can compute, so a
database administrator can no longer forge, reorder or silently rewrite entries.

Environment:
  ZHIFA_AUDIT_KEY        the current key (at least 32 characters), or
  ZHIFA_AUDIT_KEY_FILE   a file holding it (first line);
  ZHIFA_AUDIT_KEY_ID     a short name for it, stored on each entry (default k1), so keys can rotate;
  ZHIFA_AUDIT_ALG        hmac-sha256 (default) or hmac-sm3 (国密 SM3, where OpenSSL provides it);
  ZHIFA_AUDIT_OLD_KEYS   retired keys still needed to verify older entries: "k0=…;k00=…".
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PLAIN = "sha256"
KEYED_ALGS = {"hmac-sha256": "sha256", "hmac-sm3": "sm3"}
MIN_KEY_LENGTH = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


class KeyConfigError(ValueError):
    """A key setting that cannot be used; the message says which and why, in Chinese."""


@dataclass(frozen=True)
class Keyring:
    alg: str = PLAIN  # the algorithm new entries are sealed with
    key_id: str = ""  # the key new entries are sealed with ("" when unkeyed)
    keys: Mapping[str, bytes] = field(default_factory=dict)  # every known key, current and retired

    @property
    def keyed(self) -> bool:
        return self.alg != PLAIN

    def key(self, key_id: str) -> bytes | None:
        return self.keys.get(key_id)


def sm3_available() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


def digest(alg: str, payload: bytes, key: bytes | None = None) -> str:
    """The hex seal of `payload` under `alg` (a keyed algorithm needs its key)."""
    if alg == PLAIN:
        return hashlib.sha256(payload).hexdigest()
    try:
        name = KEYED_ALGS[alg]
    except KeyError:
        raise KeyConfigError(f"未知的审计签名算法：{alg}") from None
    if key is None:
        raise KeyConfigError(f"缺少审计密钥，无法计算 {alg} 签名")
    return hmac.new(key, payload, name).hexdigest()


def _check_key(name: str, value: str) -> bytes:
    value = value.strip()
    if len(value) < MIN_KEY_LENGTH:
        raise KeyConfigError(f"{name} 太短：审计密钥至少需要{MIN_KEY_LENGTH}个字符（当前{len(value)}个）")
    return value.encode("utf-8")


def _check_id(name: str, value: str) -> str:
    if not _KEY_ID.match(value):
        raise KeyConfigError(f"{name} 格式不正确：只能由1至16个字母、数字或 _ . - 组成（当前为“{value}”）")
    return value


def from_environ(env: Mapping[str, str]) -> Keyring:
    """Parse the audit key settings; raise KeyConfigError naming the variable that is wrong."""
    key_text = env.get("ZHIFA_AUDIT_KEY", "")
    key_file = env.get("ZHIFA_AUDIT_KEY_FILE", "")
    if key_text and key_file:
        raise KeyConfigError("ZHIFA_AUDIT_KEY 与 ZHIFA_AUDIT_KEY_FILE 只能设置一个")
    if key_file:
        try:
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyConfigError(f"无法读取审计密钥文件 ZHIFA_AUDIT_KEY_FILE={key_file}：{exc}") from exc
        key_text = lines[0] if lines else ""
        if not key_text.strip():
            raise KeyConfigError(f"审计密钥文件 {key_file} 为空")
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in env.get("ZHIFA_AUDIT_OLD_KEYS", "").split(";"))):
        old_id, sep, old_key = part.partition("=")
        if not sep:
            raise KeyConfigError("ZHIFA_AUDIT_OLD_KEYS 格式应为“编号=密钥;编号=密钥”")
        keys[_check_id("ZHIFA_AUDIT_OLD_KEYS 中的编号", old_id.strip())] = _check_key(
            f"ZHIFA_AUDIT_OLD_KEYS 中 {old_id.strip()} 的密钥", old_key
        )
    if not key_text:
        if env.get("ZHIFA_AUDIT_ALG"):
            raise KeyConfigError("设置了 ZHIFA_AUDIT_ALG 但没有设置 ZHIFA_AUDIT_KEY")
        return Keyring(keys=keys)
    alg = env.get("ZHIFA_AUDIT_ALG", "hmac-sha256").strip().lower() or "hmac-sha256"
    if alg not in KEYED_ALGS:
        raise KeyConfigError(f"ZHIFA_AUDIT_ALG 只能是 {'、'.join(sorted(KEYED_ALGS))}（当前为“{alg}”）")
    if alg == "hmac-sm3" and not sm3_available():
        raise KeyConfigError("本机的 OpenSSL 不提供 SM3，不能使用 ZHIFA_AUDIT_ALG=hmac-sm3")
    key_id = _check_id("ZHIFA_AUDIT_KEY_ID", env.get("ZHIFA_AUDIT_KEY_ID", "k1").strip() or "k1")
    key = _check_key("ZHIFA_AUDIT_KEY", key_text)
    if key_id in keys and keys[key_id] != key:
        raise KeyConfigError(
            f"密钥编号 {key_id} 同时出现在 ZHIFA_AUDIT_KEY_ID 和 ZHIFA_AUDIT_OLD_KEYS 中且密钥不同"
        )
    keys[key_id] = key
    return Keyring(alg=alg, key_id=key_id, keys=keys)

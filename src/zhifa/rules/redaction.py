"""Redaction of personal data for public disclosure (行政执法公示).

A published penalty decision shows the agency, the party, the violation, the legal basis and
the result, but never an individual's ID number, phone number or home address, and an
individual's name is masked to the surname (张三 → 张某). Organisations are named in full:
their name and credit code are public registration data. Pure: no Django import.
"""

from __future__ import annotations

import re

# 18-digit resident ID (last may be X), also 15-digit legacy numbers; bounded by non-digits.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mobile numbers (optionally +86 / 86 prefixed, separators tolerated) and landlines with area code.
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)0\d{2,3}[-\s]?\d{7,8}(?!\d)")

# Compound surnames that must be kept whole when masking.
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "南宫", "西门", "独孤", "澹台", "呼延", "万俟", "闻人", "赫连",
)  # fmt: skip

ID_MASK = "[身份证号已隐去]"
PHONE_MASK = "[电话已隐去]"
ADDRESS_MASK = "[住址已隐去]"


def mask_name(name: str) -> str:
    """张三 → 张某, 欧阳娜娜 → 欧阳某; an empty name stays empty."""
    name = name.strip()
    if not name:
        return ""
    for surname in _COMPOUND_SURNAMES:
        if name.startswith(surname) and len(name) > len(surname):
            return surname + "某"
    return name[0] + "某"


def scrub(text: str, *, names: tuple[str, ...] = (), addresses: tuple[str, ...] = ()) -> str:
    """Remove ID numbers and phone numbers from free text; mask given names, drop given addresses."""
    if not text:
        return text
    for address in sorted((a for a in addresses if a and len(a) >= 4), key=len, reverse=True):
        text = text.replace(address, ADDRESS_MASK)
    for name in sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = _ID_RE.sub(ID_MASK, text)
    text = _MOBILE_RE.sub(PHONE_MASK, text)
    return _LANDLINE_RE.sub(PHONE_MASK, text)


def redact_party(party: dict) -> dict:
    """What of a party may be published: kind, masked or full name, and nothing personal."""
    kind = party.get("kind", "individual")
    if kind == "organisation":
        return {
            "kind": kind,
            "name": party.get("name", ""),
            "id_number": party.get("id_number", ""),  # 统一社会信用代码 is public registration data
            "legal_rep": mask_name(party.get("legal_rep", "") or ""),
        }
    return {"kind": kind, "name": mask_name(party.get("name", "") or "")}


def redact_text_for_party(text: str, party: dict) -> str:
    """Scrub `text` of the party's own personal data and of any ID or phone number."""
    names = tuple(
        n for n in (party.get("name"), party.get("legal_rep")) if n and party.get("kind") != "organisation"
    )
    if party.get("kind") == "organisation" and party.get("legal_rep"):
        names = (party["legal_rep"],)
    addresses = (party.get("address", ""),) if party.get("kind") != "organisation" else ()
    return scrub(text, names=names, addresses=addresses)


def may_see_reporter(*, anonymous: bool, dispatcher: bool, handler: bool) -> bool:
    """举报人保护: who sees a report's reporter (name and phone). The dispatchers of the report
    always (they may need to call back); the unit handling it when the reporter gave a name;
    nobody else (a department called by a whistle, county readers, the public): they see the
    matter, not who reported it. One rule for the pages and the API."""
    return dispatcher or (handler and not anonymous)

"""Personal data never reaches a public disclosure."""

from __future__ import annotations

from zhifa.rules.redaction import ID_MASK, PHONE_MASK, mask_name, redact_party, redact_text_for_party, scrub


def test_mask_name():
    assert mask_name("张三") == "张某"
    assert mask_name("欧阳娜娜") == "欧阳某"
    assert mask_name(" 李 ") == "李某"
    assert mask_name("") == ""


def test_scrub_ids_and_phones_but_not_other_numbers():
    text = (
        "当事人身份证410102198001011234，手机138 0013 8000、+86 13900139000，"
        "座机0371-12345678，罚款5000元，案号2026第00012号，信用代码91350100M000100Y43"
    )
    out = scrub(text)
    assert "410102198001011234" not in out and ID_MASK in out
    assert "13800138000" not in out.replace(" ", "") and "13900139000" not in out
    assert "0371-12345678" not in out and out.count(PHONE_MASK) == 3
    assert "5000元" in out and "2026第00012号" in out and "91350100M000100Y43" in out


def test_individual_party_redacted():
    party = {
        "kind": "individual",
        "name": "王小明",
        "id_number": "41010219800101123X",
        "phone": "13800138000",
        "address": "东城街道幸福路12号3单元",
    }
    shown = redact_party(party)
    assert shown == {"kind": "individual", "name": "王某"}
    facts = "王小明在东城街道幸福路12号3单元门前占道经营，电话13800138000，身份证41010219800101123x。"
    out = redact_text_for_party(facts, party)
    for secret in ("王小明", "幸福路12号", "13800138000", "41010219800101123"):
        assert secret not in out
    assert "王某" in out and "占道经营" in out


def test_organisation_named_but_representative_masked():
    party = {
        "kind": "organisation",
        "name": "东城餐饮有限公司",
        "legal_rep": "赵大勇",
        "address": "幸福路1号",
    }
    shown = redact_party(party)
    assert shown["name"] == "东城餐饮有限公司" and shown["legal_rep"] == "赵某"
    out = redact_text_for_party("东城餐饮有限公司（法定代表人赵大勇）在幸福路1号", party)
    assert "赵大勇" not in out and "幸福路1号" in out


def test_who_sees_the_reporter():
    from zhifa.rules.redaction import may_see_reporter

    # The report's dispatchers always; the handling unit only when the reporter gave a name.
    assert may_see_reporter(anonymous=True, dispatcher=True, handler=False)
    assert may_see_reporter(anonymous=False, dispatcher=False, handler=True)
    assert not may_see_reporter(anonymous=True, dispatcher=False, handler=True)
    # Readers with no part in the report (a called department, county readers) never.
    assert not may_see_reporter(anonymous=False, dispatcher=False, handler=False)

"""A justice-bureau reviewer runs a review round and sends a rectification letter; the township answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhifa.org import roles

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
if not SHARED.exists():
    SHARED = Path("/work/shared")
DEV = SHARED / "benchmark" / "casefiles" / "cases-dev.jsonl"


def test_review_round_and_rectification_letter(page, login, county, make_user):
    from zhifa.cases.services import import_casefiles
    from zhifa.org.models import Township
    from zhifa.supervision.models import ReviewSheet

    for code, name in [("T03", "柳泉镇"), ("T04", "石岭乡"), ("T05", "五里镇"), ("T06", "六合街道")]:
        Township.objects.create(county=county, code=code, name=name, kind="镇")
    import_casefiles(DEV.read_text(encoding="utf-8"))
    make_user(roles.SUPERVISOR, username="sfj", full_name="司法局监督员")

    login("sfj")
    page.goto("/supervision/rounds/")
    page.fill("input[name=period_start]", "2025-01-01")
    page.fill("input[name=per_township]", "2")
    page.click("text=抽取案卷")
    page.wait_for_selector("text=各乡镇（街道）评查结果")
    assert "已抽取" in page.locator(".messages").inner_text()

    sheet = next(s for s in ReviewSheet.objects.select_related("case", "township") if s.auto_findings)
    page.click(f"a:text-is('{sheet.case.number}')")
    page.wait_for_selector("text=平台自动审查发现")
    assert sheet.auto_findings[0]["rule"] in page.content()
    page.fill("input[name=score_facts]", "12")
    page.fill("textarea[name=comments]", "询问笔录未记录当事人陈述")
    page.click("text=保存评分")
    page.wait_for_selector("text=发出整改建议书")
    page.click("text=发出整改建议书")
    page.wait_for_selector("text=整改中")
    doc_no = page.locator("main a[href*='/supervision/letters/']").first.inner_text()
    assert "整改" in doc_no

    page.click("text=退出")
    make_user(roles.TOWNSHIP_ADMIN, township=sheet.township.code, username="head", full_name="乡镇负责人")
    login("head")
    page.goto("/supervision/letters/")
    page.click(f"text={doc_no}")
    assert "询问笔录未记录当事人陈述" in page.content()
    page.fill("textarea[name=reply]", "已补正询问笔录，组织全员学习程序规定。")
    page.click("text=提交答复")
    page.wait_for_selector("text=已答复待评定")

    page.click("text=退出")
    login("sfj")
    page.goto(f"/supervision/rounds/sheets/{sheet.pk}/")
    assert "已答复待评定" in page.content()

"""An officer generates a numbered penalty decision for a case and downloads the PDF and the DOCX."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document as open_docx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = Path(__file__).resolve().parents[3] / "shared" / "benchmark" / "casefiles" / "cases-dev.jsonl"
if not CASES.exists():  # pragma: no cover - the checkout layout of the shared benchmark
    CASES = Path("/work/shared/benchmark/casefiles/cases-dev.jsonl")


def test_officer_generates_and_downloads_decision(county, make_user, page, login):
    from zhifa.cases.services import from_casefile
    from zhifa.org import roles

    with CASES.open(encoding="utf-8") as f:
        dev = {c["case_id"]: c for c in map(json.loads, f)}
    case = from_casefile(dev["T01-2025-0024"])
    make_user(roles.OFFICER, township="T01", username="gaopeng", full_name="高鹏")
    login("gaopeng")
    page.click("nav.mainnav >> text=法律文书")
    page.fill("input[name=case]", "T01-2025-0024")
    page.click("#open-case button[type=submit]")
    page.wait_for_selector("text=案件 T01-2025-0024 的法律文书")
    page.select_option("#kind", "hearing_notice")
    page.click("summary")
    # Only the fields of the chosen kind are shown.
    assert page.is_visible("input[name=hearing_place]")
    assert not page.is_visible("textarea[name=seized_items]")
    page.select_option("#kind", "penalty_decision")
    assert not page.is_visible("input[name=hearing_place]")
    page.fill("textarea[name=evidence]", "现场检查笔录\n现场照片6张")
    page.click("#generate button.primary")
    page.wait_for_selector("text=已生成《行政处罚决定书》，文号东城综执罚决字〔2025〕第1号。")
    with page.expect_download() as info:
        page.click("#documents a:text-is('PDF')")
    pdf = info.value
    assert pdf.suggested_filename == "行政处罚决定书（东城综执罚决字〔2025〕第1号）.pdf"
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")
    with page.expect_download() as info:
        page.click("#documents a:text-is('DOCX（可编辑）')")
    words = "\n".join(p.text for p in open_docx(io.BytesIO(Path(info.value.path()).read_bytes())).paragraphs)
    assert "庞志勇" in words and "东城综执罚决字〔2025〕第1号" in words and "现场照片6张" in words
    assert case.documents.count() == 1

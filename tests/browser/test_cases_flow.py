"""A general-procedure case in the browser: opened by the officer, filed and decided by the leader,
reviewed by the legal reviewer, refused when unlawful, closed, and its decision document downloaded."""

from __future__ import annotations

import pytest
from cases.fixtures import build_team

from zhifa.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def step(page, action: str, date: str, **values) -> None:
    box = f"details[data-action={action}]"
    if page.locator(box).get_attribute("open") is None:  # a refused step re-opens its form
        page.click(f"{box} summary")
    page.fill(f"{box} input[name=date]", date)
    for name, value in values.items():
        if isinstance(value, list):
            for v in value:
                page.check(f"{box} input[name={name}][value={v}]")
        elif isinstance(value, bool):
            (page.check if value else page.uncheck)(f"{box} input[name={name}]")
        else:
            page.fill(f"{box} [name={name}]", str(value))
    page.click(f"{box} button[type=submit]")
    page.wait_for_load_state()


def switch(page, login, username: str) -> None:
    page.context.clear_cookies()
    login(username)


def test_general_case_from_filing_to_closing(page, login, county):
    build_team(county)
    login("o1")
    page.goto("/cases/new/")
    page.select_option("select[name=procedure]", "general")
    page.select_option("select[name=item_code]", "Z028")
    page.select_option("select[name=party_kind]", "organisation")
    page.fill("input[name=party_name]", "顺意餐饮有限公司")
    page.fill("input[name=opened_on]", "2026-09-01")
    page.click("form.card button[type=submit]")
    assert "已受理案件T01-2026-0001" in page.locator(".messages").inner_text()
    case_url = page.url

    switch(page, login, "boss")
    page.goto(case_url)
    step(page, "file", "2026-09-01")
    assert "已记录：立案审批" in page.locator(".messages").inner_text()

    switch(page, login, "o1")
    page.goto(case_url)
    # One officer alone is refused, with the article.
    page.click("details[data-action=investigated] summary")
    page.uncheck("details[data-action=investigated] input[name=actors][value=o1]")
    page.check("details[data-action=investigated] input[name=actors][value=o1]")
    page.fill("details[data-action=investigated] input[name=date]", "2026-09-02")
    page.click("details[data-action=investigated] button[type=submit]")
    assert "第四十二条" in page.locator(".errors").inner_text()
    step(page, "investigated", "2026-09-02", actors=["o2"])
    step(page, "notice_served", "2026-09-03", proposed_fine="1000", statement_days="3")
    assert "王建军、李春梅" in page.locator("#record").inner_text()

    switch(page, login, "boss")
    page.goto(case_url)
    # Deciding before the statement period ends (2026-09-08) is refused, citing the article.
    step(page, "decide", "2026-09-07", fine="1000")
    assert "第四十五条" in page.locator(".errors").inner_text()

    switch(page, login, "rev")
    page.goto(case_url)
    step(page, "legal_review", "2026-09-09")

    switch(page, login, "boss")
    page.goto(case_url)
    step(page, "decide", "2026-09-09", fine="1000")
    assert "已记录：作出决定" in page.locator(".messages").inner_text()

    switch(page, login, "o1")
    page.goto(case_url)
    step(page, "served", "2026-09-10")
    step(page, "disclosed", "2026-09-11")
    step(page, "paid", "2026-09-14", amount="1000")
    step(page, "close", "2026-09-15")
    assert "已结案" in page.locator("h1").inner_text()
    case = Case.objects.get(number="T01-2026-0001")
    assert case.status == Case.CLOSED and case.findings == []
    assert case.decision["fine"] == 1000 and case.legal_reviewer == "rev" and case.decider == "boss"

    # The decision document, from the documents module's button on the case page.
    button = page.locator("#documents").get_by_role("button", name="行政处罚决定书", exact=True)
    assert button.count() == 1, "documents hook missing"
    button.click()
    page.wait_for_load_state()
    from zhifa.documents.models import Document

    doc = Document.objects.filter(case=case).latest("id")
    resp = page.request.get(f"/documents/{doc.pk}/pdf/")
    assert resp.status == 200 and resp.body()[:5] == b"%PDF-"
    # From now on the case file carries the document's 文号.
    from zhifa.cases.services import to_casefile

    assert to_casefile(Case.objects.get(pk=case.pk))["decision"]["doc_no"] == doc.doc_no

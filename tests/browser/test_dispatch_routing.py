"""一键转办 on the report page: top three with confidence and deciding words, a correction in two
clicks (open the report, press the candidate), and a one-click split of a report naming two
matters. Real demo catalogue, grid map and router; no stub."""

from __future__ import annotations

import pytest

from browser.demo_map import load_demo_map
from zhifa.dispatch import services as s
from zhifa.dispatch.models import Report
from zhifa.dispatch.models_router import RoutingExample
from zhifa.rules import dispatch_workflow as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    from zhifa.org.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    county, t01, (lon, lat, _) = load_demo_map()
    td1 = User.objects.create_user(
        username="td1", password="Zhifa-test-2026", role="township_dispatcher", county=county, township=t01
    )
    return {"lon": lon, "lat": lat, "td1": td1}


def _intake(demo, text: str) -> Report:
    td1 = demo["td1"]
    return s.do_intake(
        td1, county=td1.county, text=text, lon=demo["lon"], lat=demo["lat"], source="群众举报"
    ).report


def test_dispatcher_sees_top_three_and_corrects_in_two_clicks_and_splits(page, login, demo):
    one = _intake(demo, "路口有十几个菜摊占着人行道卖菜，老人推车都过不去")
    two = _intake(demo, "路口有十几个菜摊占着人行道卖菜；另外旁边工地晚上十一点还在打桩施工，吵得睡不着")
    login("td1")
    page.goto("/dispatch/")
    page.locator(f"tr[data-code={one.tracking_code}] a").first.click()  # click 1: open the report
    card = page.locator("#suggestion")
    assert "置信度" in card.locator("#confidence").inner_text()
    rows = card.locator("tr.candidate")
    assert rows.count() == 3
    assert rows.nth(0).get_attribute("data-item") == one.suggestion["item"] == "S024"
    assert rows.nth(0).locator("td").nth(3).inner_text().strip()  # the deciding words are shown
    # The runners-up may include the service queue (data-item ""); correct to the first other item.
    others = [(k, rows.nth(k).get_attribute("data-item")) for k in (1, 2)]
    k, second = next((k, code) for k, code in others if code)
    assert second != "S024"
    rows.nth(k).locator("button[type=submit]").click()  # click 2: route by that candidate
    page.wait_for_selector(".messages")
    one.refresh_from_db()
    assert one.status == wf.ROUTED and one.item_code == second
    assert RoutingExample.objects.filter(text=one.text, items=[second], source="corrected").exists()
    assert second in page.locator("section.card").first.inner_text()

    page.goto(f"/dispatch/{two.pk}/")
    also = page.locator("#also")
    # the main matter is first, the other one offered with the clause it was found in
    two.refresh_from_db()
    shown = also.inner_text()
    assert "还提到其他事项" in shown and ("菜摊" in shown or "打桩" in shown)
    assert {two.suggestion["item"], two.suggestion["also"][0]["item"]} >= {"S024"}
    page.locator("#split-suggested").click()
    page.wait_for_selector(".messages")
    two.refresh_from_db()
    assert two.status == wf.SPLIT
    parts = sorted(c.text for c in two.subtasks.all())
    assert len(parts) == 2 and any("菜摊" in p for p in parts) and any("打桩" in p for p in parts)
    items = {c.suggestion.get("item") for c in two.subtasks.all()}
    assert "S024" in items and len(items) == 2

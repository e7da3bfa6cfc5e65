"""A county administrator edits a discretion tier and finds the new range on the public page."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _held_item(county):
    from zhifa.catalogue import services
    from zhifa.catalogue.models import DiscretionTier, Item
    from zhifa.org.models import Department, Township

    item = Item.objects.create(
        county=county,
        code="A001",
        name="对非法占用土地建住宅的处罚",
        action_type="penalty",
        source="empowered",
        domain="自然资源",
        department=Department.objects.get(code="D01"),
        legal_basis="《中华人民共和国土地管理法》第七十八条",
    )
    DiscretionTier.objects.create(
        item=item, tier="general", condition="一般情形", fine_min=2000, fine_max=10000
    )
    v1 = services.create_draft(None, Township.objects.get(code="T01"))
    services.pick(None, v1.pk, item.pk)
    services.publish_version(v1, dt.date(2026, 1, 1), actor="测试")
    return item


def test_county_admin_edits_a_tier_and_the_public_page_shows_it(page, login, make_user, county):
    item = _held_item(county)
    make_user("admin", username="countyadmin")
    login("countyadmin")
    page.goto(f"/catalogue/items/{item.pk}/")
    page.click("#tier-edit summary")
    # A higher tier below the lower one is refused with a message naming both tiers.
    page.fill('textarea[name="serious_condition"]', "造成较大影响")
    page.fill('input[name="serious_fine_min"]', "1000")
    page.fill('input[name="serious_fine_max"]', "20000")
    page.click("text=保存裁量基准")
    alert = page.locator("#tier-edit [role=alert]").inner_text()
    assert "较重档：罚款下限1000元低于较轻的“一般”档下限2000元" in alert
    page.fill('input[name="serious_fine_min"]', "10000")
    page.fill('input[name="general_fine_max"]', "8000.50")
    page.click("text=保存裁量基准")
    page.wait_for_selector("text=裁量基准已保存")

    page.goto("/catalogue/public/T01/")
    listing = page.locator("#public-items").inner_text()
    assert "2000～8000.5" in listing and "10000～20000" in listing and "造成较大影响" in listing

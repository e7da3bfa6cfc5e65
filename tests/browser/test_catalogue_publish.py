"""A township administrator picks an offered item, publishes the version, finds it on the public page."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _catalogue(county) -> None:
    from zhifa.catalogue import services
    from zhifa.catalogue.models import DiscretionTier, Item
    from zhifa.org.models import Department, Township

    d1 = Department.objects.get(code="D01")

    def item(code: str, name: str, basis: str) -> Item:
        return Item.objects.create(
            county=county,
            code=code,
            name=name,
            action_type="penalty",
            source="empowered",
            domain="自然资源",
            department=d1,
            legal_basis=basis,
        )

    held = item("A001", "对非法占用土地建住宅的处罚", "《中华人民共和国土地管理法》第七十八条")
    offered = item("A002", "对擅自在河道管理范围内采砂的处罚", "《中华人民共和国水法》第七十二条")
    DiscretionTier.objects.create(
        item=offered, tier="general", condition="一般情形", fine_min=2000, fine_max=10000
    )
    v1 = services.create_draft(None, Township.objects.get(code="T01"))
    services.pick(None, v1.pk, held.pk)
    services.publish_version(v1, dt.date(2026, 1, 1), actor="测试")


def test_township_admin_picks_publishes_and_finds_item_on_public_page(page, login, make_user, county):
    _catalogue(county)
    make_user("township_admin", township="T01", username="t1admin")
    login("t1admin")
    page.goto("/catalogue/public/T01/")
    assert "A001" in page.locator("#public-items").inner_text()
    assert "A002" not in page.locator("#public-items").inner_text()

    page.goto("/catalogue/versions/")
    page.click("#new-draft")
    page.wait_for_selector("#offered")
    assert "草稿" in page.locator("h1").inner_text()
    page.click('#offered button[data-code="A002"]')
    page.wait_for_selector("text=已点选：A002")
    assert "A002" in page.locator("#entries").inner_text()
    page.click("#publish")
    page.wait_for_selector("text=已发布")
    assert "现行有效" in page.locator("h1").inner_text()

    page.goto("/catalogue/public/T01/")
    listing = page.locator("#public-items").inner_text()
    assert "A002" in listing and "《中华人民共和国水法》第七十二条" in listing
    assert "罚款2000～10000元" in listing
    assert "第2版" in page.locator("main").inner_text()

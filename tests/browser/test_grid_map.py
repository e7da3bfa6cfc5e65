"""The grid map page: log in, open the map, click a micro grid, see its grid worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import shape

from browser.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
COUNTY_GEOJSON = (SHARED if SHARED.exists() else Path("/work/shared")) / "benchmark/grids/county.geojson"


def test_click_micro_grid_shows_its_grid_worker(page, login, county, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # four accounts
    from zhifa.grid import services
    from zhifa.grid.importer import import_features, parse
    from zhifa.grid.models import GridStaff, GridUnit

    doc = json.loads(COUNTY_GEOJSON.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if f["properties"]["township"] == "T01"]
    import_features(parse(json.dumps(doc), "t01.geojson", []), county=county)
    admin = make_user("township_admin", township="T01", username="t01admin")
    worker = make_user("grid_worker", township="T01", username="liu", full_name="刘网格")
    make_user("grid_worker", township="T01", username="chen", full_name="陈网格")
    micro = GridUnit.objects.get(code="T01-C01-G02-M03")
    services.assign_staff(admin, micro, worker, GridStaff.WORKER)
    inside = shape(json.loads(micro.geometry)).representative_point()

    login("t01admin")
    page.click("nav.mainnav >> text=网格地图")
    wait_until(page, "document.getElementById('grid-map').dataset.loaded === 'micro:256'")
    assert "共256个微网格" in page.locator("#grid-status").inner_text()
    pt = page.evaluate(
        "([lat, lon]) => { const p = window.zhifaGridMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [inside.y, inside.x],
    )
    box = page.locator("#grid-map").bounding_box()
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.wait_for_selector("#grid-detail .unit-title")
    detail = page.locator("#grid-detail").inner_text()
    assert "T01-C01-G02-M03" in detail
    assert f"户数\n{micro.households}" in detail or str(micro.households) in detail
    assert "刘网格" in page.locator("#grid-detail .staff-name").first.inner_text()

    # the township administrator posts another worker from the panel: one grid, one worker
    page.select_option("#grid-detail .staff-form select[name=user]", label="陈网格（网格员）")
    page.click("#grid-detail .staff-form button[type=submit]")
    wait_until(page, "document.querySelector('#grid-detail .staff-name')?.textContent === '陈网格'")
    assert "刘网格" not in page.locator("#grid-detail .responsible").inner_text()

    # register an element by picking its place on the map: it lands in the clicked micro grid
    page.fill("#grid-element-form input[name=name]", "东城便民超市")
    page.click("#grid-element-pick")
    page.locator("#grid-map").scroll_into_view_if_needed()
    box = page.locator("#grid-map").bounding_box()  # the page may have scrolled to the form
    page.mouse.click(box["x"] + pt[0], box["y"] + pt[1])
    page.click("#grid-element-form button[type=submit]")
    page.wait_for_selector("#grid-element-result .msg-ok")
    assert "所在网格 T01-C01-G02-M03" in page.locator("#grid-element-result").inner_text()

    # switching level redraws; locating a point outside the county says so in Chinese
    page.check("input[name=level][value=community]")
    wait_until(page, "document.getElementById('grid-map').dataset.loaded === 'community:8'")
    # finding a grid by code switches to its level and shows it
    page.fill("#grid-search input[name=q]", "T01-C02-G01-M02")
    page.click("#grid-search button[type=submit]")
    page.click("#grid-search-results a")
    wait_until(
        page,
        "document.querySelector('#grid-detail .unit-title')?.textContent.includes('T01-C02-G01-M02')"
        " || document.querySelector('#grid-detail dd')?.textContent === 'T01-C02-G01-M02'",
    )
    assert page.locator("input[name=level][value=micro]").is_checked()

    page.fill("#grid-locate input[name=lon]", "100")
    page.fill("#grid-locate input[name=lat]", "30")
    page.click("#grid-locate button[type=submit]")
    page.wait_for_selector("#grid-locate-result .errors")
    assert "不在本县任何网格内" in page.locator("#grid-locate-result").inner_text()


def test_dispatcher_sees_open_reports_on_the_map(page, login, county, make_user):
    import datetime as dt

    from django.utils import timezone

    from zhifa.dispatch.models import Report
    from zhifa.org.models import Township

    make_user("county_dispatcher", username="cd")
    now = timezone.now()
    # At the map's initial centre, so that the marker is in view without any grid imported.
    report = Report.objects.create(
        county=county,
        tracking_code="SJTESTMAP0001",
        channel=Report.WEB,
        text="东城路口占道摆摊",
        lon=112.9,
        lat=35.8,
        wgs_lon=112.9,
        wgs_lat=35.8,
        township=Township.objects.get(code="T01"),
        reported_at=now,
        step_due_at=now - dt.timedelta(hours=2),
    )
    login("cd")
    page.goto("/grid/")
    page.check("#grid-activity input[value=reports]")
    wait_until(page, "document.getElementById('grid-map').dataset.activity === 'reports:1'")
    page.locator("path.activity-report.activity-overdue").first.click(force=True)
    popup = page.locator(".activity-popup")
    popup.wait_for()
    assert "SJTESTMAP0001" in popup.inner_text() and "已超期" in popup.inner_text()
    assert popup.locator("a").get_attribute("href") == f"/dispatch/{report.pk}/"

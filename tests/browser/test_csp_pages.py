"""The key pages run in chromium under the Content-Security-Policy without a single violation:
a violation blocks a script or a style, so it breaks the page. Real demo catalogue and map."""

from __future__ import annotations

import pytest

from browser.demo_map import load_demo_map
from zhifa.dispatch import services as s
from zhifa.rules import dispatch_workflow as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings):
    from zhifa.org.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    county, _t01, (lon, lat, _) = load_demo_map()
    cd = User.objects.create_user(
        username="cd", password="Zhifa-test-2026", role="county_dispatcher", county=county
    )
    report = s.do_intake(cd, county=county, text="路口有菜摊占着人行道卖菜", lon=lon, lat=lat).report
    return {"report": report}


@pytest.fixture
def violations(page):
    """Console messages and page errors that report a CSP violation (or any script error)."""
    seen: list[str] = []

    def on_console(msg) -> None:
        text = msg.text
        if msg.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            seen.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: seen.append(f"{page.url}: {exc}"))
    return seen


def _visit(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")


def test_the_listener_catches_a_violation(page, violations, live_server):
    """Control: an inline handler on our page is refused and shows up in the list."""
    _visit(page, "/login/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', '<img src=\"/static/none.png\" onerror=\"1\">')"
    )
    page.wait_for_timeout(300)
    assert any("Content Security Policy" in v for v in violations), violations


def test_key_pages_run_without_csp_violations(page, login, demo, violations):
    _visit(page, "/login/")
    login("cd")
    report = demo["report"]
    for path in (
        "/",
        "/dispatch/",
        f"/dispatch/{report.pk}/",
        "/dispatch/board/",
        "/dispatch/m/",
        "/grid/",
        "/supervision/metrics/",
        "/api/docs/",
    ):
        _visit(page, path)
    # The scripts did run: the map drew its layers, Swagger UI rendered the operations.
    _visit(page, "/grid/")
    page.wait_for_selector("#grid-map .leaflet-interactive", state="attached")
    page.check("input[name=activity][value=reports]")
    page.wait_for_timeout(500)
    _visit(page, "/api/docs/")
    page.wait_for_selector(".opblock", state="attached")
    # A form on the report page posts (form-action 'self') with the state it showed.
    _visit(page, f"/dispatch/{report.pk}/")
    page.locator("#suggestion button[type=submit]").first.click()
    page.wait_for_selector(".messages")
    report.refresh_from_db()
    assert report.status == wf.ROUTED
    assert violations == []

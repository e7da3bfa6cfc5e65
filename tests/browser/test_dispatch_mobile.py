"""The mobile reporting app: a grid worker's report (real demo grid and router) followed to closure;
offline, then sent once."""

from __future__ import annotations

import io

import pytest
from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion, make_items

from browser.demo_map import load_demo_map
from browser.waiting import wait_until
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def setup(county, make_user, monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(
        suggestions, "suggest_many", lambda reports: [suggestions.suggest(r) for r in reports]
    )
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion("Z001"))
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    make_user("grid_worker", township="T01", username="gw", full_name="网格员小王")
    make_user("township_dispatcher", township="T01", username="td1")
    make_user("officer", township="T01", username="o1")


def _switch(page, login, username):
    page.context.clear_cookies()
    login(username)


def _act(page, action: str, **fields):
    form = page.locator(f"form.action-form[data-action={action}]")
    for name, value in fields.items():
        el = form.locator(f"[name={name}]")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".messages, .errors")


@pytest.fixture
def demo(settings):
    """The demo county's real catalogue and grid map: no stub between the phone and the queue."""
    from zhifa.org.models import User

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    county, t01, (lon, lat, micro) = load_demo_map()
    for name, role, township in (
        ("gw", "grid_worker", t01),
        ("td1", "township_dispatcher", t01),
        ("o1", "officer", t01),
    ):
        User.objects.create_user(
            username=name,
            password="Zhifa-test-2026",
            role=role,
            county=county,
            township=township,
            full_name=name,
        )
    return {"lon": lon, "lat": lat, "micro": micro}


def test_grid_worker_report_to_closure_with_callback(page, login, demo):
    login("gw")
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": demo["lon"], "latitude": demo["lat"]})
    page.goto("/dispatch/m/")
    page.fill("#text", "文化路一处工地晚上十一点还在打桩施工，噪音很大，居民睡不着")
    page.set_input_files("#photos", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": _png()}])
    page.click("#gps")
    wait_until(page, "document.getElementById('lon').value !== ''")
    page.click("button.primary")
    page.wait_for_selector("#sent .tracking-code")
    code = page.locator("#sent .tracking-code").first.inner_text()
    report = Report.objects.get(tracking_code=code)
    assert report.channel == Report.MOBILE and report.photos.count() == 1
    assert report.township.code == "T01" and report.micro_code == demo["micro"]

    _switch(page, login, "td1")
    page.goto("/dispatch/")
    row = page.locator(f"tr[data-code={code}]")
    # The queue shows the suggestion computed for the page (night-time construction noise, held
    # by T01) without storing it: a GET writes nothing, the dispatch worker stores it.
    assert "S021" in row.inner_text() and "已受理待分拨" in row.inner_text()
    assert "城关街道综合行政执法队" in row.inner_text()
    report.refresh_from_db()
    assert not report.suggestion
    assert suggestions.fill_suggestions(Report.objects.filter(pk=report.pk)) == 1
    report.refresh_from_db()
    assert report.suggestion["item"] == "S021"
    row.locator("a").first.click()
    assert "夜间施工" in page.locator("#suggestion").inner_text()
    _act(page, "route")
    assert "城关街道综合行政执法队（生态环境中队）" in page.locator("#handler").inner_text()

    _switch(page, login, "o1")
    page.goto(f"/dispatch/{report.pk}/")
    _act(page, "accept")
    _act(page, "finish", reason="已责令夜间停工，设置便民疏导点")
    assert page.locator("#status").inner_text() == "待核查回访"

    _switch(page, login, "td1")
    page.goto(f"/dispatch/{report.pk}/")
    _act(page, "close")
    assert "尚未进行现场核查" in page.locator(".errors").inner_text()
    _act(page, "verify", reason="夜间复查已停工")
    _act(page, "callback", callback="satisfied", reason="举报人表示满意")
    _act(page, "close")
    assert page.locator("#status").inner_text() == "已办结"
    report.refresh_from_db()
    assert report.status == wf.CLOSED and report.callback == Report.SATISFIED
    page.goto("/dispatch/board/")
    assert "城关街道" in page.locator("#rates-township").inner_text()
    page.wait_for_selector("#dispatch-map .leaflet-container, #dispatch-map.leaflet-container")

    page.context.clear_cookies()
    page.goto(f"/dispatch/track/?code={code}")
    text = page.locator("#track-result").inner_text()
    assert "已办结" in text and "设置便民疏导点" in text and "gw" not in text


def test_offline_report_is_sent_once_when_back_online(page, login, setup):
    login("gw")
    page.goto("/dispatch/m/")
    wait_until(page, "navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    page.fill("#text", "离线时发现：路口有人占道摆摊")
    page.fill("#lon", str(T01_POINT[0]))
    page.fill("#lat", str(T01_POINT[1]))
    page.click("button.primary")
    page.wait_for_selector("#pending li")
    assert "离线" in page.locator("#message").inner_text()
    assert page.locator("#pending-count").inner_text() == "1"
    assert Report.objects.count() == 0
    client_id = page.locator("#pending li").first.get_attribute("data-client-id")

    # Back online: the "online" event sends the queue; a second flush at the same time and a
    # plain resend of the same client id (an answer lost on the way back) change nothing.
    page.context.set_offline(False)
    page.evaluate("Promise.all([window.zhifaFlush(), window.zhifaFlush()])")
    page.wait_for_selector("#sent .tracking-code")
    status = page.evaluate(
        """async (cid) => {
            const body = new FormData();
            body.append('client_id', cid); body.append('text', '重发'); body.append('lon', '112.8');
            body.append('lat', '35.88'); body.append('channel', 'mobile');
            const m = document.cookie.match(/csrftoken=([^;]+)/);
            const r = await fetch('/api/dispatch/reports/', {method: 'POST', body,
                headers: {'X-CSRFToken': m ? m[1] : document.getElementById('app').dataset.csrf}});
            return r.status;
        }""",
        client_id,
    )
    assert status == 200
    assert Report.objects.count() == 1
    r = Report.objects.get()
    assert r.client_id == client_id and r.text == "离线时发现：路口有人占道摆摊"
    assert page.locator("#pending-count").inner_text() == "0"

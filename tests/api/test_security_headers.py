"""Security response headers (CSP and friends) on every response, secure cookies under HTTPS,
and templates that run under the strict script policy (no inline scripts or handlers)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import zhifa

TEMPLATES = sorted(Path(zhifa.__file__).parent.glob("**/templates/**/*.html"))


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize(
    "url",
    [
        "/login/",
        "/static/web/zhifa.css",
        "/api/dispatch/reports/",
        "/no-such-page/",
        "/open311/v2/services.json",
    ],
)
def test_every_response_carries_the_security_headers(client, county, url):
    resp = client.get(url)
    csp = _directives(resp["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert all("http" not in " ".join(v) and "*" not in v for v in csp.values()), "assets are local"
    assert resp["Referrer-Policy"] == "same-origin"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_logged_in_pages_carry_the_policy_too(client, make_user):
    client.force_login(make_user("county_dispatcher", username="cd"))
    resp = client.get("/dispatch/")
    assert resp.status_code == 200
    assert "script-src 'self'" in resp["Content-Security-Policy"]


def _settings_in_subprocess(**env: str) -> dict[str, str]:
    code = (
        "import zhifa.settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHIFA_") or k == "ZHIFA_VAR_DIR"}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    session, csrf, httponly = out.stdout.split()
    return {"session": session, "csrf": csrf, "httponly": httponly}


def test_cookies_are_secure_when_served_over_https(tmp_path):
    var = str(tmp_path)
    assert _settings_in_subprocess(ZHIFA_HTTPS="1", ZHIFA_VAR_DIR=var) == {
        "session": "True",
        "csrf": "True",
        "httponly": "True",
    }
    plain = _settings_in_subprocess(ZHIFA_VAR_DIR=var)
    assert (plain["session"], plain["csrf"]) == ("False", "False")


def test_https_session_cookie_is_sent_secure(client, make_user, settings):
    settings.SESSION_COOKIE_SECURE = True
    user = make_user("county_dispatcher", username="cd")
    resp = client.post("/login/", {"username": user.username, "password": "Zhifa-test-2026"})
    assert resp.status_code in (200, 302)
    cookie = resp.cookies.get(settings.SESSION_COOKIE_NAME)
    assert cookie is not None and cookie["secure"] and cookie["httponly"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p).split("templates/")[-1])
def test_templates_have_no_inline_script_or_handler(path):
    html = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", html):
        # Only script files, or data blocks that never run (json_script, type=application/json).
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {path}: {tag}"
    handlers = re.findall(r"<[^>]*\son[a-z]+\s*=", html)
    assert not handlers, f"inline event handler in {path}: {handlers}"
    assert "javascript:" not in html


def test_dispatch_templates_have_no_inline_style():
    dispatch = [p for p in TEMPLATES if "/web/dispatch/" in str(p)]
    assert dispatch
    for path in dispatch:
        assert 'style="' not in path.read_text(encoding="utf-8"), path

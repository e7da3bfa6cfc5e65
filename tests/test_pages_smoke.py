"""Every navigation page, and every page linked from it, opens for every demo account on the demo county.

A page may refuse a role (403) or not exist for it (404), but never fail (5xx), and every page a
user is offered in the navigation opens (200).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/[^"#?]*)"')
SKIP = ("/logout/", "/static/", "/api/", "/media/")


def test_every_page_opens_for_every_demo_account(client):
    from zhifa.demo.accounts import ACCOUNTS
    from zhifa.demo.loader import load
    from zhifa.org.models import User

    load(log=lambda _msg: None)
    failures: list[str] = []
    for username, *_rest in ACCOUNTS:
        user = User.objects.get(username=username)
        client.force_login(user)
        home = client.get(reverse("web:home"))
        assert home.status_code == 200, username
        nav = [u for u in dict.fromkeys(LINK.findall(home.content.decode())) if not u.startswith(SKIP)]
        assert len(nav) >= 3, f"{username} has almost no navigation"
        seen: set[str] = set()
        for url in nav:
            resp = client.get(url)
            if resp.status_code != 200:
                failures.append(f"{username} {url} → {resp.status_code}")
                continue
            seen.add(url)
            # one level deeper: detail pages linked from the lists
            for sub in list(dict.fromkeys(LINK.findall(resp.content.decode())))[:15]:
                if (
                    sub in seen
                    or sub.startswith(SKIP)
                    or sub.endswith((".xlsx", ".pdf", ".docx", ".geojson"))
                ):
                    continue
                seen.add(sub)
                r = client.get(sub)
                if r.status_code >= 500:
                    failures.append(f"{username} {sub} (from {url}) → {r.status_code}")
    assert not failures, "\n".join(failures)

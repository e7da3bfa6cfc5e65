"""The reports API pages by a cursor on the primary key, with a capped count (issue 11)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion
from zhifa.api import pagination
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions


@pytest.fixture
def reports(make_user, county, monkeypatch):
    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(suggestions, "suggest", lambda report: fake_suggestion("Z001"))
    gw = make_user("grid_worker", township="T01", username="gw")
    made = [
        s.do_intake(
            gw, county=county, text=f"第{i}处占道经营", lon=T01_POINT[0] + i * 0.01, lat=T01_POINT[1]
        ).report
        for i in range(7)
    ]
    return make_user("county_dispatcher", username="cd"), made


def test_following_next_links_returns_every_report_once_newest_first(reports, client):
    cd, made = reports
    client.force_login(cd)
    seen, url, pages = [], "/api/dispatch/reports/?limit=3", 0
    while url:
        body = client.get(url).json()
        assert body["count"] == 7 and body["count_capped"] is False
        seen += [r["id"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted((r.pk for r in made), reverse=True)
    assert pages == 3


def test_deep_pages_cost_what_the_first_costs_and_the_count_is_capped(reports, client, monkeypatch):
    cd, _ = reports
    client.force_login(cd)
    with CaptureQueriesContext(connection) as first:
        body = client.get("/api/dispatch/reports/?limit=2").json()
    third = client.get(body["next"]).json()["next"]
    with CaptureQueriesContext(connection) as deep:
        assert len(client.get(third).json()["results"]) == 2
    assert len(deep) == len(first)
    # No query counts the whole table: the count reads at most COUNT_CAP + 1 rows.
    assert not any("COUNT(" in q["sql"] and "LIMIT" not in q["sql"] for q in first.captured_queries)
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    body = client.get("/api/dispatch/reports/?limit=2").json()
    assert body["count"] == 5 and body["count_capped"] is True


def test_a_forged_cursor_is_refused_in_chinese(reports, client):
    cd, _ = reports
    client.force_login(cd)
    r = client.get("/api/dispatch/reports/?cursor=bz14")  # base64 of "o=x": not a position
    assert r.status_code == 404 and "分页游标无效" in r.json()["error"]

"""The queue page and reports taken in without a routing suggestion (API intake defers it to the
dispatch worker): the page computes one for the rows it shows, in one batch, without storing it
(a GET writes nothing) and without a query per row; once the worker has stored it the page shows
the same rows with the same queries, and computes nothing."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.helpers import T01_POINT, fake_locate, fake_suggestion, make_items
from zhifa.dispatch import services as s
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report

pytestmark = pytest.mark.django_db


def _fake(report):
    sug = fake_suggestion("Z002" if "树" in report.text else "Z001")
    sug.needs_review = "树" in report.text  # one unsure kind: the page marks it 待人工确认
    return sug


@pytest.fixture
def batches(monkeypatch):
    """The router's batches, as the report ids each was asked for."""
    calls: list[list[int]] = []

    def many(reports):
        calls.append(sorted(r.pk for r in reports))
        return [_fake(r) for r in reports]

    monkeypatch.setattr(geocoding, "locate", fake_locate)
    monkeypatch.setattr(suggestions, "suggest_many", many)
    monkeypatch.setattr(suggestions, "suggest", _fake)
    return calls


@pytest.fixture
def people(make_user, county, batches):
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    return {
        "cd": make_user("county_dispatcher", username="cd"),
        "gw": make_user("grid_worker", township="T01", username="gw"),
    }


def _deferred(people, county, n: int, start: int = 0) -> list[Report]:
    texts = ["门口占道摆摊卖菜", "后山有人砍树"]
    return [
        s.do_intake(
            people["gw"],
            county=county,
            text=f"{texts[i % 2]}（{i}号）",
            lon=T01_POINT[0] + i * 0.001,
            lat=T01_POINT[1],
            route_suggestion=False,
        ).report
        for i in range(start, start + n)
    ]


def _writes(ctx) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(verbs)]


def _rows(body: str) -> str:
    return re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)


def test_queue_queries_do_not_grow_with_reports_awaiting_a_suggestion(people, county, client, batches):
    few_reports = _deferred(people, county, 2)
    client.force_login(people["cd"])
    with CaptureQueriesContext(connection) as few:
        body = client.get("/dispatch/").content.decode()
    assert body.count('<span class="badge">建议</span>') == 2
    many_reports = few_reports + _deferred(people, county, 8, start=2)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/dispatch/").content.decode()
    assert body.count("data-code=") == 10 and body.count('<span class="badge">建议</span>') == 10
    assert (
        body.count("待人工确认</span>") == 5 and "对擅自占道经营的处罚" in body and "对滥伐林木的处罚" in body
    )
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert _writes(few) == [] and _writes(many) == []
    # One batch per page view, of exactly the rows shown without a suggestion; nothing stored,
    # so the next view asks again (until the worker stores them).
    assert batches == [sorted(r.pk for r in few_reports), sorted(r.pk for r in many_reports)]
    assert not Report.objects.exclude(suggestion={}).exists()
    assert not Report.objects.filter(needs_review=True).exists()


def test_the_page_shows_the_same_once_the_worker_stored_the_suggestions(people, county, client, batches):
    reports = _deferred(people, county, 4)
    client.force_login(people["cd"])
    with CaptureQueriesContext(connection) as computed:
        before = _rows(client.get("/dispatch/").content.decode())
    assert len(batches) == 1
    assert suggestions.fill_suggestions(Report.objects.filter(pk__in=[r.pk for r in reports])) == 4
    assert Report.objects.filter(needs_review=True).count() == 2
    batches.clear()
    with CaptureQueriesContext(connection) as stored:
        after = _rows(client.get("/dispatch/").content.decode())
    assert batches == []  # nothing left to compute
    assert after == before and "建议：" in after
    assert len(stored) == len(computed), [q["sql"] for q in stored.captured_queries]

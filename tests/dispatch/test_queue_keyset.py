"""The dispatcher's queue pages by keyset (issue 11): late first, then by due time, newest first
among equals; following the "下一页" links visits every report once, in that order, and each
page costs the same queries however deep it is."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhifa.core.paging import Key, keyset_page
from zhifa.dispatch.models import Report
from zhifa.rules import dispatch_workflow as wf

NEXT = re.compile(r'href="\?([^"]*after=[^"]+)" rel="next"')


@pytest.fixture
def reports(county):
    """Reports with due times in the past, the future and none, ties on due and creation time."""
    now = timezone.now()
    due = [-3, -1, -1, 2, 5, 5, None, None, 1, -2, None, 4]
    status = [wf.ROUTED] * 6 + [wf.ARCHIVED, wf.RECEIVED] + [wf.HANDLING] * 3 + [wf.ARCHIVED]
    rows = []
    for i, (d, st) in enumerate(zip(due, status, strict=True)):
        rows.append(
            Report(
                county=county,
                township=county.townships.get(code="T01"),
                tracking_code=f"K{i:05d}",
                channel=Report.API,
                text=f"第{i}起占道经营",
                lon=112.8,
                lat=35.88,
                wgs_lon=112.8,
                wgs_lat=35.88,
                reported_at=now,
                status=st,
                # Already suggested: the page then only reads (the queue fills missing ones).
                suggestion={"item": "Z001", "handler": ""},
                step_due_at=None if d is None else now + dt.timedelta(hours=d),
            )
        )
    made = Report.objects.bulk_create(rows)
    # Two pairs share their creation time: the id decides between them.
    same = now - dt.timedelta(minutes=5)
    Report.objects.filter(pk__in=[made[1].pk, made[2].pk, made[6].pk, made[7].pk]).update(created_at=same)
    return list(Report.objects.filter(pk__in=[r.pk for r in made]))


def _expected(rows: list[Report]) -> list[str]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    order = sorted(rows, key=lambda r: (r.step_due_at or far, -r.created_at.timestamp(), -r.pk))
    return [r.tracking_code for r in order]


def _codes(body: str) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', body)


def test_following_next_visits_every_report_once_in_queue_order(reports, make_user, client, monkeypatch):
    monkeypatch.setattr("zhifa.web.dispatch.views.QUEUE_PAGE", 5)
    client.force_login(make_user("county_dispatcher", username="cd"))
    url, seen, pages = "/dispatch/?status=all", [], 0
    while url:
        body = client.get(url).content.decode()
        seen += _codes(body)
        pages += 1
        link = NEXT.search(body)
        url = "/dispatch/?" + html.unescape(link.group(1)) if link else None
    assert seen == _expected(reports)
    assert pages == 3
    late = [r.tracking_code for r in reports if r.step_due_at and r.step_due_at < timezone.now()]
    assert set(seen[: len(late)]) == set(late)


def test_open_queue_keeps_the_filter_across_pages(reports, make_user, client, monkeypatch):
    monkeypatch.setattr("zhifa.web.dispatch.views.QUEUE_PAGE", 4)
    client.force_login(make_user("county_dispatcher", username="cd"))
    first = client.get("/dispatch/?status=open").content.decode()
    link = NEXT.search(first)
    assert link and "status=open" in html.unescape(link.group(1))
    second = client.get("/dispatch/?" + html.unescape(link.group(1))).content.decode()
    open_rows = [r for r in reports if r.status in wf.OPEN_STATES]
    assert _codes(first) + _codes(second) == _expected(open_rows)[:8]
    assert "回到第一页" in second and "回到第一页" not in first


def test_a_deep_page_costs_what_the_first_costs(reports, make_user, client, monkeypatch):
    monkeypatch.setattr("zhifa.web.dispatch.views.QUEUE_PAGE", 3)
    client.force_login(make_user("county_dispatcher", username="cd"))
    with CaptureQueriesContext(connection) as first:
        body = client.get("/dispatch/?status=all").content.decode()
    for _ in range(2):
        body = client.get("/dispatch/?" + html.unescape(NEXT.search(body).group(1))).content.decode()
    with CaptureQueriesContext(connection) as deep:
        client.get("/dispatch/?" + html.unescape(NEXT.search(body).group(1)))
    assert len(deep) == len(first), [q["sql"][:150] for q in deep.captured_queries]
    page_sql = [
        q["sql"] for q in deep.captured_queries if "ORDER BY" in q["sql"] and "dispatch_report" in q["sql"]
    ]
    assert page_sql and all("OFFSET" not in q and "CASE" not in q for q in page_sql)


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "WzEsMiwzXQ", "bnVsbA"])
def test_a_bad_cursor_is_a_message_and_the_first_page(reports, make_user, client, cursor):
    client.force_login(make_user("county_dispatcher", username="cd"))
    r = client.get(f"/dispatch/?status=all&after={cursor}")
    assert r.status_code == 200
    body = r.content.decode()
    assert "翻页参数无效" in body and _codes(body)[:3] == _expected(reports)[:3]


def test_keyset_page_on_ties_and_nulls(reports):
    keys = [Key("step_due_at"), Key("created_at", desc=True), Key("id", desc=True)]
    qs = Report.objects.filter(pk__in=[r.pk for r in reports])
    seen, cursor = [], None
    while True:
        page = keyset_page(qs, keys, cursor, 2)
        seen += [r.tracking_code for r in page.rows]
        assert page.count == len(reports) and not page.capped
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == _expected(reports)

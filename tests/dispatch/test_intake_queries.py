"""The intake hot path: queries per report on the API (issue 11: at most 8), sealing off the request."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from dispatch.helpers import T01_POINT, make_items
from zhifa.core import audit
from zhifa.core.models import AuditEntry
from zhifa.dispatch import limits
from zhifa.dispatch.actions import geocoding, suggestions
from zhifa.dispatch.models import Report, TimeLimit
from zhifa.org.models import Township
from zhifa.rules import dispatch_workflow as wf


@pytest.fixture
def gw(make_user, county, monkeypatch):
    t01 = Township.objects.get(code="T01")
    # The grid index answers from memory (zhifa.grid.index); so does this stand-in.
    where = SimpleNamespace(
        township="T01", township_id=t01.pk, community="C", grid="G", micro="M", dedicated=None, micro_id=None
    )
    monkeypatch.setattr(geocoding, "locate", lambda lon, lat: where)
    monkeypatch.setattr(suggestions, "suggest", lambda report: None)
    make_items(county, make_user("township_admin", township="T01", username="ta1"))
    user = make_user("grid_worker", township="T01", username="gw")
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def post(client, headers, n: int):
    body = {
        "client_id": f"gw-{n}",
        "text": f"第{n}处门口占道摆摊",
        "lon": T01_POINT[0] + n * 0.01,
        "lat": T01_POINT[1],
    }
    return client.post("/api/dispatch/reports/", body, content_type="application/json", headers=headers)


def test_api_intake_costs_at_most_eight_queries_and_seals_nothing(
    gw, client, county, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_SEAL = "worker"
    TimeLimit.objects.create(county=county, step=wf.RECEIVED, amount=2, unit=wf.WORKDAYS)
    assert post(client, gw, 0).status_code == 201  # warms the township and time-limit caches
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks() as callbacks:
        r = post(client, gw, 1)
    assert r.status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) <= 8, sql
    # Reads: the token with its user, the resent-client check, the duplicate cells; then the three
    # rows and one batch of audit entries. No township, county or time-limit read, no sealing.
    assert not any('FROM "org_township"' in q or 'FROM "org_county"' in q for q in sql)
    assert not any("dispatch_timelimit" in q or "core_audithead" in q for q in sql)
    assert callbacks == []
    report = Report.objects.get(client_id="gw-1")
    assert report.township.code == "T01" and report.step_due_at is not None
    assert AuditEntry.objects.filter(object_id=str(report.pk), seq__isnull=True).exists()


def test_the_worker_seals_what_requests_appended(gw, client, settings):
    settings.AUDIT_SEAL = "worker"
    assert post(client, gw, 2).status_code == 201
    assert AuditEntry.objects.filter(seq__isnull=True).exists()
    call_command("urge_overdue", "--once")
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
    assert audit.verify().ok


def test_a_changed_time_limit_applies_to_the_next_report(gw, client, county):
    assert post(client, gw, 3).status_code == 201
    before = limits.limit_for(county.pk, wf.RECEIVED, "", wf.NORMAL)
    row = TimeLimit.objects.create(county=county, step=wf.RECEIVED, amount=7, unit=wf.WORKDAYS)
    assert limits.limit_for(county.pk, wf.RECEIVED, "", wf.NORMAL) == wf.Limit(7, wf.WORKDAYS) != before
    row.amount = 9
    row.save()
    assert limits.limit_for(county.pk, wf.RECEIVED, "Z001", wf.NORMAL) == wf.Limit(9, wf.WORKDAYS)
    row.delete()
    assert limits.limit_for(county.pk, wf.RECEIVED, "", wf.NORMAL) == before


def test_a_renamed_township_shows_in_the_next_report(gw, client):
    assert post(client, gw, 4).status_code == 201
    t = Township.objects.get(code="T01")
    t.name = "东城新区"
    t.save()
    assert post(client, gw, 5).status_code == 201
    step = Report.objects.get(client_id="gw-5").steps.get()
    assert step.unit == "东城新区调度平台"

"""`zhifa generate-province` (issue 11): a province written with COPY, spread over townships,
space and time, with steps; the dispatcher's queue on it pages as usual."""

from __future__ import annotations

import pytest
from dispatch import summary_reference
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min

from zhifa.demo.province import Plan, generate
from zhifa.dispatch import summaries
from zhifa.dispatch.models import Report, Step
from zhifa.org.models import County, Township, User
from zhifa.rules import dispatch_workflow as wf


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_small_province_is_spread_and_has_steps(client):
    out = generate(Plan(counties=2, townships_per_county=5, reports=3000, batch=700), log=lambda m: None)
    assert out == {**out, "counties": 2, "townships": 10, "reports": 3000, "steps": 6000}
    reports = Report.objects.filter(county__code__startswith="P")
    assert reports.count() == 3000 and Step.objects.filter(report__in=reports).count() == 6000
    per_town = reports.values("township").annotate(n=Count("id"))
    assert len(per_town) == 10 and min(r["n"] for r in per_town) > 50
    assert reports.values("dup_cell").distinct().count() > 2000  # not copies of a few points
    # The duplicate check's cell, computed by the server, is the one intake computes.
    for lon, lat, cell in reports.values_list("wgs_lon", "wgs_lat", "dup_cell")[:500]:
        assert cell == wf.duplicate_cell(lon, lat)
    span = reports.aggregate(a=Min("reported_at"), b=Max("reported_at"))
    assert (span["b"] - span["a"]).days > 365
    open_ = reports.filter(status__in=wf.OPEN_STATES)
    assert 0 < open_.count() < 100 and not open_.filter(step_due_at__isnull=True).exists()
    # The summaries are built at the end, from the rows just written: the pages read them.
    assert summaries.state() is not None
    built = summary_reference.tables()
    assert all(built) and built == summary_reference.reference()

    # A second run adds reports with new tracking codes instead of failing on the first ones; in
    # bulk mode the indexes are dropped and built again, every one of them.
    def indexes() -> set[str]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename IN ('dispatch_report', 'dispatch_step')"
            )
            return {r[0] for r in cur.fetchall()}

    before = indexes()
    assert "dispatch_report_queue_idx" in before
    generate(Plan(counties=2, townships_per_county=5, reports=100, bulk=True), log=lambda m: None)
    assert reports.count() == 3100 and Township.objects.filter(code__startswith="P").count() == 10
    assert indexes() == before
    assert summary_reference.tables() == summary_reference.reference() != built  # the second run's too

    county = County.objects.get(code="P000")
    user = User.objects.create_user(username="pd", password="x", role="county_dispatcher", county=county)
    client.force_login(user)
    body = client.get("/dispatch/?status=all").content.decode()
    assert body.count("data-code=") == 50 and 'rel="next"' in body


def test_the_generator_checks_its_arguments_and_needs_postgresql(db):
    with pytest.raises(CommandError, match="必须为正整数"):
        call_command("generate_province", "--reports", "0")
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="需要 PostgreSQL"):
            call_command("generate_province", "--reports", "10")

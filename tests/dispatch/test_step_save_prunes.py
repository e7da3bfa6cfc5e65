"""A step's save finds its row by id and the start it was stored with (issue 11): on PostgreSQL
steps are partitioned by month of start, and an UPDATE by id alone plans over every month."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zhifa.core import partitions
from zhifa.dispatch.models import Report, Step

pytestmark = pytest.mark.django_db


def _report(county) -> Report:
    return Report.objects.create(
        county=county, township=county.townships.first(), tracking_code="SP00001", text="占道经营",
        lon=112.8, lat=35.88, wgs_lon=112.8, wgs_lat=35.88, reported_at=timezone.now(),
    )  # fmt: skip


def _update_sql(save) -> str:
    with CaptureQueriesContext(connection) as ctx:
        save()
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1, ctx.captured_queries
    return updates[0]


def test_a_loaded_step_is_updated_by_id_and_its_stored_start(county):
    now = timezone.now()
    Step.objects.create(report=_report(county), state="handling", started_at=now)
    step = Step.objects.get()
    step.ended_at = now + dt.timedelta(hours=1)
    sql = _update_sql(step.save)
    where = sql.split("WHERE", 1)[1]
    assert '"started_at"' in where and '"id"' in where
    assert Step.objects.get(pk=step.pk).ended_at == now + dt.timedelta(hours=1)

    # update_fields takes the same path, and a second save uses the start just saved.
    step.urged = 2
    assert '"started_at"' in _update_sql(lambda: step.save(update_fields=["urged"])).split("WHERE", 1)[1]
    assert Step.objects.get(pk=step.pk).urged == 2


def test_a_start_changed_in_memory_still_finds_the_row_and_moves_it(county):
    start = timezone.now()
    Step.objects.create(report=_report(county), state="handling", started_at=start)
    step = Step.objects.get()
    moved = start - dt.timedelta(days=62)  # two months back: another partition on PostgreSQL
    step.started_at = moved
    step.save()
    assert Step.objects.filter(pk=step.pk).count() == 1  # updated, not inserted beside it
    assert Step.objects.get(pk=step.pk).started_at == moved
    step.ended_at = moved + dt.timedelta(hours=2)
    step.save(update_fields=["ended_at"])  # found under its new start
    assert Step.objects.get(pk=step.pk).ended_at == moved + dt.timedelta(hours=2)

    # A start changed in memory but not saved (update_fields without it) is not taken as stored.
    step.started_at = start
    step.urged = 1
    step.save(update_fields=["urged"])
    step.save()
    assert Step.objects.filter(pk=step.pk).count() == 1
    assert Step.objects.get(pk=step.pk).started_at == start


@pytest.mark.postgres_only
def test_the_update_plans_one_month(county):
    partitions.ensure_ahead()
    # Mid-month, so the month is the same in UTC (the partition bounds) and in local time.
    now = timezone.now().astimezone(dt.UTC).replace(day=15, hour=12)
    partitions.ensure_month("dispatch_step", now.date())
    assert len(partitions.months("dispatch_step")) >= 4
    Step.objects.create(report=_report(county), state="handling", started_at=now)
    step = Step.objects.get()
    step.ended_at = now
    sql = _update_sql(step.save)
    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql)
        plan = "\n".join(r[0] for r in cur.fetchall())
    scanned = set(re.findall(r"\bdispatch_step_(?:p\d{6}|default)\b", plan))
    assert scanned == {f"dispatch_step_p{now:%Y%m}"}, plan

"""Two dispatch workers at once (issue 11): two real `zhifa urge-overdue --once` processes on
the same PostgreSQL database, started together over one backlog, urge each overdue report
once, store each missing suggestion once, train the county's model once, and leave an audit
chain that verifies. SQLite has one writer at a time and is not a multi-worker target."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import urllib.parse
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from dispatch.test_real_routing import _micro_point
from zhifa.core import audit
from zhifa.core.models import AuditEntry
from zhifa.dispatch import services as s
from zhifa.dispatch.models import Report, Transition
from zhifa.dispatch.models_router import RouterModel
from zhifa.org.models import User
from zhifa.rules import dispatch_workflow as wf

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "门口有人占道摆摊卖菜",
    "工地晚上还在打桩施工，噪音很大",
    "饭店油烟直排到居民楼",
    "小区里有人私搭乱建",
    "河边有人倾倒建筑垃圾",
]


def _database_url() -> str:
    """The run's DATABASE_URL, pointed at the test database this test's rows are in."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


def test_two_workers_at_once_do_each_thing_once(tmp_path):
    from zhifa.demo import loader

    with audit.acting_as("演示数据"):
        county = loader._county()
        loader._catalogue(county, lambda m: None)
        loader._grid(county, lambda m: None)
    gw = User.objects.create_user(
        username="gw", password="Zhifa-test-2026", role="grid_worker", county=county,
        township=county.townships.get(code="T01"),
    )  # fmt: skip
    lon, lat = _micro_point(county, "T01")
    reports = [
        s.do_intake(gw, county=county, text=f"{TEXTS[i % len(TEXTS)]}（第{i}起）", lon=lon, lat=lat,
                    route_suggestion=False).report
        for i in range(60)
    ]  # fmt: skip
    # Every report's receiving step is an hour overdue; none has a suggestion; no model stored.
    past = timezone.now() - dt.timedelta(hours=1)
    Report.objects.filter(pk__in=[r.pk for r in reports]).update(step_due_at=past)
    assert not RouterModel.objects.filter(county=county).exists()
    audit.seal_pending(wait=True)

    env = {**os.environ, "DATABASE_URL": _database_url(), "ZHIFA_VAR_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "zhifa", "urge-overdue", "--once"]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in "ab"
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err

    ids = [r.pk for r in reports]
    urges = Counter(
        Transition.objects.filter(report_id__in=ids, action=wf.URGE).values_list("report_id", flat=True)
    )
    assert urges == Counter({pk: 1 for pk in ids})  # each urged once, none twice, none missed
    rows = Report.objects.filter(pk__in=ids)
    assert all(r.escalation_level == 1 for r in rows)
    assert all(r.suggestion.get("item") for r in rows)  # each suggestion stored
    suggested = Counter(
        AuditEntry.objects.filter(
            model="dispatch.Report", reason="转办建议", object_id__in=[str(i) for i in ids]
        ).values_list("object_id", flat=True)
    )
    assert suggested == Counter({str(pk): 1 for pk in ids})  # … and audited once
    assert RouterModel.objects.filter(county=county).count() == 1  # trained once, not twice
    audit.seal_pending(wait=True)
    assert audit.verify().ok

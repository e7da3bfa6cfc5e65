"""Audit entries belong to a county: each county's administrator reads their own (issue 13)."""

from __future__ import annotations

from django.utils import timezone

from zhifa.core import audit
from zhifa.core.models import AuditEntry
from zhifa.dispatch.models import Report
from zhifa.org.models import CommandCentre, County, Township, User


def test_each_county_administrator_reads_only_their_countys_entries(county, make_user, client):
    other = County.objects.create(code="C02", name="邻县")
    CommandCentre.objects.create(county=other)
    far = Township.objects.create(county=other, code="T91", name="邻县镇", kind="镇", setting="乡村")
    here_admin = make_user("admin", username="admin-here")
    there_admin = User.objects.create_user(
        username="admin-there", password="Zhifa-test-2026", role="admin", county=other, full_name="邻县管理员"
    )
    with audit.acting_as(there_admin):
        far.name = "邻县新镇"
        far.save()
    with audit.acting_as("命令行"):
        Report.objects.create(
            county=other,
            tracking_code="SJOTHER00001",
            text="邻县的事件：占道经营",
            lon=1,
            lat=1,
            wgs_lon=1,
            wgs_lat=1,
            reported_at=timezone.now(),
        )
    with audit.acting_as(here_admin):
        t = Township.objects.get(code="T01")
        t.name = "东城街道（改）"
        t.save()
    mine = AuditEntry.objects.get(model="org.Township", object_id=str(t.pk), action="update")
    theirs = AuditEntry.objects.get(model="org.Township", object_id=str(far.pk), action="update")
    report_entry = AuditEntry.objects.get(model="dispatch.Report", action="create")
    # The object's county wins; a command without a user still files its change under the county.
    assert (mine.county_id, theirs.county_id, report_entry.county_id) == (county.pk, other.pk, other.pk)

    client.force_login(here_admin)
    body = client.get("/org/audit/?model=org.Township").content.decode()
    assert "东城街道（改）" in body and "邻县新镇" not in body
    assert "SJOTHER00001" not in client.get("/org/audit/").content.decode()
    client.force_login(there_admin)
    body = client.get("/org/audit/?model=org.Township").content.decode()
    assert "邻县新镇" in body and "东城街道（改）" not in body
    assert "SJOTHER00001" in client.get("/org/audit/").content.decode()
    assert audit.verify().ok

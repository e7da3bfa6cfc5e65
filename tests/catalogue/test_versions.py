"""Versions, holdings, entrustments, discretion, usage and the audit check of catalogue rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from catalogue.helpers import V1_DATE
from zhifa.catalogue import services
from zhifa.catalogue.models import (
    CatalogueVersion,
    DiscretionTier,
    Entry,
    Item,
    PublishedVersionError,
    UsageCount,
)
from zhifa.core import audit

pytestmark = pytest.mark.django_db


def test_published_version_cannot_be_changed(small):
    v = small["versions"]["T01"]
    v.note = "改"
    with pytest.raises(PublishedVersionError):
        v.save()
    with pytest.raises(PublishedVersionError):
        CatalogueVersion.objects.filter(pk=v.pk).update(note="改")
    with pytest.raises(PublishedVersionError):
        v.delete()
    with pytest.raises(PublishedVersionError):
        CatalogueVersion.objects.filter(pk=v.pk).delete()
    entry = v.entries.first()
    entry.legal_basis = "改"
    with pytest.raises(PublishedVersionError):
        entry.save()
    with pytest.raises(PublishedVersionError):
        Entry.objects.filter(version=v).update(legal_basis="改")
    with pytest.raises(PublishedVersionError):
        entry.delete()
    with pytest.raises(PublishedVersionError):
        services.pick(None, v.pk, small["items"]["A004"].pk)
    with pytest.raises(PublishedVersionError):
        services.unpick(None, v.pk, small["items"]["A001"].pk)
    with pytest.raises(PublishedVersionError):
        services.publish_version(v, dt.date(2026, 6, 1))
    assert Entry.objects.get(pk=entry.pk).legal_basis == "《测试法》第1条"


def test_new_version_supersedes_and_comparison_lists_added_removed_changed(small):
    items, t1 = small["items"], small["t1"]
    v1 = small["versions"]["T01"]
    draft = services.create_draft(None, t1)
    assert draft.number == 2 and draft.status == CatalogueVersion.DRAFT
    assert services.create_draft(None, t1) == draft  # one draft at a time
    assert set(draft.entries.values_list("code", flat=True)) == {"A001", "A002", "A003"}
    services.unpick(None, draft.pk, items["A002"].pk)
    services.pick(None, draft.pk, items["A004"].pk)
    a1 = items["A001"]
    a1.legal_basis = "《测试法》第一条（2026年修订）"
    a1.save()
    with pytest.raises(ValidationError, match="早于现行版本"):
        services.publish_version(draft, dt.date(2025, 6, 1))
    services.publish_version(draft, dt.date(2026, 12, 1), actor="测试")
    cmp = services.compare(v1, draft)
    assert [e.code for e in cmp.added] == ["A004"]
    assert [e.code for e in cmp.removed] == ["A002"]
    assert [(e.code, [c.label for c in changes]) for e, changes in cmp.changed] == [("A001", ["法律依据"])]
    assert cmp.changed[0][1][0].new == "《测试法》第一条（2026年修订）"
    # v1's snapshot keeps the old text: a published version never changes.
    assert v1.entries.get(code="A001").legal_basis == "《测试法》第1条"
    assert services.version_state(v1, dt.date(2026, 11, 30)) == "现行有效"
    assert services.version_state(draft, dt.date(2026, 11, 30)) == "待生效"
    assert services.version_state(v1, dt.date(2026, 12, 1)) == "已被替代"
    assert services.version_state(draft, dt.date(2026, 12, 1)) == "现行有效"
    assert services.holding_on(t1, "A002", dt.date(2026, 11, 30)).held
    assert not services.holding_on(t1, "A002", dt.date(2026, 12, 1)).held
    assert services.holding_on(t1, "A004", dt.date(2026, 12, 1)).held
    assert services.compare(v1, v1).unchanged


def test_holding_on_held_not_held_and_entrustments(small):
    t1, t2 = small["t1"], small["t2"]
    on = dt.date(2026, 6, 1)
    a = services.holding_on(t1, "A001", on)
    assert a.held and a.source == "statutory" and a.held_from == V1_DATE and a.held_until is None
    assert not services.holding_on(t1, "A004", on).held
    assert "未持有" in services.holding_on(t1, "A004", on).reason
    assert not services.holding_on(t1, "A001", dt.date(2025, 12, 31)).held  # before version 1
    ent = services.holding_on(t1, "A003", on)
    assert ent.held and ent.entrustment["doc_no"] == "林委〔2026〕1号"
    assert ent.held_until == dt.date(2026, 12, 31)
    expired = services.holding_on(t2, "A003", on)
    assert not expired.held
    assert expired.reason == "委托已过期：委托书林委〔2025〕2号有效期至2025-12-31"
    assert not services.holding_on(t1, "A003", dt.date(2027, 1, 1)).held
    assert services.held_item_codes("T01", on) == {"A001", "A002", "A003"}
    assert services.held_item_codes("T02", on) == {"A001"}
    assert [e.code for e in services.held_items(t2, on)] == ["A001"]


def test_entrustment_expiry_warning_60_days(small):
    today = dt.date(2026, 11, 30)
    assert [e.doc_no for e in services.expiring_entrustments(today=today)] == ["林委〔2026〕1号"]
    assert list(services.expiring_entrustments(today=dt.date(2026, 10, 31))) == []  # 61 days before
    assert [e.doc_no for e in services.expiring_entrustments(today=dt.date(2026, 11, 1))] == [
        "林委〔2026〕1号"
    ]
    states = {e.doc_no: services.entrustment_state(e, today) for e in small["t1"].entrustments.all()}
    assert states == {"林委〔2026〕1号": "即将到期"}
    old = small["t2"].entrustments.get()
    assert services.entrustment_state(old, today) == "已过期"
    assert services.entrustment_state(old, dt.date(2025, 6, 1)) == "有效"


def test_revoke_item(small, make_user):
    a2, t1 = small["items"]["A002"], small["t1"]
    admin = make_user("admin", username="admin")
    township_admin = make_user("township_admin", township="T01")
    with pytest.raises(PermissionDenied):
        services.revoke_item(township_admin, a2.pk, dt.date(2026, 7, 1), "理由")
    with pytest.raises(ValidationError, match="收回理由"):
        services.revoke_item(admin, a2.pk, dt.date(2026, 7, 1), "  ")
    services.revoke_item(admin, a2.pk, dt.date(2026, 7, 1), "评估认为乡镇承接能力不足")
    assert services.holding_on(t1, "A002", dt.date(2026, 6, 30)).held
    after = services.holding_on(t1, "A002", dt.date(2026, 7, 1))
    assert not after.held and "已收回" in after.reason and "承接能力不足" in after.reason
    assert services.holding_on(t1, "A002", dt.date(2026, 6, 30)).held_until == dt.date(2026, 6, 30)
    with pytest.raises(ValidationError, match="已于2026-07-01收回"):
        services.revoke_item(admin, a2.pk, dt.date(2026, 8, 1), "再次")
    # A revoked item can no longer be picked, and a draft holding it cannot be published.
    draft = services.create_draft(township_admin, t1)
    assert "A002" not in set(draft.entries.values_list("code", flat=True))
    with pytest.raises(ValidationError, match="已收回"):
        services.pick(township_admin, draft.pk, a2.pk)


def test_township_admin_cannot_touch_another_townships_draft(small, make_user):
    other = make_user("township_admin", township="T02")
    mine = make_user("township_admin", township="T01", username="t1admin")
    draft = services.create_draft(mine, small["t1"])
    with pytest.raises(CatalogueVersion.DoesNotExist):
        services.pick(other, draft.pk, small["items"]["A004"].pk)
    with pytest.raises(CatalogueVersion.DoesNotExist):
        services.publish(other, draft.pk, dt.date(2026, 12, 1))
    officer = make_user("officer", township="T01")
    with pytest.raises(PermissionDenied):
        services.pick(officer, draft.pk, small["items"]["A004"].pk)
    services.publish(mine, draft.pk, dt.date(2026, 12, 1))
    assert CatalogueVersion.objects.get(pk=draft.pk).published_by == mine


def test_fine_range_per_tier(small):
    assert services.fine_range("A002", "minor") == (Decimal("1000"), Decimal("5000"))
    assert services.fine_range(small["items"]["A002"], "一般") == (Decimal("5000"), Decimal("20000"))
    assert services.fine_range("A002", "serious") is None  # tier not set
    assert services.fine_range("A002", "严重") is None  # tier without fine
    assert services.fine_range("A001", "minor") is None
    with pytest.raises(ValueError, match="裁量阶次"):
        services.fine_range("A002", "特别严重")


def test_record_usage_counts_per_month(small):
    assert services.record_usage("T01", "A001", dt.date(2026, 6, 3)) == 1
    assert services.record_usage(small["t1"], small["items"]["A001"], dt.date(2026, 6, 30)) == 2
    assert services.record_usage("T01", "A001", dt.date(2026, 7, 1)) == 1
    assert services.record_usage("T02", "A001", dt.date(2026, 6, 1)) == 1
    assert UsageCount.objects.get(township__code="T01", month=dt.date(2026, 6, 1)).count == 2


def test_audit_verify_finds_catalogue_rows_changed_in_the_database(small):
    call_command("audit", "verify", stdout=io.StringIO())
    entry = small["versions"]["T01"].entries.get(code="A001")
    with connection.cursor() as cur:
        cur.execute("UPDATE catalogue_entry SET legal_basis = %s WHERE id = %s", ["伪造", entry.pk])
    result = audit.verify()
    assert not result.ok
    assert any(f"catalogue.Entry#{entry.pk}" in p and "法律依据" in p for p in result.problems)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    assert "数据被直接修改" in err.getvalue()


def test_audit_verify_finds_deleted_and_inserted_catalogue_rows(small):
    tier = DiscretionTier.objects.get(item__code="A002", tier="minor")
    item = small["items"]["A004"]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM catalogue_discretiontier WHERE id = %s", [tier.pk])
        cur.execute("UPDATE catalogue_item SET revoked_on = %s WHERE id = %s", [dt.date(2026, 1, 1), item.pk])
    problems = audit.verify().problems
    assert any(f"catalogue.DiscretionTier#{tier.pk}" in p and "行已不存在" in p for p in problems)
    assert any(f"catalogue.Item#{item.pk}" in p and "收回日期" in p for p in problems)
    assert Item.objects.get(pk=item.pk).revoked_on == dt.date(2026, 1, 1)


def test_entrustments_by_item(small):
    a3 = small["items"]["A003"]
    t1 = services.entrustments_by_item(small["t1"], dt.date(2026, 11, 30))
    assert t1[a3.pk][0].doc_no == "林委〔2026〕1号" and t1[a3.pk][1] == "即将到期"
    t2 = services.entrustments_by_item(small["t2"], dt.date(2026, 11, 30))
    assert t2[a3.pk][1] == "已过期"
    assert services.entrustments_by_item(small["t2"], dt.date(2025, 6, 1))[a3.pk][1] == "有效"

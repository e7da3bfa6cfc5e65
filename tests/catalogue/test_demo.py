"""The demo county's catalogue: loaded by `zhifa load-demo`, idempotent, with its planned dates."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from zhifa.catalogue import services
from zhifa.catalogue.models import CatalogueVersion, DiscretionTier, Entrustment, Item
from zhifa.core.models import AuditEntry
from zhifa.org.models import Township, User

pytestmark = pytest.mark.django_db


def test_demo_catalogue_loads_once(settings):
    # Eighteen demo accounts: a fast hasher keeps the test quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=io.StringIO())
    assert list(Township.objects.values_list("code", "name", "kind", "setting")) == [
        ("T01", "城关街道", "街道", "城区"),
        ("T02", "新华街道", "街道", "城区"),
        ("T03", "柳泉镇", "镇", "农村"),
        ("T04", "石岭乡", "乡", "农村"),
    ]
    assert 40 <= Item.objects.filter(county__code="DEMO").count() <= 60
    assert User.objects.filter(username="t01_admin", township__code="T01").exists()
    on = dt.date(2026, 11, 30)
    held = {t.code: services.held_item_codes(t.code, on) for t in Township.objects.all()}
    assert len({frozenset(v) for v in held.values()}) == 4  # holdings differ between townships
    assert [e.doc_no for e in services.expiring_entrustments(today=on)] == ["示市监委〔2024〕3号"]
    assert not services.holding_on("T03", "S043", on).held
    assert "委托已过期" in services.holding_on("T03", "S043", on).reason
    assert DiscretionTier.objects.filter(item__county__code="DEMO").values("item").distinct().count() == 11
    assert Entrustment.objects.filter(valid_to__lt=on).count() == 1
    rows, versions = AuditEntry.objects.count(), CatalogueVersion.objects.count()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "未作任何修改" in out.getvalue()
    assert (AuditEntry.objects.count(), CatalogueVersion.objects.count()) == (rows, versions)

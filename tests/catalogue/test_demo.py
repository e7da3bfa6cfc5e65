"""The demo county's catalogue step (first step of `zhifa load-demo`): idempotent, with its planned dates.

The step runs alone here, so that the other domains' demo steps do not decide this test.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from zhifa.catalogue import services
from zhifa.catalogue.models import CatalogueVersion, DiscretionTier, Entrustment, Item
from zhifa.core import audit
from zhifa.core.models import AuditEntry
from zhifa.demo import catalogue as demo_catalogue
from zhifa.demo import loader
from zhifa.demo.accounts import ensure_accounts
from zhifa.org.models import Township, User

pytestmark = pytest.mark.django_db


def test_demo_catalogue_loads_once(settings):
    # Eighteen demo accounts: a fast hasher keeps the test quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    assert loader.STEPS[0].__name__ == "_catalogue"  # the catalogue comes first
    out = io.StringIO()

    def load() -> None:
        with audit.acting_as("演示数据"):
            county = loader._county()
            demo_catalogue.step(county, lambda m: out.write(m + "\n"))
            ensure_accounts(county)

    load()
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
    load()
    assert out.getvalue().splitlines()[-1] == "执法事项清单：数据与现有内容一致，未作任何修改"
    assert (AuditEntry.objects.count(), CatalogueVersion.objects.count()) == (rows, versions)


def test_demo_step_keeps_versions_published_in_the_application():
    with audit.acting_as("演示数据"):
        county = loader._county()
        demo_catalogue.step(county, lambda m: None)
        t1 = Township.objects.get(code="T01")
        draft = services.create_draft(None, t1)
        services.unpick(None, draft.pk, Item.objects.get(code="S002").pk)
        services.publish_version(draft, dt.date(2026, 6, 1), actor="测试")
        demo_catalogue.step(county, lambda m: None)
    assert CatalogueVersion.objects.filter(township=t1).count() == 2
    assert "S002" not in services.held_item_codes("T01", dt.date(2026, 11, 30))

"""A small catalogue in the test county, built through the services (fast, per test)."""

from __future__ import annotations

import datetime as dt

import pytest

from catalogue.helpers import V1_DATE
from zhifa.catalogue import services
from zhifa.catalogue.models import DiscretionTier, Entrustment, EntrustmentItem, Item
from zhifa.org.models import Department, Township


@pytest.fixture
def small(county):
    """C01 with items A001 法定, A002 赋权 (tiers), A003 委托, A004 offered but held by none.

    T01 holds A001–A003 (entrustment 2026-01-01…2026-12-31), T02 holds A001 and A003
    (entrustment expired on 2025-12-31). Both as version 1 effective 2026-01-01.
    """
    d1, d2 = Department.objects.get(code="D01"), Department.objects.get(code="D02")
    t1, t2 = Township.objects.get(code="T01"), Township.objects.get(code="T02")

    def item(code, name, source, dep, action="penalty"):
        return Item.objects.create(
            county=county,
            code=code,
            name=name,
            action_type=action,
            source=source,
            domain=dep.domain,
            department=dep,
            legal_basis=f"《测试法》第{code[-1]}条",
            violation="违法行为",
            penalty="罚款",
        )

    a1 = item("A001", "对非法占用土地的处罚", "statutory", d1)
    a2 = item("A002", "对擅自采砂的处罚", "empowered", d1)
    a3 = item("A003", "对滥伐林木的处罚", "entrusted", d2)
    a4 = item("A004", "林木采伐检查", "empowered", d2, action="inspection")
    DiscretionTier.objects.create(item=a2, tier="minor", condition="初次", fine_min=1000, fine_max=5000)
    DiscretionTier.objects.create(item=a2, tier="general", condition="一般", fine_min=5000, fine_max=20000)
    DiscretionTier.objects.create(item=a2, tier="severe", condition="严重", fine_min=None, fine_max=None)
    e1 = Entrustment.objects.create(
        county=county,
        doc_no="林委〔2026〕1号",
        department=d2,
        township=t1,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 12, 31),
    )
    EntrustmentItem.objects.create(entrustment=e1, item=a3)
    e2 = Entrustment.objects.create(
        county=county,
        doc_no="林委〔2025〕2号",
        department=d2,
        township=t2,
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 12, 31),
    )
    EntrustmentItem.objects.create(entrustment=e2, item=a3)
    versions = {}
    for t, its in ((t1, [a1, a2, a3]), (t2, [a1, a3])):
        v = services.create_draft(None, t)
        for it in its:
            services.pick(None, v.pk, it.pk)
        services.publish_version(v, V1_DATE, actor="测试")
        versions[t.code] = v
    return {"items": {i.code: i for i in (a1, a2, a3, a4)}, "versions": versions, "t1": t1, "t2": t2}

"""The catalogue loaders, the routing cache and the dispatcher's handler choice all answer with
the one holdings rule (zhifa.rules.holdings), on a small catalogue in the database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from zhifa.catalogue import services
from zhifa.catalogue.models import Entrustment, EntrustmentItem, Item
from zhifa.dispatch import services as dispatch_services
from zhifa.dispatch.models import Report
from zhifa.dispatch.routing import HeldItems
from zhifa.org.models import Department, Township
from zhifa.rules import holdings
from zhifa.rules.routing import decide_handler

pytestmark = pytest.mark.django_db

V1, V2 = dt.date(2026, 3, 1), dt.date(2026, 9, 1)


@pytest.fixture
def catalogue(county):
    d1, d2 = Department.objects.get(code="D01"), Department.objects.get(code="D02")
    t1 = Township.objects.get(code="T01")

    def item(code, source, dep):
        return Item.objects.create(
            county=county,
            code=code,
            name=f"事项{code}",
            action_type="penalty",
            source=source,
            domain=dep.domain,
            department=dep,
            legal_basis="《测试法》第一条",
        )

    a1, a2, a3 = item("B001", "statutory", d1), item("B002", "empowered", d1), item("B003", "entrusted", d2)
    a4 = item("B004", "empowered", d1)
    ent = Entrustment.objects.create(
        county=county,
        doc_no="委〔2026〕5号",
        department=d2,
        township=t1,
        valid_from=dt.date(2026, 1, 15),
        valid_to=dt.date(2026, 12, 31),
        ended_on=dt.date(2026, 11, 1),
        end_reason="力量调整",
    )
    EntrustmentItem.objects.create(entrustment=ent, item=a3)
    for its, day in (([a1, a2, a3], V1), ([a1, a3, a4], V2)):
        v = services.create_draft(None, t1)
        for x in its:
            services.pick(None, v.pk, x.pk)
        for x in set(Item.objects.filter(entries__version=v)) - set(its):
            services.unpick(None, v.pk, x.pk)
        services.publish_version(v, day, actor="测试")
    Item.objects.filter(pk=a1.pk).update(revoked_on=dt.date(2026, 12, 1), revoke_reason="评估")
    return {"t1": t1, "codes": ["B001", "B002", "B003", "B004"]}


def days():
    d = dt.date(2025, 12, 1)
    while d <= dt.date(2027, 1, 31):
        yield d
        d += dt.timedelta(days=5)


def test_loaders_and_routing_cache_give_the_rule_answer(catalogue):
    t1, codes = catalogue["t1"], catalogue["codes"]
    facts = services.holding_facts(t1)
    cache = HeldItems()
    for d in days():
        strict = services.held_item_codes("T01", d)
        assert strict == holdings.held_codes(facts, d)
        assert strict == {c for c in codes if services.holding_on(t1, c, d).held}, d
        routed = cache.on("T01", d)
        assert routed == holdings.held_codes(facts, d, holdings.FIRST_VERSION), d
        assert routed == {c for c in codes if services.holding_on(t1, c, d, holdings.FIRST_VERSION).held}
    assert services.held_item_codes("T01", dt.date(2026, 6, 1)) == {"B001", "B002", "B003"}
    assert services.held_item_codes("T01", dt.date(2026, 9, 10)) == {"B001", "B003", "B004"}
    assert services.held_item_codes("T01", dt.date(2026, 12, 5)) == {"B004"}  # revoked, ended early
    # the routing cache honours the entrustment's early end like held_item_codes
    assert "B003" in cache.on("T01", dt.date(2026, 10, 31))
    assert "B003" not in cache.on("T01", dt.date(2026, 11, 1))
    assert "B003" not in services.held_item_codes("T01", dt.date(2026, 11, 1))
    # before the first version: strict says nothing is held, with the catalogue's reason;
    # routing counts the first version (the entrusted item only once its entrustment starts)
    early = dt.date(2026, 2, 1)
    assert services.holding_on(t1, "B001", early).reason == holdings.NO_LIST_REASON
    assert cache.on("T01", early) == {"B001", "B002", "B003"}
    assert cache.on("T01", dt.date(2026, 1, 10)) == {"B001", "B002"}


def test_do_route_handler_choice_agrees_with_the_routers(catalogue):
    t1 = catalogue["t1"]
    departments = dict(Item.objects.values_list("code", "department__code"))
    report = SimpleNamespace(township=t1, township_id=t1.pk, county_id=t1.county_id)
    outside = SimpleNamespace(township=None, township_id=None, county_id=t1.county_id)
    cache = HeldItems()
    for d in days():
        for code in catalogue["codes"]:
            routed = decide_handler(code, "T01", cache.on("T01", d), departments)
            choice = dispatch_services.decide_handler(report, code, d)
            got = f"township:{choice.township.code}" if choice.kind == Report.TOWNSHIP else None
            got = got or f"department:{choice.department.code}"
            assert got == routed, (code, d)
            if choice.kind == Report.DEPARTMENT:
                assert choice.reason == services.holding_on(t1, code, d, holdings.FIRST_VERSION).reason
    early = dispatch_services.decide_handler(report, "B001", dt.date(2026, 2, 1))
    assert early.kind == Report.TOWNSHIP and "早于首个清单版本" in early.reason
    assert dispatch_services.decide_handler(outside, "B001", V1).reason == "事件不在任何乡镇（街道）范围内"
    assert dispatch_services.decide_handler(report, "", V1).kind == Report.SERVICE

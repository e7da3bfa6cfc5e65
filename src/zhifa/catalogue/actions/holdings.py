"""What a township holds: the database side of `zhifa.rules.holdings` (一张清单明权责).

`holding_facts` loads a township's published versions, items and entrustments as plain facts;
`holding_on` and `held_item_codes` answer with the pure rule (`holdings.holding`,
`holdings.held_codes`), so every caller gets the one implementation. `version_in_force` /
`versions_in_force` pick the published version in force on a day (the latest effective date, then
the highest number, as the rule orders versions) for pages and boards; `held_items` is the version
in force filtered by the rule; `items_for_routing` is a county's items as plain data for the router.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhifa.catalogue.actions.common import _item, _township
from zhifa.catalogue.models import CatalogueVersion, Entrustment, EntrustmentItem, Entry, Item
from zhifa.org.models import County, Township
from zhifa.rules import holdings
from zhifa.rules.holdings import Authority


def version_in_force(township: Township | str, on: dt.date) -> CatalogueVersion | None:
    """The township's published version in force on `on` (latest effective date ≤ on)."""
    t = _township(township)
    return (
        CatalogueVersion.objects.filter(township=t, status=CatalogueVersion.PUBLISHED, effective_date__lte=on)
        .order_by("-effective_date", "-number")
        .first()
    )


def versions_in_force(townships: list[Township], on: dt.date) -> dict[int, CatalogueVersion]:
    """`version_in_force` for many townships in one query: township id → its version in force
    (townships with none are absent). A board over a county's townships costs one query, not one
    per township."""
    out: dict[int, CatalogueVersion] = {}
    for v in CatalogueVersion.objects.filter(
        township__in=townships, status=CatalogueVersion.PUBLISHED, effective_date__lte=on
    ).order_by("township_id", "-effective_date", "-number"):
        out.setdefault(v.township_id, v)
    return out


def holding_facts(township: Township | str, items: list[Item] | None = None) -> holdings.HoldingFacts:
    """The township's published versions, items and entrustments as plain data for
    `zhifa.rules.holdings` (only what concerns `items` when given)."""
    t = _township(township)
    versions = list(
        CatalogueVersion.objects.filter(township=t, status=CatalogueVersion.PUBLISHED)
        .exclude(effective_date=None)
        .order_by("effective_date", "number")
        .values_list("id", "number", "effective_date")
    )
    entries = Entry.objects.filter(version_id__in=[v[0] for v in versions])
    ents = Entrustment.objects.filter(township=t)
    links = EntrustmentItem.objects.filter(entrustment__township=t)
    if items is not None:
        entries = entries.filter(item__in=items)
        links = links.filter(item__in=items)
    by_version: dict[int, dict[str, str]] = {v[0]: {} for v in versions}
    item_facts: dict[str, holdings.ItemFacts] = {}
    for version_id, code, source, revoked_on, revoke_reason in entries.values_list(
        "version_id", "item__code", "source", "item__revoked_on", "item__revoke_reason"
    ):
        by_version[version_id][code] = source
        item_facts[code] = holdings.ItemFacts(code, revoked_on, revoke_reason)
    for it in items or []:
        item_facts[it.code] = holdings.ItemFacts(it.code, it.revoked_on, it.revoke_reason)
    codes_of: dict[int, set[str]] = {}
    for ent_id, code in links.values_list("entrustment_id", "item__code"):
        codes_of.setdefault(ent_id, set()).add(code)
    if items is not None:
        ents = ents.filter(pk__in=list(codes_of))
    return holdings.HoldingFacts(
        versions=tuple(
            holdings.VersionFacts(number, day, by_version[vid], f"{t.name}执法事项清单第{number}版")
            for vid, number, day in versions
        ),
        items=item_facts,
        entrustments=tuple(
            holdings.EntrustmentFacts(
                doc_no=e.doc_no,
                department=e.department.code,
                valid_from=e.valid_from,
                valid_to=e.valid_to,
                items=frozenset(codes_of.get(e.pk, ())),
                ended_on=e.ended_on,
                end_reason=e.end_reason,
            )
            for e in ents.select_related("department")
        ),
    )


def holding_on(
    township: Township | str,
    item: Item | str,
    on: dt.date,
    before_first: holdings.BeforeFirst = holdings.STRICT,
) -> Authority:
    """Whether `township` may exercise `item` on the date `on` (`zhifa.rules.holdings.holding`).

    Held means: the item is in the township's catalogue version in force on that date
    (published, effective_date ≤ on, not superseded by a later version effective ≤ on),
    the item is not revoked (收回) on that date, and for an entrusted item (委托) a valid
    entrustment covers the date (valid_from ≤ on ≤ valid_to, before any early end).
    `before_first` chooses the rule for a day before the first published version (STRICT:
    nothing held; FIRST_VERSION: the first version judges, for routing reports).

    `township` and `item` may be model instances or codes. Returns an `Authority` with
    `held`, `source` ("statutory"/"empowered"/"entrusted" or None), `held_from`/`held_until`
    (dates or None when open), `entrustment` (dict doc_no, department code, valid_from,
    valid_to — the last day covered, earlier than the written term after an early end — or
    None) and `reason` (Chinese text why not held, empty when held).
    """
    t = _township(township)
    try:
        it = _item(item, t.county_id)
    except Item.DoesNotExist:
        return Authority(held=False, reason=f"执法事项{item}不存在")
    return holdings.holding(holding_facts(t, [it]), it.code, on, before_first)


def held_item_codes(
    township_code: str, on: dt.date, before_first: holdings.BeforeFirst = holdings.STRICT
) -> set[str]:
    """Codes of the items `township_code` may exercise on `on` (same rule as `holding_on`)."""
    return holdings.held_codes(holding_facts(township_code), on, before_first)


def held_items(township: Township, on: dt.date) -> list[Entry]:
    """Entries of the version in force that are held on `on` (for pages and the API)."""
    version = version_in_force(township, on)
    if version is None:
        return []
    codes = held_item_codes(township.code, on)
    return [e for e in version.entries.select_related("item").order_by("code") if e.item.code in codes]


def items_for_routing(county: County | str | None = None) -> list[dict[str, Any]]:
    """Every item of the county as plain data for the router.

    Keys: code, name, action_type, source, domain, department_code, legal_basis, violation,
    penalty. `county` may be a County, a county code, or None (all counties' items).
    """
    qs = Item.objects.select_related("department").order_by("code")
    if isinstance(county, County):
        qs = qs.filter(county=county)
    elif isinstance(county, str):
        qs = qs.filter(county__code=county)
    return [
        {
            "code": i.code,
            "name": i.name,
            "action_type": i.action_type,
            "source": i.source,
            "domain": i.domain,
            "department_code": i.department.code,
            "legal_basis": i.legal_basis,
            "violation": i.violation,
            "penalty": i.penalty,
        }
        for i in qs
    ]

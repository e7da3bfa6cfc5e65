"""Behaviour of the catalogue: holdings, versions, entrustments, discretion, usage.

Other domains call `holding_on`, `held_item_codes`, `items_for_routing`, `fine_range` and
`record_usage`. State changes (`create_draft`, `pick`, `unpick`, `publish`, `revoke_item`)
take the acting user, check capability and scope, and run in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from zhifa.catalogue.models import (
    ENTRUSTED,
    SNAPSHOT_FIELDS,
    TIER_CHOICES,
    TIER_LABELS,
    CatalogueVersion,
    DiscretionTier,
    Entrustment,
    EntrustmentItem,
    Entry,
    Item,
    PublishedVersionError,
    UsageCount,
)
from zhifa.org.models import County, Township
from zhifa.rules import holdings
from zhifa.rules.holdings import Authority  # re-exported: callers import it from here

EXPIRY_WARNING_DAYS = 60


# ---- lookups ---------------------------------------------------------------------------------


def _township(township: Township | str) -> Township:
    if isinstance(township, Township):
        return township
    return Township.objects.get(code=township)


def _item(item: Item | str, county_id: int | None = None) -> Item:
    if isinstance(item, Item):
        return item
    qs = Item.objects.filter(code=item)
    if county_id is not None:
        qs = qs.filter(county_id=county_id)
    found = qs.order_by("id").first()
    if found is None:
        raise Item.DoesNotExist(f"执法事项{item}不存在")
    return found


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


def published_versions(township: Township) -> list[CatalogueVersion]:
    """Published versions in order of taking effect."""
    return list(
        CatalogueVersion.objects.filter(township=township, status=CatalogueVersion.PUBLISHED).order_by(
            "effective_date", "number"
        )
    )


def superseded_by(version: CatalogueVersion) -> CatalogueVersion | None:
    """The published version that replaced `version`, if any."""
    if not version.is_published:
        return None
    return (
        CatalogueVersion.objects.filter(township_id=version.township_id, status=CatalogueVersion.PUBLISHED)
        .filter(
            Q(effective_date__gt=version.effective_date)
            | Q(effective_date=version.effective_date, number__gt=version.number)
        )
        .order_by("effective_date", "number")
        .first()
    )


def version_state(version: CatalogueVersion, today: dt.date | None = None) -> str:
    """草稿 / 待生效 / 现行有效 / 已被替代, for display."""
    today = today or timezone.localdate()
    if not version.is_published:
        return "草稿"
    nxt = superseded_by(version)
    if nxt is not None and nxt.effective_date <= today:
        return "已被替代"
    if version.effective_date > today:
        return "待生效"
    return "现行有效"


# ---- holdings --------------------------------------------------------------------------------


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


# ---- discretion and usage -----------------------------------------------------------------------


def _tier_code(tier: str) -> str:
    if tier in TIER_LABELS:
        return tier
    for code, label in TIER_CHOICES:
        if label == tier:
            return code
    raise ValueError(f"裁量阶次“{tier}”无效，应为轻微、一般、较重或严重")


def fine_range(item: Item | str, tier: str) -> tuple[Decimal, Decimal] | None:
    """The fine range (min, max) in yuan of `item`'s discretion tier, or None if not set.

    `item` is an Item or its code; `tier` is "minor"/"general"/"serious"/"severe" or
    轻微/一般/较重/严重. None also when the tier has no fine (e.g. warning only).
    """
    try:
        it = _item(item)
    except Item.DoesNotExist:
        return None
    row = DiscretionTier.objects.filter(item=it, tier=_tier_code(tier)).first()
    if row is None or row.fine_min is None or row.fine_max is None:
        return None
    return (row.fine_min, row.fine_max)


def record_usage(township: Township | str, item: Item | str, on: dt.date) -> int:
    """Count one use of `item` by `township` in the month of `on`; returns the month's count."""
    t = _township(township)
    it = _item(item, t.county_id)
    month = on.replace(day=1)
    with transaction.atomic():
        row, _ = UsageCount.objects.get_or_create(township=t, item=it, month=month)
        UsageCount.objects.filter(pk=row.pk).update(count=F("count") + 1)
        return UsageCount.objects.values_list("count", flat=True).get(pk=row.pk)


# ---- entrustments ----------------------------------------------------------------------------


def expiring_entrustments(qs=None, today: dt.date | None = None, days: int = EXPIRY_WARNING_DAYS):
    """Entrustments still valid today whose term ends within `days` days (inclusive)."""
    today = today or timezone.localdate()
    qs = Entrustment.objects.all() if qs is None else qs
    # An entrustment ended early was ended on purpose: no renewal warning for it.
    return qs.filter(
        valid_from__lte=today,
        valid_to__gte=today,
        valid_to__lte=today + dt.timedelta(days=days),
        ended_on__isnull=True,
    )


def entrustment_state(e: Entrustment, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    if e.ended_on is not None and e.ended_on <= e.valid_to:
        return "已终止" if e.ended_on <= today else "即将终止"
    if e.valid_to < today:
        return "已过期"
    if e.valid_from > today:
        return "未生效"
    if e.valid_to <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return "即将到期"
    return "有效"


def entrustments_by_item(
    township: Township, today: dt.date | None = None
) -> dict[int, tuple[Entrustment, str]]:
    """For each item entrusted to `township`: the entrustment that matters today and its state.

    The one covering today with the latest end; otherwise the one that ended last (or starts first).
    """
    today = today or timezone.localdate()
    best: dict[int, Entrustment] = {}

    def rank(e: Entrustment) -> tuple:
        return (e.covers(today), e.valid_to)

    for e in Entrustment.objects.filter(township=township).prefetch_related("item_links"):
        for link in e.item_links.all():
            cur = best.get(link.item_id)
            if cur is None or rank(e) > rank(cur):
                best[link.item_id] = e
    return {item_id: (e, entrustment_state(e, today)) for item_id, e in best.items()}


# ---- versions ---------------------------------------------------------------------------------


class StaleVersion(ValidationError):
    """A change made from an older revision of a draft or an entrustment: someone else changed it
    in between. Nothing is written; the API answers 409, the page says so."""

    def __init__(self, what: str, current: int) -> None:
        self.current = current
        super().__init__({"revision": f"{what}已被他人修改（当前为第{current}次修改），请刷新页面后重试"})


def check_revision(obj, expected: int | str | None, what: str) -> None:
    """Refuse a change made from another revision than the row's (locked) current one."""
    if expected is None or expected == "":
        return
    try:
        seen = int(expected)
    except (TypeError, ValueError):
        raise ValidationError({"revision": "修改次数（revision）应为整数"}) from None
    if seen != obj.revision:
        raise StaleVersion(what, obj.revision)


def _bump(obj) -> None:
    obj.revision += 1
    obj.save(update_fields=["revision"])


def _changeable_version(user, version_id: int) -> CatalogueVersion:
    """The version if `user` may change it, locked until the change commits (two publishers or
    pickers queue instead of both passing their checks); DoesNotExist (→ 404) out of scope."""
    qs = CatalogueVersion.objects.restrict(user, "change") if user is not None else CatalogueVersion.objects
    return qs.select_for_update().select_related("township").get(pk=version_id)


def _require(user, capability: str, message: str) -> None:
    if user is not None and not user.can(capability):
        raise PermissionDenied(message)


def _next_number(township: Township) -> int:
    return (CatalogueVersion.objects.filter(township=township).aggregate(m=Max("number"))["m"] or 0) + 1


def offered_items(county: County, on: dt.date | None = None):
    """Items the county offers: not revoked (on `on`, default today)."""
    on = on or timezone.localdate()
    return Item.objects.filter(county=county).filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))


@transaction.atomic
def create_draft(user, township: Township) -> CatalogueVersion:
    """Open a draft for `township`, starting from its latest published version's items.

    Only one draft per township at a time: an existing draft is returned.
    """
    _require(user, "catalogue.pick_items", "您没有编辑执法事项清单的权限。")
    if user is not None and not Township.objects.restrict(user, "change").filter(pk=township.pk).exists():
        raise Township.DoesNotExist("乡镇（街道）不存在")
    existing = CatalogueVersion.objects.filter(township=township, status=CatalogueVersion.DRAFT).first()
    if existing is not None:
        return existing
    draft = CatalogueVersion.objects.create(township=township, number=_next_number(township))
    latest = published_versions(township)
    if latest:
        today = timezone.localdate()
        for old in latest[-1].entries.select_related("item__department"):
            if old.item.is_revoked(today):
                continue
            e = Entry(version=draft)
            e.fill_from(old.item)
            e.save()
    return draft


@transaction.atomic
def pick(user, version_id: int, item_id: int, expected_revision: int | str | None = None) -> Entry:
    """Add an offered item to a draft (乡镇点单)."""
    _require(user, "catalogue.pick_items", "您没有编辑执法事项清单的权限。")
    version = _changeable_version(user, version_id)
    if version.is_published:
        raise PublishedVersionError("已发布的清单版本不可修改，请新建草稿。")
    check_revision(version, expected_revision, "该清单草稿")
    item = offered_items(version.township.county).select_related("department").filter(pk=item_id).first()
    if item is None:
        raise ValidationError("该事项不存在或已收回，不能点选。")
    existing = Entry.objects.filter(version=version, item=item).first()
    if existing is not None:
        return existing
    entry = Entry(version=version)
    entry.fill_from(item)
    entry.save()
    _bump(version)
    return entry


@transaction.atomic
def unpick(user, version_id: int, item_id: int, expected_revision: int | str | None = None) -> None:
    """Remove an item from a draft."""
    _require(user, "catalogue.pick_items", "您没有编辑执法事项清单的权限。")
    version = _changeable_version(user, version_id)
    if version.is_published:
        raise PublishedVersionError("已发布的清单版本不可修改，请新建草稿。")
    check_revision(version, expected_revision, "该清单草稿")
    removed = False
    for entry in Entry.objects.filter(version=version, item_id=item_id):
        entry.delete()
        removed = True
    if removed:
        _bump(version)


def publish_version(version: CatalogueVersion, effective_date: dt.date, actor=None, note: str = "") -> None:
    """Publish a draft: refresh its snapshots from the items, then freeze it. No scope check."""
    if version.is_published:
        raise PublishedVersionError("该清单版本已发布，不可再次发布或修改。")
    if not isinstance(effective_date, dt.date):
        raise ValidationError("请填写生效日期（格式 YYYY-MM-DD）。")
    latest = published_versions(version.township)
    if latest and effective_date < latest[-1].effective_date:
        raise ValidationError(
            f"生效日期{effective_date:%Y-%m-%d}早于现行版本（第{latest[-1].number}版）的生效日期"
            f"{latest[-1].effective_date:%Y-%m-%d}。"
        )
    entries = list(version.entries.select_related("item__department"))
    revoked = [e.item.code for e in entries if e.item.is_revoked(effective_date)]
    if revoked:
        raise ValidationError(f"以下事项已收回，不能发布：{'、'.join(revoked)}。请先移出清单。")
    for entry in entries:
        before = {k: getattr(entry, k) for k, _ in SNAPSHOT_FIELDS}
        entry.fill_from(entry.item)
        if before != {k: getattr(entry, k) for k, _ in SNAPSHOT_FIELDS}:
            entry.save()
    version.status = CatalogueVersion.PUBLISHED
    version.revision += 1
    version.effective_date = effective_date
    version.published_at = timezone.now()
    if actor is not None and not isinstance(actor, str):
        version.published_by = actor
        version.published_by_name = actor.display_name
    elif isinstance(actor, str):
        version.published_by_name = actor
    if note:
        version.note = note[:300]
    version.save()


@transaction.atomic
def publish(
    user, version_id: int, effective_date: dt.date, note: str = "", expected_revision: int | str | None = None
) -> CatalogueVersion:
    """Publish a township's draft with an effective date; it never changes again.

    With `expected_revision` (the revision the publisher looked at) a draft changed since is not
    published: the publisher must see what they publish."""
    _require(user, "catalogue.publish", "您没有发布执法事项清单的权限。")
    version = _changeable_version(user, version_id)
    if not version.is_published:
        check_revision(version, expected_revision, "该清单草稿")
    publish_version(version, effective_date, actor=user, note=note)
    return version


@transaction.atomic
def discard_draft(user, version_id: int, expected_revision: int | str | None = None) -> None:
    _require(user, "catalogue.pick_items", "您没有编辑执法事项清单的权限。")
    version = _changeable_version(user, version_id)
    if version.is_published:
        raise PublishedVersionError("已发布的清单版本不可删除。")
    check_revision(version, expected_revision, "该清单草稿")
    for entry in version.entries.all():
        entry.delete()
    version.delete()


# ---- comparison ---------------------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Comparison:
    old: CatalogueVersion
    new: CatalogueVersion
    added: list[Entry]
    removed: list[Entry]
    changed: list[tuple[Entry, list[FieldChange]]]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(old: CatalogueVersion, new: CatalogueVersion) -> Comparison:
    """Items added, removed and changed (field by field) from `old` to `new`."""
    a = {e.item_id: e for e in old.entries.all()}
    b = {e.item_id: e for e in new.entries.all()}
    added = sorted((b[k] for k in b.keys() - a.keys()), key=lambda e: e.code)
    removed = sorted((a[k] for k in a.keys() - b.keys()), key=lambda e: e.code)
    changed = []
    for k in sorted(a.keys() & b.keys(), key=lambda k: b[k].code):
        diffs = [
            FieldChange(f, label, str(getattr(a[k], f)), str(getattr(b[k], f)))
            for f, label in SNAPSHOT_FIELDS
            if getattr(a[k], f) != getattr(b[k], f)
        ]
        if diffs:
            changed.append((b[k], diffs))
    return Comparison(old, new, added, removed, changed)


# ---- revocation ----------------------------------------------------------------------------------


@transaction.atomic
def revoke_item(user, item_id: int, on: dt.date, reason: str) -> Item:
    """Take an item back (收回) from all townships from `on`, with a reason."""
    _require(user, "catalogue.edit_county", "只有县级系统管理员可以收回执法事项。")
    qs = Item.objects.restrict(user, "change") if user is not None else Item.objects.all()
    item = qs.select_for_update().get(pk=item_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写收回理由。")
    if not isinstance(on, dt.date):
        raise ValidationError("请填写收回日期（格式 YYYY-MM-DD）。")
    if item.revoked_on is not None:
        raise ValidationError(f"该事项已于{item.revoked_on:%Y-%m-%d}收回。")
    item.revoked_on = on
    item.revoke_reason = reason
    item.save()
    return item


# ---- the county's list of offered items and its entrustments (county administrator) -----------------

ITEM_FIELDS: list[tuple[str, str]] = [
    ("code", "事项编码"),
    ("name", "事项名称"),
    ("action_type", "事项类型"),
    ("source", "来源"),
    ("domain", "领域"),
    ("department", "实施部门"),
    ("legal_basis", "法律依据"),
    ("violation", "违法行为"),
    ("penalty", "法定处罚"),
]


@transaction.atomic
def save_item(user, county: County, data: dict[str, Any], item_id: int | None = None) -> Item:
    """Create (item_id None) or edit an offered item (部门列单). The code never changes once set.

    Published versions keep their snapshots; the new text reaches townships through their next
    published version. Errors name the field, all at once.
    """
    _require(user, "catalogue.edit_county", "只有县级系统管理员可以维护执法事项。")
    from zhifa.catalogue.models import ACTION_TYPE_LABELS, SOURCE_LABELS
    from zhifa.org.models import Department

    if item_id is not None:
        qs = Item.objects.restrict(user, "change") if user is not None else Item.objects.all()
        item = qs.select_for_update().get(pk=item_id, county=county)
    else:
        item = Item(county=county)
    values = {k: str(data.get(k, "") or "").strip() for k, _ in ITEM_FIELDS}
    errors: dict[str, list[str]] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    if item.pk is None:
        if not values["code"]:
            err("code", "事项编码：不能为空")
        elif len(values["code"]) > 30:
            err("code", "事项编码：长度不能超过30个字符")
        elif Item.objects.filter(county=county, code=values["code"]).exists():
            err("code", f"事项编码：{values['code']}已存在")
    for key, label in (("name", "事项名称"), ("legal_basis", "法律依据")):
        if not values[key]:
            err(key, f"{label}：不能为空")
    if len(values["name"]) > 300:
        err("name", "事项名称：长度不能超过300个字符")
    if len(values["domain"]) > 50:
        err("domain", "领域：长度不能超过50个字符")
    if values["action_type"] not in ACTION_TYPE_LABELS:
        err("action_type", "事项类型：请选择行政处罚、行政强制或行政检查")
    if values["source"] not in SOURCE_LABELS:
        err("source", "来源：请选择法定、赋权或委托")
    department = Department.objects.filter(county=county, code=values["department"]).first()
    if department is None:
        err("department", "实施部门：请选择本县的部门")
    if errors:
        raise ValidationError(errors)
    if item.pk is None:
        item.code = values["code"]
    for key in ("name", "action_type", "source", "domain", "legal_basis", "violation", "penalty"):
        setattr(item, key, values[key])
    item.department = department
    item.save()
    return item


@transaction.atomic
def create_entrustment(
    user,
    county: County,
    *,
    doc_no: str,
    department_code: str,
    township_code: str,
    item_codes: list[str],
    valid_from: dt.date | None,
    valid_to: dt.date | None,
) -> Entrustment:
    """Record a written entrustment (委托书) of entrusted items to a township for a term.

    A renewal is a new document with a new term; the old one stays as history.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以登记委托书。")
    from zhifa.catalogue.models import EntrustmentItem
    from zhifa.org.models import Department

    errors: dict[str, list[str]] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    doc_no = (doc_no or "").strip()
    if not doc_no:
        err("doc_no", "委托书文号：不能为空")
    elif len(doc_no) > 80:
        err("doc_no", "委托书文号：长度不能超过80个字符")
    elif Entrustment.objects.filter(county=county, doc_no=doc_no).exists():
        err("doc_no", f"委托书文号：{doc_no}已登记")
    department = Department.objects.filter(county=county, code=department_code).first()
    if department is None:
        err("department", "委托部门：请选择本县的部门")
    township = Township.objects.filter(county=county, code=township_code).first()
    if township is None:
        err("township", "受委托乡镇（街道）：请选择本县的乡镇（街道）")
    if valid_from is None:
        err("valid_from", "有效期自：请填写日期（YYYY-MM-DD）")
    if valid_to is None:
        err("valid_to", "有效期至：请填写日期（YYYY-MM-DD）")
    if valid_from and valid_to and valid_to < valid_from:
        err("valid_to", "有效期至：不能早于有效期起始日期")
    codes, items = _check_items(county, department, item_codes, err)
    if errors:
        raise ValidationError(errors)
    e = Entrustment.objects.create(
        county=county,
        doc_no=doc_no,
        department=department,
        township=township,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    for code in codes:
        EntrustmentItem.objects.create(entrustment=e, item=items[code])
    return e


def _check_items(county: County, department, codes: list[str], err) -> tuple[list[str], dict[str, Item]]:
    """The chosen entrusted items of `department`; every problem goes to `err("items", …)`."""
    codes = sorted({c.strip() for c in codes if c and c.strip()})
    items = {i.code: i for i in Item.objects.filter(county=county, code__in=codes)}
    if not codes:
        err("items", "委托事项：请至少选择一项")
    for code in codes:
        it = items.get(code)
        if it is None:
            err("items", f"委托事项：{code}不存在")
        elif it.source != ENTRUSTED:
            err("items", f"委托事项：{code}不是委托事项")
        elif department is not None and it.department_id != department.pk:
            err("items", f"委托事项：{code}的实施部门不是{department.name}")
    return codes, items


def _changeable_entrustment(user, entrustment_id: int) -> Entrustment:
    qs = Entrustment.objects.restrict(user, "change") if user is not None else Entrustment.objects.all()
    return qs.select_for_update().select_related("department", "township", "county").get(pk=entrustment_id)


def _refuse_closed(e: Entrustment, today: dt.date, what: str) -> None:
    if e.ended_on is not None:
        raise ValidationError(f"委托书{e.doc_no}已提前终止（自{e.ended_on:%Y-%m-%d}起），不能再{what}。")
    if e.valid_to < today:
        raise ValidationError(
            f"委托书{e.doc_no}已于{e.valid_to:%Y-%m-%d}到期，不能再{what}；请以新文号续签。"
        )


@transaction.atomic
def update_entrustment(
    user,
    entrustment_id: int,
    *,
    doc_no: str,
    item_codes: list[str],
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    today: dt.date | None = None,
    expected_revision: int | str | None = None,
) -> Entrustment:
    """Correct a current or future entrustment: its document number, term and items.

    Department and township stay (another party is another document). An expired or ended
    entrustment is history and stays as it was; so does the part of a term already past, which
    is why the new end may not lie before today.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以修改委托书。")
    from zhifa.catalogue.models import EntrustmentItem

    today = today or timezone.localdate()
    e = _changeable_entrustment(user, entrustment_id)
    check_revision(e, expected_revision, f"委托书{e.doc_no}")
    _refuse_closed(e, today, "修改")
    errors: dict[str, list[str]] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(field_name, []).append(message)

    doc_no = (doc_no or "").strip()
    if not doc_no:
        err("doc_no", "委托书文号：不能为空")
    elif len(doc_no) > 80:
        err("doc_no", "委托书文号：长度不能超过80个字符")
    elif Entrustment.objects.filter(county=e.county, doc_no=doc_no).exclude(pk=e.pk).exists():
        err("doc_no", f"委托书文号：{doc_no}已登记")
    if valid_from is None:
        err("valid_from", "有效期自：请填写日期（YYYY-MM-DD）")
    if valid_to is None:
        err("valid_to", "有效期至：请填写日期（YYYY-MM-DD）")
    if valid_from and valid_to and valid_to < valid_from:
        err("valid_to", "有效期至：不能早于有效期起始日期")
    elif valid_to and valid_to < today:
        err("valid_to", f"有效期至：不能早于今天（{today:%Y-%m-%d}）；要提前结束委托请使用“提前终止”")
    codes, items = _check_items(e.county, e.department, item_codes, err)
    if errors:
        raise ValidationError(errors)
    e.doc_no, e.valid_from, e.valid_to = doc_no, valid_from, valid_to
    e.revision += 1
    e.save()
    # Link rows are saved and deleted one by one so that each change of items is audited.
    current = {link.item.code: link for link in e.item_links.select_related("item")}
    for code in sorted(current.keys() - set(codes)):
        current[code].delete()
    for code in codes:
        if code not in current:
            EntrustmentItem.objects.create(entrustment=e, item=items[code])
    return e


@transaction.atomic
def end_entrustment(
    user,
    entrustment_id: int,
    on: dt.date | None,
    reason: str,
    today: dt.date | None = None,
    expected_revision: int | str | None = None,
) -> Entrustment:
    """End an entrustment early (提前终止): from `on` it covers nothing; the reason is kept.

    `on` may not lie before today: acts already done under the entrustment keep their footing.
    """
    _require(user, "catalogue.manage_entrustments", "只有县级系统管理员可以终止委托书。")
    today = today or timezone.localdate()
    e = _changeable_entrustment(user, entrustment_id)
    check_revision(e, expected_revision, f"委托书{e.doc_no}")
    _refuse_closed(e, today, "终止")
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["end_reason"] = ["终止理由：不能为空"]
    if not isinstance(on, dt.date):
        errors["ended_on"] = ["终止日期：请填写日期（YYYY-MM-DD）"]
    elif on < today:
        errors["ended_on"] = [f"终止日期：不能早于今天（{today:%Y-%m-%d}），已经过去的委托期间不能追溯终止"]
    elif on > e.valid_to:
        errors["ended_on"] = [
            f"终止日期：晚于有效期届满日{e.valid_to:%Y-%m-%d}，委托到期自然终止，无需提前终止"
        ]
    if errors:
        raise ValidationError(errors)
    e.ended_on, e.end_reason = on, reason
    e.revision += 1
    e.save()
    return e


@dataclass
class HistoryRow:
    at: dt.datetime
    actor: str
    what: str
    details: list[str]


ENTRUSTMENT_LABELS = {
    "doc_no": "委托书文号",
    "valid_from": "有效期自",
    "valid_to": "有效期至",
    "ended_on": "提前终止日期",
    "end_reason": "终止理由",
    "department_id": "委托部门",
    "township_id": "受委托乡镇（街道）",
}


def entrustment_history(e: Entrustment) -> list[HistoryRow]:
    """The audit log's entries for an entrustment and its item links, oldest first, in words."""
    from zhifa.core.models import AuditEntry

    pk = str(e.pk)
    entries = AuditEntry.objects.filter(
        Q(model="catalogue.Entrustment", object_id=pk)
        | Q(model="catalogue.EntrustmentItem", after__entrustment_id=e.pk)
        | Q(model="catalogue.EntrustmentItem", before__entrustment_id=e.pk)
    ).order_by("id")
    entries = list(entries)
    item_ids = {
        (x.after or x.before or {}).get("item_id") for x in entries if x.model == "catalogue.EntrustmentItem"
    }
    codes = dict(Item.objects.filter(pk__in=[i for i in item_ids if i]).values_list("pk", "code"))
    rows = []
    for x in entries:
        if x.model == "catalogue.EntrustmentItem":
            code = codes.get((x.after or x.before or {}).get("item_id"), "?")
            what = {"create": f"加入委托事项{code}", "delete": f"移出委托事项{code}"}.get(
                x.action, f"变更委托事项{code}"
            )
            rows.append(HistoryRow(x.at, x.actor, what, []))
            continue
        before, after = x.before or {}, x.after or {}
        if x.action == "create":
            rows.append(
                HistoryRow(
                    x.at,
                    x.actor,
                    "登记委托书",
                    [f"文号{after.get('doc_no')}，有效期{after.get('valid_from')}至{after.get('valid_to')}"],
                )
            )
            continue
        details = [
            f"{label}：{before.get(k) or '（空）'} → {after.get(k) or '（空）'}"
            for k, label in ENTRUSTMENT_LABELS.items()
            if before.get(k) != after.get(k)
        ]
        what = "提前终止" if after.get("ended_on") and not before.get("ended_on") else "修改委托书"
        if x.action == "delete":
            what = "删除委托书"
        rows.append(HistoryRow(x.at, x.actor, what, details + ([x.reason] if x.reason else [])))
    return rows


# ---- discretion benchmarks (county administrator) --------------------------------------------------

MAX_FINE = Decimal("999999999999.99")  # the column holds 14 digits, two of them decimals


def _amount(label: str, raw: Any, errors: list[str]) -> Decimal | None:
    """A fine amount in yuan: empty → None; else non-negative, at most two decimals."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        errors.append(f"{label}：“{raw}”不是有效金额，请填写数字（元）")
        return None
    if not d.is_finite():
        errors.append(f"{label}：“{raw}”不是有效金额，请填写数字（元）")
    elif d < 0:
        errors.append(f"{label}：不能为负数")
    elif d != d.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        errors.append(f"{label}：金额最多保留两位小数（到分）")
    elif d > MAX_FINE:
        errors.append(f"{label}：金额过大")
    else:
        return d.quantize(Decimal("0.01"))
    return None


def _yuan(d: Decimal) -> str:
    return f"{d:f}".rstrip("0").rstrip(".") if "." in f"{d:f}" else f"{d:f}"


@transaction.atomic
def save_tiers(user, item_id: int, data: dict[str, dict[str, Any] | None]) -> list[DiscretionTier]:
    """Set a penalty item's discretion benchmark (裁量基准): tier code → condition and fine range.

    A tier whose condition and amounts are all empty (or None) is removed; tiers not in `data`
    stay as they are (the web form always sends all four, so it replaces the whole benchmark).
    A tier may have no fine (warning only): both amounts empty. Checks, all reported at once:
    min ≤ max (the review rule PEN-DISCRETION tests min ≤ fine ≤ max), non-negative, at most two
    decimals, both amounts or neither, and a graver tier never below a lighter one — neither its
    minimum below the lighter minimum nor its maximum below the lighter maximum.
    """
    _require(user, "catalogue.edit_county", "只有县级系统管理员可以修改裁量基准。")
    from zhifa.catalogue.models import PENALTY

    qs = Item.objects.restrict(user, "change") if user is not None else Item.objects.all()
    item = qs.select_for_update().get(pk=item_id)
    if item.action_type != PENALTY:
        raise ValidationError("该事项不是行政处罚事项，不能设置裁量基准。")
    unknown = [str(k) for k in data if k not in TIER_LABELS]
    if unknown:
        raise ValidationError(
            {"tiers": [f"裁量阶次“{k}”无效，应为minor、general、serious或severe" for k in unknown]}
        )
    existing = {d.tier: d for d in DiscretionTier.objects.filter(item=item)}
    errors: dict[str, list[str]] = {}
    wanted: dict[str, tuple[str, Decimal | None, Decimal | None] | None] = {
        code: (existing[code].condition, existing[code].fine_min, existing[code].fine_max)
        if code in existing
        else None
        for code, _ in TIER_CHOICES
    }
    for code, _ in TIER_CHOICES:
        if code not in data:
            continue
        label = TIER_LABELS[code]
        row = data[code] or {}
        condition = str(row.get("condition") or "").strip()
        msgs: list[str] = []
        fmin = _amount(f"{label}档罚款下限", row.get("fine_min"), msgs)
        fmax = _amount(f"{label}档罚款上限", row.get("fine_max"), msgs)
        raw_given = any(row.get(k) is not None and str(row.get(k)).strip() for k in ("fine_min", "fine_max"))
        if not condition and not raw_given:
            wanted[code] = None
            continue
        if not condition:
            msgs.append(f"{label}档适用情形：不能为空（不设该档请将适用情形和金额都留空）")
        if not msgs and (fmin is None) != (fmax is None):
            msgs.append(f"{label}档：罚款下限和上限应同时填写，或同时留空（该档不罚款）")
        if not msgs and fmin is not None and fmax is not None and fmin > fmax:
            msgs.append(f"{label}档：罚款下限{_yuan(fmin)}元大于上限{_yuan(fmax)}元")
        if msgs:
            errors[code] = msgs
        wanted[code] = (condition, fmin, fmax)
    if not errors:
        filled = [
            (code, w[1], w[2])
            for code, w in ((c, wanted[c]) for c, _ in TIER_CHOICES)
            if w and w[1] is not None
        ]
        for i, (hi, hmin, hmax) in enumerate(filled):
            for lo, lmin, lmax in filled[:i]:
                if hmin < lmin:
                    errors.setdefault(hi, []).append(
                        f"{TIER_LABELS[hi]}档：罚款下限{_yuan(hmin)}元低于较轻的“{TIER_LABELS[lo]}”档下限"
                        f"{_yuan(lmin)}元，情节越重罚款幅度不能越低"
                    )
                if hmax < lmax:
                    errors.setdefault(hi, []).append(
                        f"{TIER_LABELS[hi]}档：罚款上限{_yuan(hmax)}元低于较轻的“{TIER_LABELS[lo]}”档上限"
                        f"{_yuan(lmax)}元，情节越重罚款幅度不能越低"
                    )
    if errors:
        raise ValidationError(errors)
    for code, _ in TIER_CHOICES:
        w, old = wanted[code], existing.get(code)
        if w is None:
            if old is not None:
                old.delete()
            continue
        if old is None:
            DiscretionTier.objects.create(item=item, tier=code, condition=w[0], fine_min=w[1], fine_max=w[2])
        elif (old.condition, old.fine_min, old.fine_max) != w:
            old.condition, old.fine_min, old.fine_max = w
            old.save()
    return sorted(DiscretionTier.objects.filter(item=item), key=lambda d: d.order)

"""A township's catalogue versions (清单版本): reading them, and the draft's life.

Reading: `published_versions`, `superseded_by`, `version_state` (草稿 / 待生效 / 现行有效 /
已被替代) and `compare` (items added, removed and changed between two versions). Changing:
`create_draft`, `pick` (乡镇点单) and `unpick`, `publish` (`publish_version` without the scope
check, for the importer and fixtures) and `discard_draft`. Every change locks the version, checks
the capability and the revision the user saw, and runs in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from zhifa.catalogue.actions.common import _bump, _require, check_revision
from zhifa.catalogue.models import (
    SNAPSHOT_FIELDS,
    CatalogueVersion,
    Entry,
    Item,
    PublishedVersionError,
)
from zhifa.org.models import County, Township


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


def _changeable_version(user, version_id: int) -> CatalogueVersion:
    """The version if `user` may change it, locked until the change commits (two publishers or
    pickers queue instead of both passing their checks); DoesNotExist (→ 404) out of scope."""
    qs = CatalogueVersion.objects.restrict(user, "change") if user is not None else CatalogueVersion.objects
    return qs.select_for_update().select_related("township").get(pk=version_id)


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

"""Discretion benchmarks (裁量基准) and usage counts.

`fine_range` reads an item's fine range for a tier (case decisions check the fine against it);
`save_tiers` sets a penalty item's benchmark (county administrator); `record_usage` counts a
township's use of an item per month.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from zhifa.catalogue.actions.common import _item, _require, _township
from zhifa.catalogue.models import PENALTY, TIER_CHOICES, TIER_LABELS, DiscretionTier, Item, UsageCount
from zhifa.org.models import Township


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


Wanted = dict[str, tuple[str, Decimal | None, Decimal | None] | None]


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
    wanted, errors = _wanted_tiers(data, existing)
    if not errors:
        _check_tier_order(wanted, errors)
    if errors:
        raise ValidationError(errors)
    _store_tiers(item, wanted, existing)
    return sorted(DiscretionTier.objects.filter(item=item), key=lambda d: d.order)


def _wanted_tiers(
    data: dict[str, dict[str, Any] | None], existing: dict[str, DiscretionTier]
) -> tuple[Wanted, dict[str, list[str]]]:
    """Each tier as it should be (condition, min, max; None: no such tier), the tiers not in
    `data` as they are, and each tier's own problems (tier code → messages)."""
    errors: dict[str, list[str]] = {}
    wanted: Wanted = {
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
    return wanted, errors


def _check_tier_order(wanted: Wanted, errors: dict[str, list[str]]) -> None:
    """A graver tier with a fine never below a lighter one: neither its minimum nor its maximum."""
    filled = [
        (code, w[1], w[2]) for code, w in ((c, wanted[c]) for c, _ in TIER_CHOICES) if w and w[1] is not None
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


def _store_tiers(item: Item, wanted: Wanted, existing: dict[str, DiscretionTier]) -> None:
    """Create, change or delete each tier row so that it is as `wanted` (rows already so stay)."""
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

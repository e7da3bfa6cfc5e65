"""Time limits per step, item and priority (限期督办), configured by the county.

A row for an item and a priority beats one for the item alone, which beats one for the priority
alone, which beats the county-wide row; without any row the defaults of the rules apply
(`zhifa.rules.dispatch_workflow.DEFAULT_LIMITS`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.core.tablecache import TableCache
from zhifa.dispatch.models import TimeLimit
from zhifa.org import roles
from zhifa.org.models import County
from zhifa.rules import dispatch_workflow as wf

UNITS = {wf.WORKDAYS: "工作日", wf.WORKHOURS: "工作小时", wf.HOURS: "小时"}


def _county_rows(county_id) -> dict[tuple[str, str, str], wf.Limit]:
    return {
        (r.step, r.item_code, r.priority): wf.Limit(r.amount, r.unit)
        for r in TimeLimit.objects.filter(county_id=county_id)
    }


# Read for every report taken in or moved on; a county has at most a few thousand rows.
_rows = TableCache([TimeLimit], _county_rows)


def limit_for(county_id: int, step: str, item_code: str, priority: str) -> wf.Limit | None:
    """The configured limit for `step` (most specific row wins), else the default of the rules."""
    rows = _rows.get(county_id)
    for key in ((item_code, priority), (item_code, ""), ("", priority), ("", "")):
        found = rows.get((step, *key))
        if found is not None:
            return found
    return wf.default_limit(step, priority)


def _require(actor) -> None:
    if not roles.has_capability(actor, "dispatch.limits"):
        raise PermissionDenied("只有县级调度员或管理员可以设置办理时限。")


def save_limit(
    actor, *, county: County, step: str, amount, unit: str, item_code: str = "", priority: str = ""
) -> TimeLimit:
    from zhifa.catalogue.models import Item

    _require(actor)
    errors: dict[str, str] = {}
    if step not in wf.TIMED_STATES:
        errors["step"] = "请选择环节（受理、签收、处置、联合处置、核查回访）"
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        amount = 0
    if not 1 <= amount <= 365:
        errors["amount"] = "时限应为1至365之间的整数"
    if unit not in UNITS:
        errors["unit"] = "单位应为工作日、工作小时或小时"
    item_code = (item_code or "").strip()
    if item_code and not Item.objects.filter(county=county, code=item_code).exists():
        errors["item_code"] = f"执法事项“{item_code}”不存在"
    if priority and priority not in wf.PRIORITY_LABELS:
        errors["priority"] = "紧急程度应为一般、紧急或特急"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row, _ = TimeLimit.objects.update_or_create(
            county=county,
            item_code=item_code,
            priority=priority or "",
            step=step,
            defaults={"amount": amount, "unit": unit},
        )
    return row


def delete_limit(actor, county: County, limit_id: int) -> None:
    _require(actor)
    with transaction.atomic():
        row = TimeLimit.objects.filter(county=county, pk=limit_id).first()
        if row is None:
            raise ValidationError("该时限设置不存在")
        row.delete()


def defaults_table() -> list[dict]:
    steps = [s for s in (wf.RECEIVED, wf.ROUTED, wf.HANDLING, wf.JOINT, wf.VERIFYING)]
    return [
        {
            "priority": wf.PRIORITY_LABELS[p],
            "limits": [wf.DEFAULT_LIMITS[p][s].label() for s in steps],
        }
        for p in wf.PRIORITY_LABELS
    ]

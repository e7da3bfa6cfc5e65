"""The county's list of offered items (部门列单), kept by the county administrator: `save_item`
(create or edit; the code never changes) and `revoke_item` (收回 from all townships from a day)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from zhifa.catalogue.actions.common import _require
from zhifa.catalogue.models import ACTION_TYPE_LABELS, SOURCE_LABELS, Item
from zhifa.org.models import County, Department

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

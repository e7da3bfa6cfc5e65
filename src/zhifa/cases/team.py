"""Managing the township team: squads, officer profiles (certificates), training records.

Each change is one function in a transaction, checked against the `cases.manage_team` capability
and the user's scope (a township administrator manages only the own township's team)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.cases.models import Officer, Squad, Training
from zhifa.org.models import Department, Township, User


def _require(user, township: Township) -> None:
    if not user.can("cases.manage_team"):
        raise PermissionDenied("您没有管理执法队伍的权限。")
    if not Township.objects.restrict(user, "change").filter(pk=township.pk).exists():
        raise PermissionDenied(f"您不能管理{township}的执法队伍。")


@transaction.atomic
def do_create_squad(user, township: Township, name: str, domain: str = "") -> Squad:
    _require(user, township)
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写中队名称。")
    if Squad.objects.filter(township=township, name=name).exists():
        raise ValidationError(f"中队“{name}”已存在。")
    return Squad.objects.create(township=township, name=name, domain=(domain or "").strip())


@transaction.atomic
def do_save_officer(
    user,
    member: User,
    *,
    kind: str,
    cert_no: str = "",
    cert_valid_from: dt.date | None = None,
    cert_valid_to: dt.date | None = None,
    home_department: Department | None = None,
    squad: Squad | None = None,
    active: bool = True,
) -> Officer:
    """Create or update the enforcement profile of a township account."""
    if member.township is None:
        raise ValidationError(f"{member.display_name}未关联乡镇（街道），不能登记为执法队员。")
    _require(user, member.township)
    errors: list[str] = []
    if kind not in dict(Officer.KIND_CHOICES):
        errors.append("人员类别：请选择执法人员、辅助人员或派驻执法人员。")
    cert_no = (cert_no or "").strip()
    if kind == Officer.AUXILIARY and cert_no:
        errors.append("执法证号：辅助人员不持执法证，不能登记证号。")
    if kind != Officer.AUXILIARY and cert_no and cert_valid_to is None:
        errors.append("证件有效期至：登记执法证号时必须填写有效期。")
    if cert_valid_from and cert_valid_to and cert_valid_to < cert_valid_from:
        errors.append("证件有效期：截止日期早于起始日期。")
    if kind == Officer.SECONDED and home_department is None:
        errors.append("派出单位：派驻执法人员须登记派出的县直部门（双重管理）。")
    if squad is not None and squad.township_id != member.township_id:
        errors.append("中队：只能选择本乡镇（街道）的中队。")
    if errors:
        raise ValidationError(errors)
    off = Officer.objects.filter(user=member).first() or Officer(user=member)
    off.township = member.township
    off.kind = kind
    off.cert_no = cert_no
    off.cert_valid_from = cert_valid_from
    off.cert_valid_to = cert_valid_to if cert_no else None
    off.home_department = home_department if kind == Officer.SECONDED else None
    off.squad = squad
    off.active = active
    off.save()
    return off


@transaction.atomic
def do_add_training(user, officer: Officer, *, date: dt.date, title: str, hours) -> Training:
    _require(user, officer.township)
    title = (title or "").strip()
    if not title:
        raise ValidationError("培训内容：请填写。")
    try:
        h = Decimal(str(hours))
    except InvalidOperation:
        raise ValidationError(f"学时“{hours}”不是有效数字。") from None
    if h <= 0 or h > 1000:
        raise ValidationError("学时应大于0。")
    return Training.objects.create(officer=officer, date=date, title=title, hours=h)

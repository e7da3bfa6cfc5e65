"""Account administration: every change is one function, scoped to the acting administrator."""

from __future__ import annotations

import copy

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.core.tablecache import TableCache
from zhifa.org import roles
from zhifa.org.models import County, Department, Township, User


def county_of(user) -> County | None:
    """The county a user works for: their own, or that of their township or department.

    A superuser without one gets the first county (an installation normally holds one county).
    """
    if user.county_id:
        return user.county
    if user.township_id:
        return user.township.county
    if user.department_id:
        return user.department.county
    return County.objects.order_by("id").first()


_townships = TableCache([Township], lambda pk: Township.objects.filter(pk=pk).first())


def township(pk: int) -> Township | None:
    """The township row by id, from this process's cache (intake reads it for every report).

    A copy, so a caller that changes it changes nothing shared."""
    found = _townships.get(pk)
    return copy.copy(found) if found is not None else None


def _require(actor, capability: str) -> None:
    if not roles.has_capability(actor, capability):
        raise PermissionDenied("您没有执行此操作的权限。")


def create_user(
    actor,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    township: Township | None = None,
    department: Department | None = None,
    phone: str = "",
) -> User:
    _require(actor, "org.manage_users")
    errors: dict[str, str] = {}
    if not username or User.objects.filter(username=username).exists():
        errors["username"] = "用户名为空或已被使用"
    if role not in roles.LABELS:
        errors["role"] = "角色无效"
    if role in roles.TOWNSHIP_ROLES and township is None:
        errors["township"] = f"“{roles.LABELS.get(role, role)}”必须选择所属乡镇（街道）"
    if role in roles.DEPARTMENT_ROLES and department is None:
        errors["department"] = "部门工作人员必须选择所属部门"
    if township is not None and township.county_id != actor.county_id and not actor.is_superuser:
        errors["township"] = "只能选择本县的乡镇（街道）"
    try:
        validate_password(password)
    except ValidationError as exc:
        errors["password"] = "；".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return User.objects.create_user(
            username=username,
            password=password,
            full_name=full_name,
            role=role,
            phone=phone,
            county=actor.county,
            township=township if role in roles.TOWNSHIP_ROLES else None,
            department=department if role in roles.DEPARTMENT_ROLES else None,
        )


def _target(actor, user_id: int) -> User:
    _require(actor, "org.manage_users")
    return User.objects.restrict(actor, "change").get(pk=user_id)


def unlock_user(actor, user_id: int) -> User:
    from zhifa.core import audit
    from zhifa.org import auth

    user = _target(actor, user_id)
    with transaction.atomic():
        lifted = auth.unlock(user.username)
        audit.record("unlock", user, after={"locks_lifted": lifted}, reason="管理员解除登录锁定")
    return user


def set_active(actor, user_id: int, active: bool) -> User:
    user = _target(actor, user_id)
    if user.pk == actor.pk and not active:
        raise ValidationError("不能停用自己的账号")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


def reset_password(actor, user_id: int, password: str) -> User:
    user = _target(actor, user_id)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": "；".join(exc.messages)}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
    return user

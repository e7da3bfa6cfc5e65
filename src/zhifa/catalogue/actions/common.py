"""What the catalogue's actions share: a township or an item given as an instance or a code, the
capability check, and the revision check that refuses a change made from an older revision of a
draft or an entrustment (`StaleVersion`: 409 on the API, a Chinese message on the page)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from zhifa.catalogue.models import Item
from zhifa.org.models import Township


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


def _require(user, capability: str, message: str) -> None:
    if user is not None and not user.can(capability):
        raise PermissionDenied(message)


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

"""Grid services: where a point belongs, who is responsible there, staff, enforcement grids, elements.

`locate(lon, lat, crs)` is what dispatch and routing call for every report; it never touches the
database on the hot path (see `zhifa.grid.index`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from zhifa.grid import coords
from zhifa.grid.index import Location, get_index
from zhifa.grid.models import (
    COMMUNITY,
    DEDICATED,
    GRID,
    LEVEL_LABELS,
    MICRO,
    TOWNSHIP,
    Element,
    EnforcementGrid,
    GridStaff,
    GridUnit,
)

__all__ = [
    "Location",
    "Responsibility",
    "add_element",
    "assign_staff",
    "expand_micro_codes",
    "locate",
    "locate_many",
    "location_of_unit",
    "outside_message",
    "responsible",
    "save_enforcement_grid",
]

OUTSIDE = "该位置（经度{lon:.6f}，纬度{lat:.6f}，WGS-84）不在本县任何网格内，请核对坐标及坐标系"


def _number(value, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}“{value}”不是数字")
    if not math.isfinite(v):
        raise ValueError(f"{what}“{value}”不是有限的数字")
    return v


def _checked(lon, lat) -> tuple[float, float]:
    x, y = _number(lon, "经度"), _number(lat, "纬度")
    if not -180 <= x <= 180:
        raise ValueError(f"经度{x}超出范围（-180～180）")
    if not -90 <= y <= 90:
        raise ValueError(f"纬度{y}超出范围（-90～90）；请确认经度在前、纬度在后")
    return x, y


def locate(lon: float, lat: float, crs: str = coords.WGS84) -> Location | None:
    """The grid units containing the point, or None outside the county's map.

    `crs` is one of wgs84 / cgcs2000 (stored system), gcj02 (Amap, Tencent) or bd09 (Baidu).
    A dedicated grid takes precedence where it lies. Bad numbers or an unknown CRS raise
    ValueError with a Chinese message.
    """
    x, y = _checked(lon, lat)
    x, y = coords.to_wgs84(x, y, crs)
    return get_index().locate(x, y)


def locate_many(points: Iterable[Sequence], crs: str = coords.WGS84) -> list[Location | None]:
    """Batch form: each point is (lon, lat) or (lon, lat, crs); the default `crs` applies otherwise."""
    xs: list[float] = []
    ys: list[float] = []
    names: list[str] = []
    default = coords.normalise_crs(crs)
    for p in points:
        x, y = _checked(p[0], p[1])
        xs.append(x)
        ys.append(y)
        names.append(coords.normalise_crs(p[2]) if len(p) > 2 and p[2] else default)
    lons, lats = to_wgs84_grouped(xs, ys, names)
    return get_index(force_check=True).locate_many(lons, lats)


def to_wgs84_grouped(xs: Sequence[float], ys: Sequence[float], crs_names: Sequence[str]):
    """Arrays in WGS-84 from points whose CRS may differ point by point (converted per CRS, vectorised)."""
    lons = np.asarray(xs, dtype=float)
    lats = np.asarray(ys, dtype=float)
    names = np.asarray(crs_names, dtype=object)
    for name in set(crs_names) - {coords.WGS84, coords.CGCS2000}:
        sel = names == name
        lons[sel], lats[sel] = coords.to_wgs84_many(lons[sel], lats[sel], name)
    return lons, lats


def outside_message(lon: float, lat: float, crs: str = coords.WGS84) -> str:
    x, y = coords.to_wgs84(lon, lat, crs)
    return OUTSIDE.format(lon=x, lat=y)


# ---- who is responsible -------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    role: str
    role_label: str
    user_id: int
    name: str
    phone: str
    post_id: int | None = None  # the GridStaff row, for removing the post


@dataclass
class LevelDuty:
    level: str
    level_label: str
    unit_id: int
    code: str
    name: str
    posts: list[Post] = field(default_factory=list)


@dataclass
class Responsibility:
    """Staff per level, finest first (dedicated/micro → grid → community → township), and officers."""

    levels: list[LevelDuty]
    officers: list[Post]
    enforcement_grids: list[str]

    def first(self, role: str) -> Post | None:
        for duty in self.levels:
            for post in duty.posts:
                if post.role == role:
                    return post
        return None

    @property
    def grid_worker(self) -> Post | None:
        return self.first(GridStaff.WORKER)

    @property
    def grid_leader(self) -> Post | None:
        return self.first(GridStaff.LEADER)


def responsible(location: Location | None) -> Responsibility:
    """Who answers for `location` at each level: grid leader/worker/assistant, and the officers
    of the enforcement grids that contain its micro grid."""
    if location is None:
        return Responsibility([], [], [])
    chain = [
        (DEDICATED, location.dedicated_id),
        (MICRO, location.micro_id),
        (GRID, location.grid_id),
        (COMMUNITY, location.community_id),
    ]
    ids = [uid for _, uid in chain if uid]
    units = {u.id: u for u in GridUnit.objects.filter(id__in=ids).only("id", "code", "name", "level")}
    posts: dict[int, list[Post]] = {uid: [] for uid in ids}
    staff = (
        GridStaff.objects.filter(unit_id__in=ids).select_related("user").order_by("role", "user__username")
    )
    for s in staff:
        posts[s.unit_id].append(_post(s.user, s.role, s.get_role_display(), s.id))
    levels = [
        LevelDuty(level, LEVEL_LABELS[level], uid, units[uid].code, units[uid].label, posts[uid])
        for level, uid in chain
        if uid and uid in units
    ]
    officers: list[Post] = []
    egrids: list[str] = []
    if location.micro_id:
        for eg in EnforcementGrid.objects.filter(micro_grids=location.micro_id).prefetch_related("officers"):
            egrids.append(eg.name)
            for user in eg.officers.all():
                post = _post(user, "officer", "执法人员")
                if post not in officers:
                    officers.append(post)
    return Responsibility(levels, officers, egrids)


def location_of_unit(unit: GridUnit) -> Location:
    """The Location of a unit itself (its ancestry), for showing who answers for a clicked grid."""
    chain: dict[str, GridUnit] = {}
    cur: GridUnit | None = unit
    while cur is not None:
        chain[cur.level] = cur
        cur = cur.parent

    def code(level: str) -> str | None:
        return chain[level].code if level in chain else None

    def uid(level: str) -> int | None:
        return chain[level].id if level in chain else None

    return Location(
        township=code(TOWNSHIP),
        community=code(COMMUNITY),
        grid=code(GRID),
        micro=code(MICRO),
        dedicated=code(DEDICATED),
        township_id=unit.township_id,
        micro_id=uid(MICRO),
        community_id=uid(COMMUNITY),
        grid_id=uid(GRID),
        dedicated_id=uid(DEDICATED),
        county_id=unit.county_id,
    )


def _post(user, role: str, label: str, post_id: int | None = None) -> Post:
    return Post(role, label, user.id, user.display_name, user.phone, post_id)


# ---- changes ------------------------------------------------------------------------------------


def _require_manage(actor, unit_township_id: int) -> None:
    if not actor.can("grid.manage"):
        raise PermissionDenied("您没有管理网格的权限。")
    if not actor.is_superuser and actor.township_id and actor.township_id != unit_township_id:
        raise PermissionDenied("只能管理本乡镇（街道）的网格。")


def assign_staff(actor, unit: GridUnit, user, role: str) -> GridStaff:
    """Post `user` to `unit` as grid leader, worker or assistant ("一格一员": one worker per grid)."""
    _require_manage(actor, unit.township_id)
    if role not in dict(GridStaff.ROLE_CHOICES):
        raise ValidationError({"role": "岗位应为网格长、网格员或网格辅助员"})
    if unit.level == TOWNSHIP:
        raise ValidationError({"unit": "乡镇（街道）层级不设网格人员，请选择社区、网格或微网格"})
    if user.county_id != unit.county_id or (user.township_id and user.township_id != unit.township_id):
        raise ValidationError({"user": f"{user.display_name}不属于{unit.township}，不能到该网格任职"})
    with transaction.atomic():
        if role == GridStaff.WORKER:
            # One grid, one worker: posting a new worker replaces the previous one.
            for old in GridStaff.objects.filter(unit=unit, role=role).exclude(user=user):
                old.delete()
        post, _ = GridStaff.objects.get_or_create(unit=unit, user=user, role=role)
    return post


def remove_staff(actor, post: GridStaff) -> None:
    _require_manage(actor, post.unit.township_id)
    with transaction.atomic():
        post.delete()


def expand_micro_codes(township, text: str) -> list[str]:
    """Micro grid codes from free text (spaces, commas, new lines); `T01-C01-*` means every micro
    grid whose code starts with `T01-C01-`. Unknown plain codes are kept, for the error message."""
    codes: list[str] = []
    for token in text.replace("，", ",").replace(",", " ").split():
        if token.endswith("*"):
            prefix = token[:-1]
            found = GridUnit.objects.filter(township=township, level=MICRO, code__startswith=prefix)
            matched = list(found.order_by("code").values_list("code", flat=True))
            codes.extend(matched or [token])
        else:
            codes.append(token)
    return codes


def save_enforcement_grid(
    actor, *, township, code: str, name: str, micro_codes: Iterable[str], officers: Iterable
) -> EnforcementGrid:
    """Create or replace the enforcement grid `code`: its micro grids and officers."""
    _require_manage(actor, township.id)
    errors: dict[str, str] = {}
    if not code.strip():
        errors["code"] = "请填写执法网格编码"
    if not name.strip():
        errors["name"] = "请填写执法网格名称"
    if errors:
        raise ValidationError(errors)
    code, name = code.strip(), name.strip()
    other = (
        EnforcementGrid.objects.filter(county=township.county, code=code).exclude(township=township).first()
    )
    if other is not None:
        raise ValidationError({"code": f"编码“{code}”已被{other.township}的执法网格使用"})
    codes = sorted(set(micro_codes))
    if not codes:
        raise ValidationError({"micro_grids": "请至少选择一个微网格"})
    micros = list(GridUnit.objects.filter(township=township, level=MICRO, code__in=codes))
    missing = sorted(set(codes) - {m.code for m in micros})
    if missing:
        raise ValidationError({"micro_grids": f"以下微网格不存在或不属于{township}：{'、'.join(missing)}"})
    officers = list(officers)
    wrong = [u.display_name for u in officers if u.township_id != township.id]
    if wrong:
        raise ValidationError({"officers": f"以下人员不属于{township}：{'、'.join(wrong)}"})
    with transaction.atomic():
        eg, _ = EnforcementGrid.objects.update_or_create(
            county=township.county, code=code, defaults={"township": township, "name": name}
        )
        eg.micro_grids.set(micros)
        eg.officers.set(officers)
    return eg


def add_element(
    actor,
    *,
    kind: str,
    name: str,
    lon,
    lat,
    crs: str = coords.WGS84,
    address: str = "",
    note: str = "",
) -> Element:
    """Put an element on the map, linked to the grid it lies in (dedicated grid first)."""
    errors: dict[str, str] = {}
    if kind not in dict(Element.KIND_CHOICES):
        errors["kind"] = "要素类型应为商铺、建筑工地、风险点或公共场所"
    if not name.strip():
        errors["name"] = "请填写要素名称"
    try:
        x, y = coords.to_wgs84(*_checked(lon, lat), crs)
    except ValueError as exc:
        errors["lon"] = str(exc)
        raise ValidationError(errors)
    if errors:
        raise ValidationError(errors)
    loc = get_index().locate(x, y)
    if loc is None:
        raise ValidationError({"lon": OUTSIDE.format(lon=x, lat=y)})
    unit_id = loc.unit_id
    unit = GridUnit.objects.restrict(actor, "view").filter(pk=unit_id).first()
    if unit is None:
        raise PermissionDenied("该位置不在您管辖的乡镇（街道）内。")
    if not (actor.can("grid.manage") or actor.can("dispatch.report")):
        raise PermissionDenied("您没有登记网格要素的权限。")
    with transaction.atomic():
        return Element.objects.create(
            county_id=unit.county_id,
            township_id=unit.township_id,
            unit=unit,
            kind=kind,
            name=name.strip(),
            address=address.strip(),
            lon=x,
            lat=y,
            note=note.strip(),
        )

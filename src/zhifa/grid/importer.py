"""`zhifa import-grids FILE.geojson`: the grid map, validated as a whole, written all-or-nothing.

The file is a GeoJSON FeatureCollection of Polygon/MultiPolygon features in WGS-84 lon/lat with
properties `code`, `level` (township/community/grid/micro/dedicated), `parent`, `township`,
optional `name`, `kind` (dedicated grids) and `households`/`population`/`businesses` (micro grids),
as written by ../shared/benchmark/grids/make_grids.py. Checks: well-formed features, unique codes,
the parent of the right level, valid polygons, every child inside its parent, no overlaps between
siblings and no gaps left by the children of a unit, beyond a tolerance in square metres.
Every problem names the code; if there is any, nothing is written. Importing the same file again
changes nothing.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.db import connection, transaction

from zhifa.core import audit
from zhifa.grid import index as grid_index
from zhifa.grid.geojson import clear_cache
from zhifa.grid.models import (
    COMMUNITY,
    DEDICATED,
    LEVEL_LABELS,
    LEVELS,
    MICRO,
    PARENT_LEVEL,
    TOWNSHIP,
    Element,
    GridIndexVersion,
    GridStaff,
    GridUnit,
)
from zhifa.org.models import CommandCentre, Community, County, Township

DEFAULT_TOLERANCE_M2 = 50.0
DEMO_COUNTY_CODE = "DEMO"  # zhifa.demo.loader.DEMO_COUNTY
M_PER_DEG = 111_320.0
BASE_FIELDS = ("households", "population", "businesses")
MAX_ERRORS_PER_CHECK = 200  # a badly broken file should not produce a million lines


class GridImportError(Exception):
    """The import was refused; `errors` lists every problem (nothing was written)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(slots=True)
class Feature:
    n: int  # 1-based position in the file, for messages
    code: str
    level: str
    parent: str | None
    township: str | None
    name: str
    kind: str
    base: dict[str, int | None]
    geometry_text: str
    geom: Any = None  # shapely geometry once valid
    bounds: tuple[float, float, float, float] | None = None  # of `geom`


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    townships_created: list[str] = field(default_factory=list)
    communities_created: int = 0
    communities_updated: int = 0
    elements_moved: int = 0
    elements_outside: int = 0
    deleted: int = 0
    staff_removed: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    not_in_file: int = 0
    county: County | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.deleted
            or self.created
            or self.updated
            or self.townships_created
            or self.communities_created
            or self.communities_updated
        )

    def summary(self) -> str:
        counts = "，".join(f"{LEVEL_LABELS[lv]}{self.by_level.get(lv, 0)}个" for lv in LEVELS)
        parts = [f"文件中{counts}"]
        if self.changed:
            parts.append(f"新增{self.created}个、更新{self.updated}个网格")
            if self.townships_created:
                parts.append("新建乡镇（街道）：" + "、".join(self.townships_created))
            if self.communities_created or self.communities_updated:
                parts.append(f"社区（村）新增{self.communities_created}个、更新{self.communities_updated}个")
        else:
            parts.append("数据与现有内容一致，未作任何修改")
        if self.deleted:
            parts.append(f"删除文件中没有的网格{self.deleted}个（连同其{self.staff_removed}条人员任职）")
        if self.elements_moved:
            parts.append(f"{self.elements_moved}个网格要素按新边界改归所在网格")
        if self.elements_outside:
            parts.append(f"{self.elements_outside}个网格要素已不在任何网格内，保留原归属，请核对")
        if self.not_in_file:
            parts.append(f"库中另有{self.not_in_file}个网格不在文件中，已保留未删除（需要删除时加 --prune）")
        return "；".join(parts)


# ---- reading -------------------------------------------------------------------------------------


def _int_or_none(value: Any) -> tuple[bool, int | None]:
    if value is None or value == "":
        return True, None
    if isinstance(value, bool):
        return False, None
    if isinstance(value, int | float) and float(value).is_integer() and value >= 0:
        return True, int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return True, int(value.strip())
    return False, None


def parse(data: bytes | str, source: str, errors: list[str]) -> list[Feature]:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        errors.append(f"{source}：不是有效的JSON（{exc}）")
        return []
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        errors.append(f"{source}：应为GeoJSON FeatureCollection")
        return []
    raw = doc.get("features")
    del doc  # `raw` keeps what is needed; each geometry's parsed JSON is dropped once serialised
    if not isinstance(raw, list) or not raw:
        errors.append(f"{source}：features为空")
        return []

    def drained():
        for n in range(len(raw)):
            f, raw[n] = raw[n], None  # the coordinate lists as Python objects are most of the memory
            yield f

    return _features(drained(), source, errors)


def parse_file(path: Path, source: str, errors: list[str]) -> list[Feature]:
    """`parse` of a file, reading its features one at a time: a large map is never held as
    one tree of Python objects. A file of any other shape (or not valid JSON) is read whole by
    `parse`, which gives the same features and the same messages."""
    found: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            features = _features(_stream_features(f), source, found)
    except (_Irregular, UnicodeDecodeError):
        return parse(path.read_bytes(), source, errors)
    errors.extend(found)
    return features


class _Irregular(Exception):
    """Not the plain shape the streaming reader takes: the file is read whole instead."""


_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"
_BLOCK = 1 << 20


class _Stream:
    """A JSON text read a block at a time; values are decoded from the buffer with the C scanner."""

    def __init__(self, f):
        self.f, self.buf, self.pos, self.eof = f, "", 0, False

    def more(self) -> bool:
        # At least as much again as is left unread, so a value larger than a block costs
        # a bounded number of retries rather than one per block.
        data = self.f.read(max(_BLOCK, len(self.buf) - self.pos))
        if not data:
            self.eof = True
            return False
        self.buf, self.pos = self.buf[self.pos :] + data, 0
        return True

    def peek(self) -> str:
        while True:
            buf, pos = self.buf, self.pos
            while pos < len(buf) and buf[pos] in _SPACE:
                pos += 1
            self.pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self.more():
                return ""

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise _Irregular
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except ValueError:
                if self.more():
                    continue  # cut by the block's end (or broken: then it fails again at the end)
                raise _Irregular from None
            if end == len(self.buf) and not self.eof and not isinstance(value, dict | list | str):
                if self.more():
                    continue  # a number or literal may go on in the next block
            self.pos = end
            return value


def _stream_features(f) -> Any:
    """The features of a FeatureCollection `{"type": ..., "features": [...], ...}`, one at a time;
    _Irregular (possibly after some features) for anything else, duplicate keys included."""
    r = _Stream(f)
    r.take("{")
    keys: set[str] = set()
    kind = None
    while True:
        key = r.value()
        if not isinstance(key, str) or key in keys:
            raise _Irregular
        keys.add(key)
        r.take(":")
        if key == "features":
            r.take("[")
            if r.peek() == "]":
                raise _Irregular  # empty: `parse` says so
            while True:
                yield r.value()
                if r.peek() == ",":
                    r.pos += 1
                    continue
                r.take("]")
                break
        else:
            value = r.value()
            if key == "type":
                kind = value
        if r.peek() == ",":
            r.pos += 1
            continue
        r.take("}")
        break
    if r.peek() != "" or kind != "FeatureCollection" or "features" not in keys:
        raise _Irregular


def _features(raw, source: str, errors: list[str]) -> list[Feature]:
    features: list[Feature] = []
    seen: dict[str, int] = {}
    for n, f in enumerate(raw, start=1):
        where = f"{source}:第{n}个要素"
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            errors.append(f"{where}：缺少properties")
            continue
        code = str(props.get("code") or "").strip()
        if not code:
            errors.append(f"{where}：缺少网格编码code")
            continue
        where = f"{where}（{code}）"
        if len(code) > 60:
            errors.append(f"{where}：网格编码超过60个字符")
            continue
        if code in seen:
            errors.append(f"{where}：网格编码重复（第{seen[code]}个要素已使用）")
            continue
        seen[code] = n
        level = str(props.get("level") or "").strip()
        if level not in LEVEL_LABELS:
            errors.append(f"{where}：层级level“{level}”无效，应为 {'、'.join(LEVELS)}")
            continue
        base: dict[str, int | None] = {}
        for name in BASE_FIELDS:
            ok, value = _int_or_none(props.get(name))
            if not ok:
                errors.append(f"{where}：{name}应为非负整数，实际为“{props.get(name)}”")
            base[name] = value
        geometry = f.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            errors.append(f"{where}：几何类型应为Polygon或MultiPolygon")
            continue
        features.append(
            Feature(
                n=n,
                code=code,
                level=level,
                parent=(str(props["parent"]).strip() or None) if props.get("parent") else None,
                township=(str(props["township"]).strip() or None) if props.get("township") else None,
                name=str(props.get("name") or "").strip()[:100],
                kind=str(props.get("kind") or "").strip()[:20],
                base=base,
                geometry_text=json.dumps(geometry, separators=(",", ":")),
            )
        )
    return features


# ---- checks --------------------------------------------------------------------------------------


def _m2(area_deg2: float, lat: float) -> float:
    return area_deg2 * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat))


def _near(geom) -> str:
    p = geom.representative_point() if not geom.is_empty else None
    return f"（位于经度{p.x:.5f}、纬度{p.y:.5f}附近）" if p is not None else ""


class _Checker:
    def __init__(self, features: list[Feature], tolerance_m2: float, source: str):
        self.features = features
        self.by_code = {f.code: f for f in features}
        self.tol = tolerance_m2
        self.source = source
        self.errors: list[str] = []
        self.outside: dict[str, float] = {}  # code → area outside its parent (deg²), where > 0
        self._township: dict[str, str | None] = {}  # code → its township's code (township_of)

    def err(self, f: Feature | None, reason: str) -> None:
        where = f"{self.source}:第{f.n}个要素（{f.code}）" if f is not None else self.source
        self.errors.append(f"{where}：{reason}")

    def run(self) -> None:
        self.geometries()
        before = len(self.errors)
        self.tree()
        if len(self.errors) > before:
            return  # the spatial checks need a sound tree; invalid polygons are left out below
        self.children_inside()
        self.siblings()

    def geometries(self) -> None:
        geoms = shapely.from_geojson([f.geometry_text for f in self.features], on_invalid="ignore")
        reasons = shapely.is_valid_reason(geoms)
        missing = (shapely.is_missing(geoms) | shapely.is_empty(geoms)).tolist()
        boxes = shapely.bounds(geoms).tolist()
        areas = shapely.area(geoms).tolist()
        for f, g, why, gone, box, area in zip(
            self.features, geoms, reasons, missing, boxes, areas, strict=True
        ):
            if gone:
                self.err(f, "几何坐标无法解析或为空")
                continue
            minx, miny, maxx, maxy = box
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                self.err(f, "坐标超出经纬度范围（应为WGS-84经度、纬度，经度在前）")
                continue
            if why != "Valid Geometry":
                self.err(f, f"多边形无效：{_validity_zh(why)}")
                continue
            if area <= 0:
                self.err(f, "多边形面积为零")
                continue
            f.geom, f.bounds = g, tuple(box)

    def tree(self) -> None:
        start = len(self.errors)
        for f in self.features:
            expected = PARENT_LEVEL[f.level]
            if expected is None:
                if f.parent:
                    self.err(f, f"乡镇（街道）层级不应有上级网格（parent为“{f.parent}”）")
                if f.township and f.township != f.code:
                    self.err(f, f"township应与编码相同，实际为“{f.township}”")
                continue
            if not f.parent:
                self.err(
                    f, f"缺少上级网格parent（{LEVEL_LABELS[f.level]}的上级应为{LEVEL_LABELS[expected]}）"
                )
                continue
            parent = self.by_code.get(f.parent)
            if parent is None:
                self.err(f, f"上级网格“{f.parent}”不在文件中")
                continue
            if parent.level != expected:
                self.err(
                    f,
                    f"上级网格“{f.parent}”是{LEVEL_LABELS[parent.level]}，"
                    f"{LEVEL_LABELS[f.level]}的上级应为{LEVEL_LABELS[expected]}",
                )
                continue
        if len(self.errors) > start:
            return  # a missing or wrong parent makes the township walk below meaningless
        for f in self.features:
            top = self.township_of(f)
            if top is None:
                self.err(f, "上级网格形成循环，找不到所属乡镇（街道）")
            elif f.township and f.township != top:
                self.err(f, f"township为“{f.township}”，但按上级网格应属于“{top}”")

    def township_of(self, f: Feature) -> str | None:
        if f.code not in self._township:
            self._township[f.code] = self._walk_to_township(f)
        return self._township[f.code]

    def _walk_to_township(self, f: Feature) -> str | None:
        seen = set()
        cur: Feature | None = f
        while cur is not None and cur.level != TOWNSHIP:
            if cur.code in seen:
                return None
            seen.add(cur.code)
            cur = self.by_code.get(cur.parent or "")
        return cur.code if cur is not None else None

    def children_inside(self) -> None:
        kids = [
            f
            for f in self.features
            if f.parent and f.geom is not None and self.by_code[f.parent].geom is not None
        ]
        if not kids:
            return
        child = np.array([f.geom for f in kids], dtype=object)
        parent = np.array([self.by_code[f.parent].geom for f in kids], dtype=object)
        # A child its parent covers has nothing outside it: the (prepared) predicate is much
        # cheaper than the difference, which is computed only for the others.
        shapely.prepare(parent)
        try:
            covered = shapely.covers(parent, child)
        finally:
            shapely.destroy_prepared(parent)
        outside = np.zeros(len(kids))
        rest = np.flatnonzero(~covered)
        if len(rest):
            outside[rest] = shapely.area(shapely.difference(child[rest], parent[rest]))
        for i in np.flatnonzero(outside > 0).tolist():
            self.outside[kids[i].code] = float(outside[i])
        reported = 0
        for i in np.flatnonzero(outside > 0).tolist():  # almost always none: skip the rest cheaply
            f, g = kids[i], child[i]
            m2 = _m2(outside[i], g.centroid.y)
            if m2 > self.tol and reported < MAX_ERRORS_PER_CHECK:
                piece = shapely.difference(g, self.by_code[f.parent].geom)
                self.err(f, f"超出上级网格“{f.parent}”的范围约{m2:.0f}平方米{_near(piece)}")
                reported += 1

    def siblings(self) -> None:
        groups: dict[str | None, list[Feature]] = defaultdict(list)
        for f in self.features:
            groups[f.parent].append(f)
        overlaps = gaps = 0
        for parent_code, all_members in sorted(groups.items(), key=lambda kv: kv[0] or ""):
            members = [m for m in all_members if m.geom is not None]
            if not members:
                continue
            geoms = np.array([m.geom for m in members], dtype=object)
            overlap_area = 0.0
            if len(members) > 1:
                found, overlap_area = self._overlaps(members, geoms, overlaps)
                overlaps += found
            parent = self.by_code.get(parent_code) if parent_code else None
            if parent is not None and parent.geom is None:
                continue
            if members[0].level == DEDICATED or len(members) < len(all_members):
                continue  # dedicated grids are islands inside a micro grid, not a partition of it
            if parent is not None and self._no_gap_over_tolerance(parent, members, geoms, overlap_area):
                continue
            gaps += self._gaps(parent, geoms, gaps)

    def _no_gap_over_tolerance(
        self, parent: Feature, members, geoms: np.ndarray, overlap_area: float
    ) -> bool:
        """True when the children's areas alone show that no gap piece can exceed the tolerance,
        so the union and difference of `_gaps` (most of the checks' time) can be skipped.

        gap = parent − (union of children ∩ parent); |union| ≥ Σ|child| − Σ|pairwise overlap|
        and |union ∩ parent| ≥ |union| − Σ|child outside parent|, so the gap's area is at most
        |parent| − Σ|child| + Σ overlaps + Σ outside. Every piece lies in the parent's box, where
        a square degree is at most as many square metres as at the latitude nearest the equator.
        """
        _, miny, _, maxy = parent.geom.bounds
        lat = 0.0 if miny <= 0.0 <= maxy else min(abs(miny), abs(maxy))
        parent_area = parent.geom.area
        bound = (
            parent_area
            - float(shapely.area(geoms).sum())
            + overlap_area
            + sum(self.outside.get(m.code, 0.0) for m in members)
        )
        # A margin far above the rounding of these sums: never skip a gap the union would find.
        margin = 1e-9 * _m2(parent_area, lat)
        return _m2(max(bound, 0.0), lat) + margin <= self.tol

    def _overlaps(self, members: list[Feature], geoms: np.ndarray, so_far: int) -> tuple[int, float]:
        """(overlaps over the tolerance, total area of all pairwise overlaps in deg²)."""
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="intersects")
        keep = a < b
        a, b = a[keep], b[keep]
        if not len(a):
            return 0, 0.0
        # Neighbours sharing an edge meet in a line of area zero: `touches` (interiors apart) is
        # about three times cheaper than computing that line, so only the other pairs are intersected.
        apart = shapely.touches(geoms[a], geoms[b])
        a, b = a[~apart], b[~apart]
        if not len(a):
            return 0, 0.0
        areas = shapely.area(shapely.intersection(geoms[a], geoms[b]))
        real = areas > 0
        a, b, areas = a[real], b[real], areas[real]
        total = float(areas.sum())
        found = 0
        for i, j, area in zip(a.tolist(), b.tolist(), areas.tolist(), strict=True):
            m2 = _m2(area, geoms[i].centroid.y)
            if m2 > self.tol:
                if so_far + found < MAX_ERRORS_PER_CHECK:
                    piece = shapely.intersection(geoms[i], geoms[j])
                    self.err(members[i], f"与同级网格“{members[j].code}”重叠约{m2:.0f}平方米{_near(piece)}")
                found += 1
        return found, total

    def _gaps(self, parent: Feature | None, geoms: np.ndarray, so_far: int) -> int:
        union = shapely.union_all(geoms)
        if parent is not None:
            holes = [shapely.difference(parent.geom, union)]
            what = "下级网格之间或与边界之间存在未覆盖的空隙"
        else:
            # Top level: no county outline in the file, so a gap is a hole in the townships' union.
            holes = [shapely.Polygon(ring) for poly in shapely.get_parts(union) for ring in poly.interiors]
            what = "乡镇（街道）之间存在未覆盖的空隙"
        found = 0
        for hole in holes:
            for piece in shapely.get_parts(hole):
                m2 = _m2(piece.area, piece.centroid.y) if not piece.is_empty else 0.0
                if m2 > self.tol:
                    if so_far + found < MAX_ERRORS_PER_CHECK:
                        if parent is not None:
                            self.err(parent, f"{what}约{m2:.0f}平方米{_near(piece)}")
                        else:
                            self.err(None, f"{what}约{m2:.0f}平方米{_near(piece)}")
                    found += 1
        return found


_VALIDITY = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "顶点太少",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested holes": "内环嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


def _validity_zh(reason: str) -> str:
    for en, zh in _VALIDITY.items():
        if reason.startswith(en):
            where = reason[len(en) :].strip(" []")
            return f"{zh}（{where}）" if where else zh
    return reason


# ---- writing -------------------------------------------------------------------------------------


def resolve_county(county_code: str | None) -> County | None:
    """With a code: that county (created at import if missing); else the only county, or a new C01."""
    if county_code:
        return County.objects.filter(code=county_code).first()
    counties = list(County.objects.order_by("id")[:2])
    if len(counties) > 1:
        raise GridImportError(["数据库中有多个区县，请用 --county-code 指定导入到哪个区县"])
    # Same rule as import-county: never the demo county implicitly.
    if counties and counties[0].code == DEMO_COUNTY_CODE:
        raise GridImportError(
            [
                "数据库中只有演示县（DEMO）。导入本县网格请用 --county-code 指定区县代码"
                "（乡镇代码不得与演示县重复），或用 --county-code DEMO 明确导入演示县"
            ]
        )
    return counties[0] if counties else None


def _township_kind(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return suffix
    return "镇"


def import_features(
    features: list[Feature],
    *,
    source: str = "文件",
    county: County | None = None,
    county_code: str | None = None,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
    parse_errors: list[str] | None = None,
    prune: bool = False,
) -> ImportResult:
    """Validate the whole map, then write it in one transaction (or raise GridImportError).

    With `prune`, the county's units that are not in the file are deleted (with their staff posts);
    refused if an element would be left on a deleted unit.
    """
    checker = _Checker(features, tolerance_m2, source)
    checker.errors.extend(parse_errors or [])
    checker.run()
    if county is None:
        county = resolve_county(county_code)
    # Codes of townships and communities are unique in the whole database (org models).
    foreign = Township.objects.filter(code__in=[f.code for f in features if f.level == TOWNSHIP])
    taken = Community.objects.filter(code__in=[f.code for f in features if f.level == COMMUNITY])
    if county is not None:
        foreign = foreign.exclude(county=county)
        taken = taken.exclude(township__county=county)
    for t in foreign.select_related("county"):
        checker.err(checker.by_code[t.code], f"乡镇（街道）“{t.code}”已属于其他区县（{t.county}）")
    for c in taken.select_related("township"):
        checker.err(checker.by_code[c.code], f"社区（村）编码“{c.code}”已被其他区县的{c.township}使用")
    if checker.errors:
        raise GridImportError(checker.errors)

    result = ImportResult(county=county)
    for f in features:
        result.by_level[f.level] = result.by_level.get(f.level, 0) + 1
    with transaction.atomic():
        if county is None:
            county = County.objects.create(code=county_code or "C01", name=county_code or "本县")
            CommandCentre.objects.get_or_create(county=county)
        result.county = county
        _write(features, checker, county, result)
        if result.changed or (prune and result.not_in_file):
            GridIndexVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
            transaction.on_commit(grid_index.invalidate)
            _relink_elements(county, result)
        if prune and result.not_in_file:
            _prune(county, {f.code for f in features}, result, source)
    grid_index.invalidate()
    clear_cache()
    return result


def _write(features: list[Feature], checker: _Checker, county: County, result: ImportResult) -> None:
    towns = {t.code: t for t in Township.objects.filter(county=county)}
    for f in features:
        if f.level == TOWNSHIP and f.code not in towns:
            name = f.name or f.code
            towns[f.code] = Township.objects.create(
                county=county, code=f.code, name=name, kind=_township_kind(name)
            )
            result.townships_created.append(f.code)
    # First-level grids are the communities (社区/村) of the organisation: keep org.Community in step.
    communities = {c.code: c for c in Community.objects.filter(township__county=county)}
    for f in features:
        if f.level != COMMUNITY:
            continue
        township = towns[checker.township_of(f) or ""]
        c = communities.get(f.code)
        if c is None:
            Community.objects.create(code=f.code, township=township, name=f.name)
            result.communities_created += 1
        elif (c.township_id, c.name) != (township.id, f.name or c.name):
            c.township, c.name = township, f.name or c.name
            c.save()
            result.communities_updated += 1
    ids = dict(GridUnit.objects.filter(county=county).values_list("code", "id"))
    in_file = {f.code for f in features}
    result.not_in_file = sum(1 for code in ids if code not in in_file)
    existing = set(ids)
    for level in LEVELS:  # parents first, so their ids are known
        new, old = [], []
        for f in (x for x in features if x.level == level):
            township = towns[checker.township_of(f) or ""]
            name = f.name or (township.name if level == TOWNSHIP else "")
            (old if f.code in existing else new).append((f, township.id, name))
        if new:
            _insert(county, level, new, ids)
        result.created += len(new)
        result.updated += _update(county, level, old, ids)


def _update(county: County, level: str, old: list[tuple[Feature, int, str]], ids: dict[str, int]) -> int:
    """Update the units already in the database whose values differ from the file's, a chunk
    at a time (only a chunk's rows are held, not the whole map's), each chunk's entries after it.
    Returns how many were changed."""
    updated = 0
    for start in range(0, len(old), _INSERT_CHUNK):
        part = old[start : start + _INSERT_CHUNK]
        units = {
            u.code: u for u in GridUnit.objects.filter(county=county, code__in=[f.code for f, _, _ in part])
        }
        wkbs = shapely.to_wkb([f.geom for f, _, _ in part])
        changed = []
        for (f, township_id, name), wkb in zip(part, wkbs, strict=True):
            unit = units[f.code]
            values = _values(f, level, township_id, name, ids, wkb)
            if any(getattr(unit, k) != v for k, v in values.items()):
                before = audit.snapshot(unit)
                for k, v in values.items():
                    setattr(unit, k, v)
                changed.append((unit, before))
        if changed:
            GridUnit.objects.bulk_update([u for u, _ in changed], list(_UPDATE_FIELDS), batch_size=1000)
            audit.record_many(
                audit.Change(
                    "update",
                    "grid.GridUnit",
                    str(u.id),
                    str(u),
                    before,
                    audit.snapshot(u),
                    county_id=u.county_id,
                )
                for u, before in changed
            )
        updated += len(changed)
    return updated


def _values(f: Feature, level: str, township_id: int, name: str, ids: dict[str, int], wkb) -> dict:
    minx, miny, maxx, maxy = f.bounds
    return {
        "township_id": township_id,
        "level": level,
        "name": name,
        "parent_id": ids[f.parent] if f.parent else None,
        "kind": f.kind if level == DEDICATED else "",
        "geometry": f.geometry_text,
        "geometry_wkb": wkb,
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
        **{k: (f.base[k] if level == MICRO else None) for k in BASE_FIELDS},
    }


_INSERT_CHUNK = 900  # under SQLite's 999 parameters for the `code IN (...)` that reads the ids back


def _insert(county: County, level: str, new: list[tuple[Feature, int, str]], ids: dict[str, int]) -> None:
    """Insert new units as plain values, one executemany per chunk (bulk_create's per-field work
    and model instances were most of a large import), note their ids in `ids`, and append each
    chunk's audit entries (an image each, what `audit.snapshot` gives for the row) right after it,
    so neither rows nor entries are ever all in memory at once."""
    fields = [f for f in GridUnit._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(GridUnit._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(new), _INSERT_CHUNK):
            part = new[start : start + _INSERT_CHUNK]
            wkbs = shapely.to_wkb([f.geom for f, _, _ in part])
            images = []
            for (f, township_id, name), wkb in zip(part, wkbs, strict=True):
                # The values are already what the columns hold (str, int, float, bytes or None).
                values = _values(f, level, township_id, name, ids, wkb)
                values |= {"county_id": county.id, "code": f.code}
                images.append((f, name, values))
            cursor.executemany(sql, [[values[n] for n in names] for _, _, values in images])
            codes = [f.code for f, _, _ in part]
            ids.update(GridUnit.objects.filter(county=county, code__in=codes).values_list("code", "id"))
            audit.record_many(
                audit.Change(
                    "create",
                    "grid.GridUnit",
                    str(ids[f.code]),
                    f"{name}（{f.code}）" if name else f.code,  # str(GridUnit)
                    None,
                    audit.image(GridUnit, {**values, "id": ids[f.code]}),
                    county_id=county.id,
                )
                for f, name, values in images
            )


def _relink_elements(county: County, result: ImportResult) -> None:
    """Elements follow the new polygons: each is linked again to the grid its point now lies in."""
    elements = list(Element.objects.filter(county=county).select_related("unit"))
    if not elements:
        return
    idx = grid_index.build_from_db()  # this transaction's rows, not another process's view
    locs = idx.locate_many([e.lon for e in elements], [e.lat for e in elements])
    moved, changes = [], []
    for e, loc in zip(elements, locs, strict=True):
        if loc is None:
            result.elements_outside += 1  # kept on their old grid; the map no longer covers them
            continue
        unit_id = loc.unit_id
        if unit_id != e.unit_id:
            before = audit.snapshot(e)
            e.unit_id, e.township_id = unit_id, loc.township_id
            moved.append(e)
            changes.append(
                audit.Change("update", "grid.Element", str(e.id), str(e), before, audit.snapshot(e))
            )
    if moved:
        Element.objects.bulk_update(moved, ["unit", "township"], batch_size=1000)
        audit.record_many(changes)
    result.elements_moved = len(moved)


def _prune(county: County, in_file: set[str], result: ImportResult, source: str) -> None:
    # Not deferred: the audit snapshot of a deleted row needs every column already loaded.
    stale = list(GridUnit.objects.filter(county=county).exclude(code__in=in_file))
    stuck = Element.objects.filter(unit__in=stale).select_related("unit")
    errors = [
        f"{source}：网格“{e.unit.code}”不在文件中，但要素“{e.name}”仍在其内且不在新地图任何网格内，不能删除"
        for e in stuck
    ]
    if errors:
        raise GridImportError(errors)  # inside the import's transaction: nothing is kept
    rank = {level: i for i, level in enumerate(LEVELS)}
    result.staff_removed = GridStaff.objects.filter(unit__in=stale).count()
    for unit in sorted(stale, key=lambda u: -rank[u.level]):  # children before their parents
        unit.delete()
    result.deleted = len(stale)
    result.not_in_file = 0


_UPDATE_FIELDS = (
    "township",
    "level",
    "name",
    "parent",
    "kind",
    "geometry",
    "geometry_wkb",
    "minx",
    "miny",
    "maxx",
    "maxy",
    *BASE_FIELDS,
)


def import_file(path: str | Path, **kwargs) -> ImportResult:
    path = Path(path)
    errors: list[str] = []
    try:
        features = parse_file(path, path.name, errors)
    except FileNotFoundError:
        raise GridImportError([f"{path}：文件不存在"])
    except OSError as exc:
        raise GridImportError([f"{path}：无法读取文件（{exc.strerror}）"])
    if not features and errors:
        raise GridImportError(errors)
    return import_features(features, source=path.name, parse_errors=errors, **kwargs)

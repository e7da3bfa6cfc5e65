"""In-process point lookup over the grid map: shapely STRtrees, built once per process from the DB.

Only the finest units are searched first (dedicated grids, then micro grids); their ancestry is
precomputed, so a hit gives township → community → grid → micro at once. Points in no micro
grid (a map without micro grids, or a sliver) fall back to grid, community, then township.
The index reloads when the import token in `GridIndexVersion` changes (checked at most every
CHECK_SECONDS for single lookups, once per batch) or when `invalidate()` is called.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from zhifa.grid.models import COMMUNITY, DEDICATED, GRID, MICRO, TOWNSHIP

CHECK_SECONDS = 2.0
SEARCH_ORDER = [DEDICATED, MICRO, GRID, COMMUNITY, TOWNSHIP]


@dataclass(frozen=True)
class Location:
    """Where a point belongs. Codes are None where the map has no unit at that level."""

    township: str | None
    community: str | None
    grid: str | None
    micro: str | None
    dedicated: str | None
    township_id: int | None  # org.Township
    micro_id: int | None  # GridUnit ids from here on
    community_id: int | None = None
    grid_id: int | None = None
    dedicated_id: int | None = None
    county_id: int | None = None

    @property
    def unit_id(self) -> int | None:
        """The most specific unit: the dedicated grid where one lies, else the finest found."""
        return self.dedicated_id or self.micro_id or self.grid_id or self.community_id

    def codes(self) -> dict[str, str | None]:
        return {
            "township": self.township,
            "community": self.community,
            "grid": self.grid,
            "micro": self.micro,
            "dedicated": self.dedicated,
        }


@dataclass(frozen=True)
class UnitRow:
    id: int
    level: str
    code: str
    parent_id: int | None
    township_id: int
    county_id: int
    geometry: str | bytes  # WKB, or GeoJSON text for rows imported before WKB was stored


class GridIndex:
    def __init__(self, rows: Sequence[UnitRow], token: str = ""):
        self.token = token
        by_unit = _locations(rows)
        self.size = len(rows)
        self.levels: dict[str, _LevelTree] = {}
        all_locations: list[Location | None] = []
        for level in SEARCH_ORDER:
            members = sorted((r for r in rows if r.level == level), key=lambda r: r.code)
            if members:
                locations = [by_unit[r.id] for r in members]
                self.levels[level] = _LevelTree(members, locations, offset=len(all_locations))
                all_locations.extend(locations)
        # One object array of every answer, with None last: a batch maps result numbers to
        # Location objects in a single numpy take instead of a Python loop.
        self._answers = np.empty(len(all_locations) + 1, dtype=object)
        self._answers[: len(all_locations)] = all_locations
        self._answers[-1] = None
        # Batch order: the finest levels first; a point in no township is outside the county and
        # need not be tried against grids and communities.
        order = [DEDICATED, MICRO, TOWNSHIP, GRID, COMMUNITY]
        self._batch_order = [self.levels[lv] for lv in order if lv in self.levels]

    def locate(self, lon: float, lat: float) -> Location | None:
        point = shapely.Point(lon, lat)
        for tree in self.levels.values():
            hits = tree.tree.query(point, predicate="intersects")
            if len(hits):
                return tree.locations[int(hits.min())]
        return None

    def locate_many(self, lons: Iterable[float], lats: Iterable[float]) -> list[Location | None]:
        xs = np.asarray(lons, dtype=float)
        ys = np.asarray(lats, dtype=float)
        # Points in the order of the finest level's buckets: neighbouring points then meet the same
        # few polygons one after another, so the polygons' prepared edge indexes stay in the CPU
        # caches (three times faster predicates on a large map than points in random order).
        # Only the order of work changes; each point's answer is put back where it came from.
        order = self._spatial_order(xs, ys)
        if order is not None:
            xs, ys = xs[order], ys[order]
        answer = np.full(len(xs), len(self._answers) - 1, dtype=np.int64)  # None
        township = np.full(len(xs), -1, dtype=np.int64)
        todo = np.arange(len(xs))
        for tree in self._batch_order:
            if not len(todo):
                break
            found = tree.first_hits(xs[todo], ys[todo])
            hit = found >= 0
            if tree.level == TOWNSHIP:
                # Remember the township; points inside one go on to finer fallbacks, the rest are outside.
                township[todo[hit]] = found[hit] + tree.offset
                todo = todo[hit]
                continue
            answer[todo[hit]] = found[hit] + tree.offset
            todo = todo[~hit]
        fallback = township[todo]
        answer[todo[fallback >= 0]] = fallback[fallback >= 0]
        if order is not None:
            unsorted = np.empty_like(answer)
            unsorted[order] = answer
            answer = unsorted
        return self._answers[answer].tolist()

    def _spatial_order(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray | None:
        if len(xs) < 2 or not self._batch_order:
            return None
        # Dedicated grids are a handful of islands: order by the level under them.
        finest = next((t for t in self._batch_order if t.level != DEDICATED), self._batch_order[0])
        with np.errstate(invalid="ignore"):
            key = finest._iy(ys) * finest.nx + finest._ix(xs)
        return np.argsort(key, kind="stable")


class _LevelTree:
    """The polygons of one level: an STRtree for single points, a bucket grid for batches."""

    def __init__(self, members: list[UnitRow], locations: list[Location], offset: int = 0):
        self.level = members[0].level
        self.locations = locations
        self.offset = offset
        self.polygons = _parse([m.geometry for m in members])
        # Prepared polygons make the exact point-in-polygon test after the bbox search cheap.
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)
        self._build_buckets()

    def _build_buckets(self) -> None:
        # A regular grid of cells over the level's extent, each listing the polygons whose bounding
        # box touches it: batch lookups find candidates with numpy arithmetic alone, without
        # creating a geometry per point (which costs more than the search itself).
        b = shapely.bounds(self.polygons)
        self.bminx, self.bminy, self.bmaxx, self.bmaxy = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
        n = len(self.polygons)
        x0, y0, x1, y1 = self.bminx.min(), self.bminy.min(), self.bmaxx.max(), self.bmaxy.max()
        w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        cells = max(1, 2 * n)
        nx = max(1, round((cells * w / h) ** 0.5))
        ny = max(1, round(cells / nx))
        self.gx0, self.gy0, self.nx, self.ny = x0, y0, nx, ny
        self.cw, self.ch = w / nx, h / ny
        ix0, ix1 = self._ix(self.bminx), self._ix(self.bmaxx)
        iy0, iy1 = self._iy(self.bminy), self._iy(self.bmaxy)
        wx, wy = ix1 - ix0 + 1, iy1 - iy0 + 1
        k = wx * wy
        pid = np.repeat(np.arange(n), k)
        local = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
        cell = (iy0[pid] + local // wx[pid]) * nx + ix0[pid] + local % wx[pid]
        order = np.argsort(cell, kind="stable")  # stable: polygon numbers ascend within a cell
        self.items = pid[order]
        self.cell_start = np.searchsorted(cell[order], np.arange(nx * ny + 1))

    def _ix(self, x: np.ndarray) -> np.ndarray:
        return np.clip(((x - self.gx0) / self.cw).astype(np.int64), 0, self.nx - 1)

    def _iy(self, y: np.ndarray) -> np.ndarray:
        return np.clip(((y - self.gy0) / self.ch).astype(np.int64), 0, self.ny - 1)

    def first_hits(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Per point the lowest index of a polygon covering it, or -1."""
        result = np.full(len(xs), -1, dtype=np.int64)
        if not len(xs):
            return result
        inside_grid = (
            (xs >= self.gx0)
            & (xs <= self.gx0 + self.cw * self.nx)
            & (ys >= self.gy0)
            & (ys <= self.gy0 + self.ch * self.ny)
        )
        pts = np.flatnonzero(inside_grid)
        cell = self._iy(ys[pts]) * self.nx + self._ix(xs[pts])
        start = self.cell_start[cell]
        count = self.cell_start[cell + 1] - start
        pidx = np.repeat(pts, count)
        gidx = self.items[
            np.repeat(start, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        ]
        x, y = xs[pidx], ys[pidx]
        near = (
            (self.bminx[gidx] <= x)
            & (x <= self.bmaxx[gidx])
            & (self.bminy[gidx] <= y)
            & (y <= self.bmaxy[gidx])
        )
        pidx, gidx, x, y = pidx[near], gidx[near], x[near], y[near]
        inside = shapely.intersects_xy(self.polygons[gidx], x, y)
        pidx, gidx = pidx[inside], gidx[inside]
        # Pairs come grouped by point with polygon numbers ascending, so the first pair of each
        # point is its lowest-numbered polygon: on a shared edge the lowest code wins, as in `locate`.
        first = np.ones(len(pidx), dtype=bool)
        first[1:] = pidx[1:] != pidx[:-1]
        result[pidx[first]] = gidx[first]
        return result


_SLOT = {TOWNSHIP: 0, COMMUNITY: 1, GRID: 2, MICRO: 3, DEDICATED: 4}


def _locations(rows: Sequence[UnitRow]) -> dict[int, Location]:
    """Per unit the Location of its own area, built parents-first in one pass (each from its parent's)."""
    codes: dict[int, list] = {}
    ids: dict[int, list] = {}
    out: dict[int, Location] = {}
    empty = [None] * 5
    for r in sorted(rows, key=lambda r: _SLOT.get(r.level, 9)):
        c = list(codes.get(r.parent_id, empty)) if r.parent_id else list(empty)
        i = list(ids.get(r.parent_id, empty)) if r.parent_id else list(empty)
        slot = _SLOT.get(r.level)
        if slot is not None:
            c[slot], i[slot] = r.code, r.id
        codes[r.id], ids[r.id] = c, i
        out[r.id] = Location(c[0], c[1], c[2], c[3], c[4], r.township_id, i[3], i[1], i[2], i[4], r.county_id)
    return out


# ---- the per-process index ----------------------------------------------------------------------

_lock = threading.Lock()
_index: GridIndex | None = None
_checked_at = 0.0


def _current_token() -> str:
    from zhifa.grid.models import GridIndexVersion

    return GridIndexVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def load_rows() -> list[UnitRow]:
    from zhifa.grid.models import GridUnit

    fields = ("id", "level", "code", "parent_id", "township_id", "county_id")
    with_wkb = GridUnit.objects.filter(geometry_wkb__isnull=False).values_list(*fields, "geometry_wkb")
    text_only = GridUnit.objects.filter(geometry_wkb__isnull=True).values_list(*fields, "geometry")
    rows = []
    for qs in (with_wkb, text_only):
        for *values, geometry in qs.iterator(chunk_size=5000):
            rows.append(UnitRow(*values, bytes(geometry) if isinstance(geometry, memoryview) else geometry))
    return rows


def _parse(geometries: list[str | bytes]) -> np.ndarray:
    out = np.empty(len(geometries), dtype=object)
    binary = np.array([isinstance(g, bytes) for g in geometries], dtype=bool)
    if binary.any():
        out[binary] = shapely.from_wkb([g for g in geometries if isinstance(g, bytes)])
    if (~binary).any():
        out[~binary] = shapely.from_geojson([g for g in geometries if not isinstance(g, bytes)])
    return out


def build_from_db() -> GridIndex:
    token = _current_token()
    # Hundreds of thousands of small objects that all stay alive: the cyclic collector would
    # rescan them again and again while they are being made (a third of the build time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return GridIndex(load_rows(), token)
    finally:
        if enabled:
            gc.enable()


def get_index(force_check: bool = False) -> GridIndex:
    global _index, _checked_at
    now = time.monotonic()
    idx = _index
    if idx is not None and not force_check and now - _checked_at < CHECK_SECONDS:
        return idx
    token = _current_token()
    with _lock:
        if _index is None or _index.token != token:
            _index = build_from_db()
        _checked_at = now
        return _index


def invalidate() -> None:
    """Drop this process's index (the next lookup reloads it from the DB)."""
    global _index, _checked_at
    with _lock:
        _index = None
        _checked_at = 0.0

"""In-process point lookup over the grid map: shapely STRtrees, built once per process from the DB.

Only the finest units are searched first (dedicated grids, then micro grids); their ancestry is
precomputed, so a hit gives township → community → grid → micro at once. Points in no micro
grid (a map without micro grids, or a sliver) fall back to grid, community, then township.
The index reloads when the import token in `GridIndexVersion` changes (checked at most every
CHECK_SECONDS for single lookups, once per batch) or when `invalidate()` is called.
"""

from __future__ import annotations

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
    geometry: str  # GeoJSON geometry text


class GridIndex:
    def __init__(self, rows: Sequence[UnitRow], token: str = ""):
        self.token = token
        by_id = {r.id: r for r in rows}
        self.size = len(rows)
        self.levels: dict[str, _LevelTree] = {}
        for level in SEARCH_ORDER:
            members = sorted((r for r in rows if r.level == level), key=lambda r: r.code)
            if members:
                self.levels[level] = _LevelTree(members, [_location(r, by_id) for r in members])

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
        out: list[Location | None] = [None] * len(xs)
        todo = np.arange(len(xs))
        for tree in self.levels.values():
            if not len(todo):
                break
            found = tree.first_hits(xs[todo], ys[todo])
            hit = found >= 0
            locs = tree.locations
            for i, k in zip(todo[hit].tolist(), found[hit].tolist(), strict=True):
                out[i] = locs[k]
            todo = todo[~hit]
        return out


class _LevelTree:
    def __init__(self, members: list[UnitRow], locations: list[Location]):
        self.locations = locations
        self.polygons = shapely.from_geojson([m.geometry for m in members])
        # Prepared polygons make the exact point-in-polygon test after the bbox search cheap.
        shapely.prepare(self.polygons)
        self.tree = shapely.STRtree(self.polygons)

    def first_hits(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Per point the lowest index of a polygon covering it, or -1."""
        result = np.full(len(xs), -1, dtype=np.int64)
        if not len(xs):
            return result
        pidx, gidx = self.tree.query(shapely.points(xs, ys))  # bounding-box candidates
        if not len(pidx):
            return result
        inside = shapely.intersects_xy(self.polygons[gidx], xs[pidx], ys[pidx])
        pidx, gidx = pidx[inside], gidx[inside]
        # A point on a shared edge lies in both neighbours: the lowest code wins, as in `locate`.
        order = np.lexsort((gidx, pidx))
        pidx, gidx = pidx[order], gidx[order]
        first = np.ones(len(pidx), dtype=bool)
        first[1:] = pidx[1:] != pidx[:-1]
        result[pidx[first]] = gidx[first]
        return result


def _location(row: UnitRow, by_id: dict[int, UnitRow]) -> Location:
    chain: dict[str, UnitRow] = {}
    cur: UnitRow | None = row
    while cur is not None and cur.level not in chain:
        chain[cur.level] = cur
        cur = by_id.get(cur.parent_id) if cur.parent_id else None

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
        township_id=row.township_id,
        micro_id=uid(MICRO),
        community_id=uid(COMMUNITY),
        grid_id=uid(GRID),
        dedicated_id=uid(DEDICATED),
        county_id=row.county_id,
    )


# ---- the per-process index ----------------------------------------------------------------------

_lock = threading.Lock()
_index: GridIndex | None = None
_checked_at = 0.0


def _current_token() -> str:
    from zhifa.grid.models import GridIndexVersion

    return GridIndexVersion.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def load_rows() -> list[UnitRow]:
    from zhifa.grid.models import GridUnit

    fields = ("id", "level", "code", "parent_id", "township_id", "county_id", "geometry")
    return [UnitRow(*values) for values in GridUnit.objects.values_list(*fields).iterator(chunk_size=5000)]


def build_from_db() -> GridIndex:
    token = _current_token()
    return GridIndex(load_rows(), token)


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

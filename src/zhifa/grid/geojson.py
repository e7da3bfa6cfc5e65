"""Grid polygons as GeoJSON for the map, simplified per level so a browser draws them quickly."""

from __future__ import annotations

import json
import threading

import shapely

from zhifa.grid.models import COMMUNITY, DEDICATED, GRID, MICRO, TOWNSHIP

# Degrees; about 1 m of latitude per 0.00001. Coarse levels are drawn small, so coarser outlines do.
SIMPLIFY = {TOWNSHIP: 0.0003, COMMUNITY: 0.0001, GRID: 0.00005, MICRO: 0.00001, DEDICATED: 0.0}
MAX_FEATURES = 20_000


def feature_collection(units) -> dict:
    """`units`: GridUnit rows (id, code, name, level, township code, geometry)."""
    rows = list(units)
    geoms = shapely.from_geojson([u.geometry for u in rows]) if rows else []
    features = []
    for u, g in zip(rows, geoms, strict=True):
        tol = SIMPLIFY.get(u.level, 0.0)
        if tol:
            g = shapely.simplify(g, tol, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "id": u.id,
                "properties": {
                    "id": u.id,
                    "code": u.code,
                    "name": u.label,
                    "level": u.level,
                    "township": u.township.code,
                    "kind": u.kind,
                },
                "geometry": json.loads(shapely.to_geojson(shapely.set_precision(g, 1e-6))),
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---- a per-process cache of simplified features, per (map version, level, township) ---------------

_cache: dict[tuple[str, str, int], list[dict]] = {}
_cache_lock = threading.Lock()


def features_for(level: str, township_ids: list[int]) -> list[dict]:
    """Simplified features of `level` in the given townships, cached until the map changes.

    The map page asks for the same layers again and again; simplifying and serialising thousands
    of polygons each time would dominate its load time.
    """
    from zhifa.grid.index import _current_token
    from zhifa.grid.models import GridUnit

    token = _current_token()
    out: list[dict] = []
    missing = []
    with _cache_lock:
        if any(key[0] != token for key in _cache):
            _cache.clear()
        for tid in township_ids:
            cached = _cache.get((token, level, tid))
            if cached is None:
                missing.append(tid)
    if missing:
        qs = (
            GridUnit.objects.filter(level=level, township_id__in=missing)
            .select_related("township")
            .defer("geometry_wkb")
            .order_by("code")
        )
        fresh: dict[int, list[dict]] = {tid: [] for tid in missing}
        for feature, unit in zip(feature_collection(qs)["features"], qs, strict=True):
            fresh[unit.township_id].append(feature)
        with _cache_lock:
            for tid, feats in fresh.items():
                _cache[(token, level, tid)] = feats
    with _cache_lock:
        for tid in township_ids:
            out.extend(_cache.get((token, level, tid), []))
    return out


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()

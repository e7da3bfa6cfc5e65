"""Grid polygons as GeoJSON for the map, simplified per level so a browser draws them quickly."""

from __future__ import annotations

import json

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

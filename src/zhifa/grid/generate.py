"""Synthetic grid maps: the small named demo county map, and large maps for benchmarks.

The idea is that of ../shared/benchmark/grids/make_grids.py: every unit is cut into irregular
Voronoi cells clipped to it, so siblings share edges exactly and tile their parent; dedicated
grids are small blobs inside micro grids. `python -m zhifa.grid.generate demo OUT.geojson` writes
the demo map (src/zhifa/demo/data/grid/demo.geojson); `... bench OUT --communities 20 --grids 10
--micro 85` a province-sized one. No Django needed.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator

import numpy as np
from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.ops import voronoi_diagram

# code, name, centre offset: the demo county's four townships (docs/CONVENTIONS.md).
DEMO_TOWNSHIPS = [("T01", "城关街道"), ("T02", "新华街道"), ("T03", "柳泉镇"), ("T04", "石岭乡")]
DEMO_COMMUNITIES = {
    "T01": ["东关社区", "西关社区", "南街社区"],
    "T02": ["新华社区", "文化路社区", "火车站社区"],
    "T03": ["柳泉村", "东王庄村", "河湾村"],
    "T04": ["石岭村", "上岭村", "下岭村"],
}
DEMO_DEDICATED = [  # township, name, kind
    ("T01", "城关第一中学", "学校"),
    ("T01", "县人民医院", "医院"),
    ("T02", "新华农贸市场", "农贸市场"),
    ("T03", "柳泉工业园", "工业园区"),
]
ORDINALS = "一二三四五六七八九十"
DEMO_CENTRE = (113.20, 35.25)


def outline(rng: np.random.Generator, centre: tuple[float, float], rx: float, ry: float) -> Polygon:
    cx, cy = centre
    pts = []
    for k in range(24):
        a = 2 * math.pi * k / 24
        r = 1.0 + 0.1 * rng.standard_normal()
        pts.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
    return Polygon(pts).buffer(0)


def _seeds(poly, n: int, rng: np.random.Generator) -> list[Point]:
    minx, miny, maxx, maxy = poly.bounds
    out: list[Point] = []
    while len(out) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            out.append(p)
    return out


def _polygonal(geom):
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = max(polys, key=lambda g: g.area)
    return geom


def split(poly, n: int, rng: np.random.Generator) -> list:
    """Cut `poly` into n irregular cells, ordered north-west to south-east so codes read naturally."""
    if n == 1:
        return [poly]
    cells = voronoi_diagram(MultiPoint(_seeds(poly, n, rng)), envelope=poly.envelope.buffer(0.5))
    parts = [_polygonal(c.intersection(poly)) for c in cells.geoms]
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    parts.sort(key=lambda p: (-round(p.centroid.y, 3), p.centroid.x))
    return parts


def _feature(code: str, name: str, level: str, parent: str | None, township: str, geom, **props) -> dict:
    p = {"code": code, "name": name, "level": level, "parent": parent, "township": township, **props}
    return {"type": "Feature", "properties": p, "geometry": mapping(_polygonal(geom))}


def _base_data(rng: np.random.Generator) -> dict[str, int]:
    households = int(rng.integers(30, 400))
    return {
        "households": households,
        "population": int(households * rng.uniform(2.2, 3.4)),
        "businesses": int(rng.integers(0, 60)),
    }


def demo_map(seed: int = 11) -> dict:
    """The demo county: 4 townships × 3 communities × 2 grids × 4 micro grids, 4 dedicated grids."""
    rng = np.random.default_rng(seed)
    feats: list[dict] = []
    micro: dict[str, list[tuple[str, object]]] = {}
    county = outline(rng, DEMO_CENTRE, 0.09, 0.065)
    for (tcode, tname), tpoly in zip(DEMO_TOWNSHIPS, split(county, 4, rng), strict=True):
        feats.append(_feature(tcode, tname, "township", None, tcode, tpoly))
        micro[tcode] = []
        for ci, (cname, cpoly) in enumerate(
            zip(DEMO_COMMUNITIES[tcode], split(tpoly, 3, rng), strict=True), 1
        ):
            ccode = f"{tcode}-C{ci:02d}"
            feats.append(_feature(ccode, cname, "community", tcode, tcode, cpoly))
            for gi, gpoly in enumerate(split(cpoly, 2, rng), 1):
                gcode, gname = f"{ccode}-G{gi:02d}", f"{cname}第{ORDINALS[gi - 1]}网格"
                feats.append(_feature(gcode, gname, "grid", ccode, tcode, gpoly))
                for mi, mpoly in enumerate(split(gpoly, 4, rng), 1):
                    mcode = f"{gcode}-M{mi:02d}"
                    feats.append(
                        _feature(
                            mcode, f"{gname}{mi}号微网格", "micro", gcode, tcode, mpoly, **_base_data(rng)
                        )
                    )
                    micro[tcode].append((mcode, mpoly))
    counters: dict[str, int] = {}
    for tcode, name, kind in DEMO_DEDICATED:
        counters[tcode] = counters.get(tcode, 0) + 1
        mcode, mpoly = micro[tcode][counters[tcode] * 5 % len(micro[tcode])]
        feats.append(_dedicated(f"{tcode}-X{counters[tcode]:02d}", name, kind, mcode, tcode, mpoly))
    return {"type": "FeatureCollection", "features": feats}


def _dedicated(code: str, name: str, kind: str, micro_code: str, township: str, mpoly) -> dict:
    c = mpoly.representative_point()
    blob = affinity.scale(mpoly, 0.3, 0.3, origin=c).intersection(mpoly)
    return _feature(code, name, "dedicated", micro_code, township, blob, kind=kind)


def bench_map(
    communities: int = 20, grids: int = 10, micro: int = 85, dedicated: int = 200, seed: int = 7
) -> Iterator[dict]:
    """A county of 6 townships for scale tests (20 × 10 × 85 gives ~100,000 micro grids)."""
    rng = np.random.default_rng(seed)
    county = outline(rng, (112.90, 35.80), 0.23, 0.14)
    micro_cells: list[tuple[str, str, object]] = []
    for ti, tpoly in enumerate(split(county, 6, rng), 1):
        tcode = f"T{ti:02d}"
        yield _feature(tcode, "", "township", None, tcode, tpoly)
        for ci, cpoly in enumerate(split(tpoly, communities, rng), 1):
            ccode = f"{tcode}-C{ci:02d}"
            yield _feature(ccode, "", "community", tcode, tcode, cpoly)
            for gi, gpoly in enumerate(split(cpoly, grids, rng), 1):
                gcode = f"{ccode}-G{gi:02d}"
                yield _feature(gcode, "", "grid", ccode, tcode, gpoly)
                for mi, mpoly in enumerate(split(gpoly, micro, rng), 1):
                    mcode = f"{gcode}-M{mi:02d}"
                    yield _feature(mcode, "", "micro", gcode, tcode, mpoly, **_base_data(rng))
                    micro_cells.append((mcode, tcode, mpoly))
    picks = rng.choice(len(micro_cells), size=min(dedicated, len(micro_cells)), replace=False)
    for k, i in enumerate(sorted(picks), 1):
        mcode, tcode, mpoly = micro_cells[i]
        yield _dedicated(f"{tcode}-X{k:03d}", "", "学校", mcode, tcode, mpoly)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["demo", "bench"])
    ap.add_argument("out")
    ap.add_argument("--communities", type=int, default=20)
    ap.add_argument("--grids", type=int, default=10)
    ap.add_argument("--micro", type=int, default=85)
    ap.add_argument("--dedicated", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    if a.kind == "demo":
        doc = demo_map()
    else:
        doc = {
            "type": "FeatureCollection",
            "features": list(bench_map(a.communities, a.grids, a.micro, a.dedicated, a.seed)),
        }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    counts: dict[str, int] = {}
    for ft in doc["features"]:
        counts[ft["properties"]["level"]] = counts.get(ft["properties"]["level"], 0) + 1
    print(json.dumps(counts, ensure_ascii=False))


if __name__ == "__main__":
    main()

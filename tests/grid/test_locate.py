"""Locating points: the index against a plain shapely point-in-polygon, CRS input, responsibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from zhifa.grid import coords, services
from zhifa.grid.models import EnforcementGrid, GridStaff, GridUnit
from zhifa.org.models import Township, User

pytestmark = pytest.mark.django_db


def _reference(county_doc: dict, xs: np.ndarray, ys: np.ndarray) -> list[dict]:
    """Point-in-polygon by brute force, level by level, without any index."""
    out = [dict.fromkeys(("township", "community", "grid", "micro", "dedicated")) for _ in xs]
    parent = {f["properties"]["code"]: f["properties"]["parent"] for f in county_doc["features"]}
    for f in county_doc["features"]:
        p = f["properties"]
        inside = np.flatnonzero(shapely.intersects_xy(shape(f["geometry"]), xs, ys))
        for i in inside.tolist():
            if p["level"] == "dedicated" or out[i][p["level"]] is None:
                out[i][p["level"]] = p["code"]
    for row in out:  # a point in a dedicated grid belongs to its micro grid's tree
        if row["dedicated"]:
            row["micro"] = parent[row["dedicated"]]
    return out


def test_locate_command_agrees_with_reference_on_10000_points(imported_map, county_doc, tmp_path, capsys):
    rng = np.random.default_rng(2026)
    xs = rng.uniform(112.60, 113.20, 9500)
    ys = rng.uniform(35.62, 35.98, 9500)
    # 500 points inside the dedicated grids' boxes, so dedicated precedence is exercised for sure
    boxes = [
        shape(f["geometry"]).bounds for f in county_doc["features"] if f["properties"]["level"] == "dedicated"
    ]
    for k in range(500):
        minx, miny, maxx, maxy = boxes[k % len(boxes)]
        xs = np.append(xs, rng.uniform(minx, maxx))
        ys = np.append(ys, rng.uniform(miny, maxy))
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        "".join(
            json.dumps({"id": i, "lon": x, "lat": y}) + "\n"
            for i, (x, y) in enumerate(zip(xs, ys, strict=True))
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    call_command("locate", str(inp), "-o", str(out))
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = _reference(county_doc, xs, ys)
    assert len(got) == 10_000
    assert [g["id"] for g in got] == list(range(10_000))
    mismatches = [(g, e) for g, e in zip(got, expected, strict=True) if {k: g[k] for k in e} != e]
    assert mismatches == []
    assert sum(1 for e in expected if e["dedicated"]) > 50
    assert 0 < sum(1 for e in expected if e["township"] is None) < 10_000  # some points lie outside
    assert "定位完成：共10000行" in capsys.readouterr().err


def test_locate_command_reports_bad_lines_by_number(imported_map, tmp_path, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        '{"id": "a", "lon": 112.9, "lat": 35.8}\n'
        "not json\n"
        '{"id": "b", "lon": "x", "lat": 35.8}\n'
        '{"id": "c", "lon": 112.9, "lat": 35.8, "crs": "utm"}\n'
        '{"lon": 1, "lat": 2}\n'
        '{"id": "d", "lon": 10.0, "lat": 50.0, "crs": "gcj02"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    with pytest.raises(CommandError, match="有4行无法处理"):
        call_command("locate", str(inp), "-o", str(out))
    err = capsys.readouterr().err
    assert "in.jsonl:2：不是有效的JSON" in err
    assert "in.jsonl:3：经度“x”不是数字（id=b）" in err
    assert "in.jsonl:4：不支持的坐标系“utm”" in err
    assert "in.jsonl:5：缺少id" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "d"]
    assert rows[0]["township"] == "T05" and rows[1]["township"] is None


def test_locate_returns_codes_ids_and_dedicated_first(imported_map, county_doc):
    loc = services.locate(112.90, 35.80)
    assert (loc.township, loc.community, loc.grid, loc.micro, loc.dedicated) == (
        "T05",
        "T05-C02",
        "T05-C02-G03",
        "T05-C02-G03-M03",
        None,
    )
    assert loc.township_id == Township.objects.get(code="T05").id
    assert loc.micro_id == GridUnit.objects.get(code="T05-C02-G03-M03").id
    ded = next(f for f in county_doc["features"] if f["properties"]["level"] == "dedicated")
    p = shape(ded["geometry"]).representative_point()
    loc = services.locate(p.x, p.y)
    assert loc.dedicated == ded["properties"]["code"]
    assert loc.micro == ded["properties"]["parent"]
    assert loc.unit_id == GridUnit.objects.get(code=loc.dedicated).id
    assert services.locate(100.0, 30.0) is None
    assert "不在本县任何网格内" in services.outside_message(100.0, 30.0)
    with pytest.raises(ValueError, match=r"纬度95\.0超出范围"):
        services.locate(112.9, 95)


def test_phone_map_coordinates_are_converted_before_lookup(imported_map):
    x, y = 112.8123, 35.7311
    wgs = services.locate(x, y)
    gcj = coords.wgs84_to_gcj02(x, y)
    bd = coords.gcj02_to_bd09(*gcj)
    assert services.locate(*gcj, crs="gcj02") == wgs
    assert services.locate(*bd, crs="bd09") == wgs
    # the raw GCJ-02 numbers read as WGS-84 lie some 300-600 m away, usually in another micro grid
    many = services.locate_many([(x, y), (*gcj, "gcj02"), (*bd, "bd09"), (100.0, 30.0)])
    assert many == [wgs, wgs, wgs, None]


def test_responsible_staff_and_officers(imported_map):
    county = imported_map.county
    t05 = Township.objects.get(code="T05")

    def user(username, role, full_name):
        # no password: hashing one costs a noticeable fraction of a second per user
        return User.objects.create(
            username=username, role=role, county=county, township=t05, full_name=full_name
        )

    admin = user("t05_admin", "township_admin", "管理员")
    worker = user("w1", "grid_worker", "刘网格")
    leader = user("l1", "grid_worker", "张网格长")
    officer = user("o1", "officer", "王执法")
    micro = GridUnit.objects.get(code="T05-C02-G03-M03")
    grid = micro.parent
    services.assign_staff(admin, micro, worker, GridStaff.WORKER)
    services.assign_staff(admin, grid, leader, GridStaff.LEADER)
    services.save_enforcement_grid(
        admin, township=t05, code="T05-E01", name="第一执法网格", micro_codes=[micro.code], officers=[officer]
    )
    duty = services.responsible(services.locate(112.90, 35.80))
    assert duty.grid_worker.name == "刘网格"
    assert duty.grid_leader.name == "张网格长"
    assert [lv.code for lv in duty.levels] == ["T05-C02-G03-M03", "T05-C02-G03", "T05-C02"]
    assert [o.name for o in duty.officers] == ["王执法"] and duty.enforcement_grids == ["第一执法网格"]
    # one grid, one worker: a new worker replaces the old one
    other = user("w2", "grid_worker", "陈网格")
    services.assign_staff(admin, micro, other, GridStaff.WORKER)
    assert list(micro.staff.filter(role="worker").values_list("user__full_name", flat=True)) == ["陈网格"]
    with pytest.raises(Exception, match="没有管理网格的权限"):
        services.assign_staff(worker, micro, worker, GridStaff.WORKER)
    with pytest.raises(Exception, match="不存在或不属于"):
        services.save_enforcement_grid(
            admin, township=t05, code="T05-E02", name="x", micro_codes=["T01-C01-G01-M01"], officers=[]
        )
    assert EnforcementGrid.objects.count() == 1
    assert services.responsible(None).grid_worker is None


def test_points_on_shared_edges_get_one_answer_single_or_batch(imported_map):
    micro = GridUnit.objects.get(code="T05-C02-G03-M03")
    ring = json.loads(micro.geometry)["coordinates"][0]
    points = [tuple(ring[0]), tuple(ring[2]), ((ring[0][0] + ring[1][0]) / 2, (ring[0][1] + ring[1][1]) / 2)]
    batch = services.locate_many(points)
    for p, loc in zip(points, batch, strict=True):
        assert loc is not None
        assert services.locate(*p) == loc


def test_index_falls_back_to_geojson_text_without_wkb(imported_map):
    from zhifa.grid import index

    GridUnit.objects.filter(code__startswith="T05-C02").update(geometry_wkb=None)
    idx = index.build_from_db()
    assert idx.locate(112.90, 35.80).micro == "T05-C02-G03-M03"
    assert idx.locate_many([112.90], [35.80])[0].micro == "T05-C02-G03-M03"


def test_index_reloads_when_another_process_imported(imported_map, monkeypatch):
    from zhifa.grid import index
    from zhifa.grid.models import GridIndexVersion

    monkeypatch.setattr(index, "CHECK_SECONDS", 3600.0)  # no check by the clock during the test
    first = index.get_index(force_check=True)
    assert index.get_index() is first  # cached between checks
    GridIndexVersion.objects.update_or_create(pk=1, defaults={"token": "another-process"})
    assert index.get_index() is first  # not yet checked again
    fresh = index.get_index(force_check=True)
    assert fresh is not first and fresh.token == "another-process"


def _brute_force(county_doc: dict, xs: np.ndarray, ys: np.ndarray) -> list[str | None]:
    """The index's rule without any index: per level the lowest code among the polygons that
    touch the point (boundary included); dedicated, micro, then (inside a township) grid,
    community, the township; a point in no township and no leaf is outside."""
    by_level: dict[str, list] = {}
    for f in sorted(county_doc["features"], key=lambda f: f["properties"]["code"]):
        by_level.setdefault(f["properties"]["level"], []).append(f)

    def first(level: str) -> list[str | None]:
        hit: list[str | None] = [None] * len(xs)
        for f in by_level.get(level, []):
            for i in np.flatnonzero(shapely.intersects_xy(shape(f["geometry"]), xs, ys)).tolist():
                if hit[i] is None:
                    hit[i] = f["properties"]["code"]
        return hit

    levels = {lv: first(lv) for lv in ("dedicated", "micro", "township", "grid", "community")}
    out = []
    for i in range(len(xs)):
        leaf = levels["dedicated"][i] or levels["micro"][i]
        if leaf or levels["township"][i] is None:
            out.append(leaf)
        else:
            out.append(levels["grid"][i] or levels["community"][i] or levels["township"][i])
    return out


def test_batch_equals_brute_force_on_random_points_and_shared_edges_and_vertices(imported_map, county_doc):
    from zhifa.grid import index

    rng = np.random.default_rng(11)
    xs, ys = [rng.uniform(112.60, 113.20, 4000)], [rng.uniform(35.62, 35.98, 4000)]
    # every vertex of some micro and dedicated grids (shared by neighbours) and the midpoints of
    # their edges (exactly on a shared edge, up to rounding)
    leaves = [f for f in county_doc["features"] if f["properties"]["level"] in ("micro", "dedicated")]
    for f in leaves[::7]:
        ring = np.asarray(shape(f["geometry"]).geoms[0].exterior.coords if f["geometry"]["type"]
                          == "MultiPolygon" else shape(f["geometry"]).exterior.coords)  # fmt: skip
        xs += [ring[:, 0], (ring[:-1, 0] + ring[1:, 0]) / 2]
        ys += [ring[:, 1], (ring[:-1, 1] + ring[1:, 1]) / 2]
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = np.random.default_rng(5).permutation(len(x))  # no help from the input order
    x, y = x[order], y[order]
    idx = index.build_from_db()
    got = [
        None if loc is None else (loc.dedicated or loc.micro or loc.grid or loc.community or loc.township)
        for loc in idx.locate_many(x, y)
    ]
    expected = _brute_force(county_doc, x, y)
    assert len(x) > 6000
    assert [(i, g, e) for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e] == []
    assert sum(1 for e in expected if e is None) > 100  # some points are outside the county
    # the single lookup gives the same Location as the batch, point by point
    sample = np.arange(0, len(x), 13)
    batch = idx.locate_many(x[sample], y[sample])
    assert [idx.locate(float(x[i]), float(y[i])) for i in sample] == batch

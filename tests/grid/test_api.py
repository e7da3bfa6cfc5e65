"""Grid API: scoping, GeoJSON per level, locate (single and batch, CRS), elements, staff."""

from __future__ import annotations

import pytest

from zhifa.grid import coords
from zhifa.grid.models import Element, GridStaff, GridUnit
from zhifa.org.models import Township, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(imported_map):
    county = imported_map.county
    t05 = Township.objects.get(code="T05")
    t01 = Township.objects.get(code="T01")

    def user(username, role, township=None, full_name=""):
        return User.objects.create(
            username=username, role=role, county=county, township=township, full_name=full_name or username
        )

    return {
        "admin5": user("admin5", "township_admin", t05),
        "worker5": user("worker5", "grid_worker", t05, "刘网格"),
        "worker1": user("worker1", "grid_worker", t01),
        "dispatcher": user("disp", "county_dispatcher"),
    }


def _client(client, u):
    client.force_login(u)
    return client


def test_units_are_scoped_to_the_township(client, people):
    c = _client(client, people["worker1"])
    r = c.get("/api/grid/units/?level=micro&limit=1000")
    assert r.status_code == 200
    codes = {u["code"] for u in r.json()["results"]}
    assert len(codes) == 256 and all(code.startswith("T01-") for code in codes)
    other = GridUnit.objects.get(code="T05-C02-G03-M03")
    assert c.get(f"/api/grid/units/{other.id}/").status_code == 404
    county = _client(client, people["dispatcher"]).get("/api/grid/units/?level=micro&limit=1")
    assert county.json()["count"] == 1536
    found = _client(client, people["dispatcher"]).get("/api/grid/units/?q=t05-c02-g03-m0").json()
    assert found["count"] == 8 and all(u["code"].startswith("T05-C02-G03-M0") for u in found["results"])


def test_unit_detail_shows_base_data_and_staff(client, people):
    micro = GridUnit.objects.get(code="T05-C02-G03-M03")
    c = _client(client, people["admin5"])
    r = c.post(f"/api/grid/units/{micro.id}/staff/", {"user": people["worker5"].id, "role": "worker"})
    assert r.status_code == 201, r.content
    data = c.get(f"/api/grid/units/{micro.id}/").json()
    assert data["households"] == micro.households and data["level_label"] == "微网格"
    assert [a["code"] for a in data["ancestors"]] == ["T05-C02-G03", "T05-C02", "T05"]
    assert data["responsible"]["levels"][0]["posts"][0]["name"] == "刘网格"
    r = c.post(f"/api/grid/units/{micro.id}/staff/", {"user": people["worker1"].id, "role": "worker"})
    assert r.status_code == 400 and "管辖范围" in str(r.json()["fields"]["user"])
    worker = _client(client, people["worker5"])
    r = worker.post(f"/api/grid/units/{micro.id}/staff/", {"user": people["worker5"].id, "role": "leader"})
    assert r.status_code in (403, 404)
    assert GridStaff.objects.count() == 1


def test_geojson_by_level_and_township(client, people):
    c = _client(client, people["dispatcher"])
    fc = c.get("/api/grid/geojson/?level=township").json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 6
    fc = c.get("/api/grid/geojson/?level=micro&township=T02").json()
    assert len(fc["features"]) == 256
    assert {f["properties"]["township"] for f in fc["features"]} == {"T02"}
    assert fc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    r = c.get("/api/grid/geojson/?level=block")
    assert r.status_code == 400 and "层级“block”无效" in str(r.json())
    scoped = _client(client, people["worker1"]).get("/api/grid/geojson/?level=community").json()
    assert len(scoped["features"]) == 8


def test_locate_endpoint_single_batch_and_crs(client, people):
    c = _client(client, people["dispatcher"])
    r = c.get("/api/grid/locate/?lon=112.90&lat=35.80").json()
    assert r["found"] and r["micro"] == "T05-C02-G03-M03" and r["stored_crs"] == "wgs84"
    gx, gy = coords.wgs84_to_gcj02(112.90, 35.80)
    r = c.get(f"/api/grid/locate/?lon={gx}&lat={gy}&crs=gcj02").json()
    assert r["micro"] == "T05-C02-G03-M03" and r["crs"] == "gcj02"
    r = c.get("/api/grid/locate/?lon=100&lat=30").json()
    assert r["found"] is False and "不在本县任何网格内" in r["message"]
    r = c.get("/api/grid/locate/?lon=112.9&lat=35.8&crs=mercator")
    assert r.status_code == 400 and "不支持的坐标系" in str(r.json())
    r = c.post(
        "/api/grid/locate/",
        {
            "crs": "wgs84",
            "points": [
                {"id": 7, "lon": 112.9, "lat": 35.8},
                {"id": "x", "lon": gx, "lat": gy, "crs": "gcj02"},
            ],
        },
        content_type="application/json",
    ).json()
    assert [(p["id"], p["micro"]) for p in r["results"]] == [(7, "T05-C02-G03-M03"), ("x", "T05-C02-G03-M03")]
    schema = c.get("/api/schema/").content.decode()
    assert "gcj02" in schema


def test_elements_are_located_into_their_grid(client, people):
    c = _client(client, people["admin5"])
    r = c.post(
        "/api/grid/elements/",
        {"kind": "shop", "name": "便民超市", "lon": 112.90, "lat": 35.80},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["unit"] == "T05-C02-G03-M03" and r.json()["township"] == "T05"
    r = c.post(
        "/api/grid/elements/",
        {"kind": "shop", "name": "远方商店", "lon": 100, "lat": 30},
        content_type="application/json",
    )
    assert r.status_code == 400 and "不在本县任何网格内" in str(r.json())
    r = _client(client, people["worker1"]).post(
        "/api/grid/elements/",
        {"kind": "risk", "name": "越界", "lon": 112.90, "lat": 35.80},
        content_type="application/json",
    )
    assert r.status_code == 403 and "不在您管辖" in r.json()["error"]
    assert Element.objects.count() == 1
    assert _client(client, people["worker1"]).get("/api/grid/elements/").json()["count"] == 0


def test_enforcement_grids_and_staff_removal(client, people):
    c = _client(client, people["admin5"])
    officer = User.objects.create(
        username="o5", role="officer", county=people["admin5"].county, township=people["admin5"].township
    )
    body = {
        "code": "T05-E01",
        "name": "第一执法网格",
        "township": "T05",
        "micro_grids": ["T05-C02-G03-M03", "T05-C02-G03-M04"],
        "officers": [officer.id],
    }
    r = c.post("/api/grid/enforcement-grids/", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["micro_grids"] == ["T05-C02-G03-M03", "T05-C02-G03-M04"]
    bad = {**body, "micro_grids": ["T01-C01-G01-M01"]}
    r = c.post("/api/grid/enforcement-grids/", bad, content_type="application/json")
    assert r.status_code == 400 and "T01-C01-G01-M01" in str(r.json())
    loc = c.get("/api/grid/locate/?lon=112.90&lat=35.80").json()
    assert loc["responsible"]["officers"][0]["user_id"] == officer.id

    micro = GridUnit.objects.get(code="T05-C02-G03-M03")
    c.post(f"/api/grid/units/{micro.id}/staff/", {"user": people["worker5"].id, "role": "worker"})
    post = c.get("/api/grid/staff/?unit=T05-C02-G03-M03").json()["results"][0]
    assert post["user_name"] == "刘网格" and post["role_label"] == "网格员"
    assert _client(client, people["worker1"]).delete(f"/api/grid/staff/{post['id']}/").status_code == 404
    assert _client(client, people["worker5"]).delete(f"/api/grid/staff/{post['id']}/").status_code == 403
    assert _client(client, people["admin5"]).delete(f"/api/grid/staff/{post['id']}/").status_code == 204
    assert not GridStaff.objects.exists()


def test_geojson_layers_are_cached_until_the_map_changes(client, people):
    c = _client(client, people["dispatcher"])
    first = c.get("/api/grid/geojson/?level=dedicated").json()
    assert len(first["features"]) == 12
    unit = GridUnit.objects.get(code=first["features"][0]["properties"]["code"])
    unit.name = "城关第一中学"
    unit.save()  # an edit in this process drops the cached layers
    again = c.get("/api/grid/geojson/?level=dedicated").json()
    assert again["features"][0]["properties"]["name"] == "城关第一中学"

"""Grid web pages: the map page and the enforcement-grid page with its form."""

from __future__ import annotations

import json

import pytest

from zhifa.grid.importer import import_features, parse
from zhifa.grid.models import EnforcementGrid

pytestmark = pytest.mark.django_db


@pytest.fixture
def t01_map(county, county_doc):
    doc = {
        **county_doc,
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T01"],
    }
    import_features(parse(json.dumps(doc), "t01.geojson", []), county=county)
    return county


def test_map_page_in_chinese_with_vendored_leaflet(client, make_user, t01_map):
    from zhifa.grid.models import GridStaff, GridUnit

    worker = make_user("grid_worker", township="T01", username="w")
    GridStaff.objects.create(unit=GridUnit.objects.get(code="T01-C01-G01-M01"), user=worker, role="worker")
    client.force_login(worker)
    html = client.get("/grid/").content.decode()
    assert "我负责的网格" in html and "网格员：<a" in html
    assert "网格地图" in html and "grid/leaflet/leaflet.js" in html
    assert "http://" not in html.split("<body>")[0] and "https://" not in html  # no CDN, no tiles
    assert "任命网格人员" not in html and 'data-can-manage=""' in html


def test_enforcement_grid_form(client, make_user, t01_map):
    admin = make_user("township_admin", township="T01", username="a1")
    officer = make_user("officer", township="T01", username="o1", full_name="王建军")
    client.force_login(admin)
    page = client.get("/grid/enforcement/").content.decode()
    assert "新建或修改执法网格" in page and "王建军" in page
    r = client.post(
        "/grid/enforcement/",
        {
            "code": "T01-E01",
            "name": "第一执法网格",
            "township": "T01",
            "micro_grids": "T01-C01-G01-*，T01-C01-G02-M01",
            "officers": [str(officer.pk)],
        },
    )
    assert r.status_code == 302
    eg = EnforcementGrid.objects.get(code="T01-E01")
    assert eg.micro_grids.count() == 9 and list(eg.officers.all()) == [officer]
    r = client.post(
        "/grid/enforcement/",
        {"code": "T01-E02", "name": "第二", "township": "T01", "micro_grids": "T01-C09-G01-M01"},
    )
    assert "以下微网格不存在或不属于东城街道：T01-C09-G01-M01" in r.content.decode()
    r = client.post("/grid/enforcement/", {"code": "T01-E03", "name": "第三", "micro_grids": "x"})
    assert "请选择乡镇（街道）" in r.content.decode()
    assert EnforcementGrid.objects.count() == 1

    client.force_login(make_user("grid_worker", township="T01", username="w"))
    page = client.get("/grid/enforcement/").content.decode()
    assert "第一执法网格" in page and "新建或修改执法网格" not in page
    assert client.post("/grid/enforcement/", {"code": "x"}).status_code == 403


def test_unit_page_shows_base_data_staff_and_children(client, make_user, t01_map):
    from zhifa.grid import services
    from zhifa.grid.models import GridStaff, GridUnit

    admin = make_user("township_admin", township="T01", username="a1")
    worker = make_user("grid_worker", township="T01", username="w", full_name="刘网格")
    micro = GridUnit.objects.get(code="T01-C01-G01-M01")
    services.assign_staff(admin, micro, worker, GridStaff.WORKER)
    client.force_login(worker)
    page = client.get(f"/grid/units/{micro.pk}/").content.decode()
    assert "T01-C01-G01-M01" in page and f"<td>{micro.households}</td>" in page and "刘网格" in page
    grid = client.get(f"/grid/units/{micro.parent_id}/").content.decode()
    assert "下级网格（8个）" in grid
    client.force_login(make_user("grid_worker", township="T02", username="w2"))
    assert client.get(f"/grid/units/{micro.pk}/").status_code == 404


def test_admin_uploads_a_map_all_or_nothing(client, make_user, county, county_doc):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhifa.grid.models import GridUnit

    doc = {
        **county_doc,
        "features": [f for f in county_doc["features"] if f["properties"]["township"] == "T02"],
    }
    broken = json.loads(json.dumps(doc))
    broken["features"] = [f for f in broken["features"] if f["properties"]["code"] != "T02-C01-G01-M01"]
    client.force_login(make_user("admin", username="root"))
    r = client.post("/grid/import/", {"file": SimpleUploadedFile("t02.geojson", json.dumps(broken).encode())})
    page = r.content.decode()
    assert "导入失败：共1处问题，未写入任何数据" in page and "（T02-C01-G01）" in page and "空隙" in page
    assert not GridUnit.objects.exists()
    r = client.post(
        "/grid/import/", {"file": SimpleUploadedFile("t02.geojson", json.dumps(doc).encode())}, follow=True
    )
    assert "网格地图导入完成" in r.content.decode()
    assert GridUnit.objects.filter(township__code="T02", level="micro").count() == 256
    assert "导入网格地图" in client.get("/grid/").content.decode()
    smaller = {**doc, "features": [f for f in doc["features"] if f["properties"]["level"] == "township"]}
    r = client.post(
        "/grid/import/",
        {"file": SimpleUploadedFile("t02.geojson", json.dumps(smaller).encode()), "prune": "1"},
        follow=True,
    )
    assert "删除文件中没有的网格" in r.content.decode()
    assert GridUnit.objects.count() == 1
    client.force_login(make_user("township_admin", township="T02", username="t2"))
    assert client.get("/grid/import/").status_code == 403

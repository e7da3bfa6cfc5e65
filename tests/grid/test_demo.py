"""The demo county's grid map: generated file imports cleanly, staff and elements, idempotent."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from zhifa.core.models import AuditEntry
from zhifa.demo import grid as demo_grid
from zhifa.grid import services
from zhifa.grid.generate import demo_map
from zhifa.grid.models import Element, EnforcementGrid, GridUnit

pytestmark = pytest.mark.django_db


def test_committed_demo_map_is_what_the_generator_makes():
    committed = json.loads(demo_grid.DATA.read_text(encoding="utf-8"))["features"]
    fresh = json.loads(json.dumps(demo_map()))["features"]
    assert [f["properties"] for f in committed] == [f["properties"] for f in fresh]
    for a, b in zip(committed, fresh, strict=True):  # GEOS builds may differ in the last digits
        assert shape(a["geometry"]).equals_exact(shape(b["geometry"]), 1e-9)


def test_demo_step_loads_map_staff_and_elements_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from zhifa.demo.loader import _county

    county = _county()
    logs: list[str] = []
    demo_grid.step(county, logs.append)
    levels = {lv: GridUnit.objects.filter(county=county, level=lv).count() for lv in ("township", "micro")}
    assert levels == {"township": 4, "micro": 96}
    assert GridUnit.objects.get(code="T03").township.kind == "镇"
    micro = GridUnit.objects.get(code="T01-C01-G01-M02")
    p = shape(json.loads(micro.geometry)).representative_point()
    duty = services.responsible(services.locate(p.x, p.y))
    assert duty.grid_worker.name == "刘网格"
    assert duty.grid_leader.name == "城关街道管理员"
    assert {o.name for o in duty.officers} == {"王建军", "李春梅"}
    assert Element.objects.filter(county=county).count() == len(demo_grid.ELEMENTS)
    assert all(e.unit.township_id == e.township_id for e in Element.objects.all())
    assert EnforcementGrid.objects.get(code="T01-E01").micro_grids.count() == 8
    entries = AuditEntry.objects.count()
    demo_grid.step(county, logs.append)
    assert "数据与现有内容一致，未作任何修改" in logs[-2]
    assert "新任命0人次" in logs[-1] and "新增0个" in logs[-1]
    assert AuditEntry.objects.count() == entries

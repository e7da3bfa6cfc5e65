"""The demo county's real catalogue and grid map for browser tests: no stub between page and router."""

from __future__ import annotations

import json


def load_demo_map():
    """(county, T01, a point inside one of T01's micro grids as (lon, lat, micro code))."""
    from shapely.geometry import shape

    from zhifa.core import audit
    from zhifa.demo import loader
    from zhifa.grid.models import MICRO, GridUnit

    with audit.acting_as("演示数据"):
        county = loader._county()
        loader._catalogue(county, lambda m: None)
        loader._grid(county, lambda m: None)
    t01 = county.townships.get(code="T01")
    unit = GridUnit.objects.filter(county=county, level=MICRO, township=t01).order_by("code")[0]
    p = shape(json.loads(unit.geometry)).representative_point()
    return county, t01, (p.x, p.y, unit.code)

"""The duplicate check's spatial cells (pure): every point within the radius lies in a listed cell."""

from __future__ import annotations

import math
import random

import pytest

from zhifa.rules import dispatch_workflow as wf


def _offset(lon: float, lat: float, metres: float, bearing: float) -> tuple[float, float]:
    dlat = metres * math.cos(bearing) / 111_195
    dlon = metres * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


@pytest.mark.parametrize("lat", [-45.0, 0.0, 23.4, 35.8, 53.5, 60.0])
def test_every_point_within_the_radius_is_in_a_neighbouring_cell(lat):
    rng = random.Random(int(lat * 10))
    for _ in range(3000):
        lon = rng.uniform(73.0, 135.0)
        centre_lat = lat + rng.uniform(-0.01, 0.01)
        cells = set(wf.duplicate_cells_near(lon, centre_lat))
        d = rng.uniform(0, wf.DUPLICATE_RADIUS_M * 0.999)
        p = _offset(lon, centre_lat, d, rng.uniform(0, 2 * math.pi))
        assert wf.distance_m(lon, centre_lat, *p) <= wf.DUPLICATE_RADIUS_M
        assert wf.duplicate_cell(*p) in cells, (lon, centre_lat, p)


def test_the_block_is_small_and_cells_differ_between_places():
    # A handful of cells whatever the latitude a county lies at: the lookup stays an index probe.
    assert len(wf.duplicate_cells_near(116.4, 39.9)) <= 15
    assert len(wf.duplicate_cells_near(121.5, 31.2)) <= 15
    here = wf.duplicate_cell(112.8, 35.8)
    assert wf.duplicate_cell(112.8 + 0.01, 35.8) != here  # about 900 m east
    assert wf.duplicate_cell(112.8, 35.8 + 0.01) != here
    # A point 500 m away is not among the cells searched.
    far = _offset(112.8, 35.8, 500, 0.0)
    assert wf.duplicate_cell(*far) not in wf.duplicate_cells_near(112.8, 35.8)

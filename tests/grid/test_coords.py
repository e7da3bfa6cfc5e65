"""GCJ-02 and BD-09 to WGS-84: the published forward formulas and our iterative inverses."""

from __future__ import annotations

import pytest

from zhifa.grid import coords

# Reference values of the widely used coordtransform library (wandergis/coordtransform, test/app.js)
# for the input (116.404, 39.915). Its gcj02→wgs84 and bd09→gcj02 are one-step approximations
# good to a few metres; its forward formulas are exact.
REF_IN = (116.404, 39.915)
REF_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
REF_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
REF_GCJ_TO_WGS = (116.39775550083061, 39.91359571849836)
REF_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)


def test_forward_formulas_match_reference_exactly():
    assert coords.wgs84_to_gcj02(*REF_IN) == pytest.approx(REF_WGS_TO_GCJ, abs=1e-12)
    assert coords.gcj02_to_bd09(*REF_IN) == pytest.approx(REF_GCJ_TO_BD, abs=1e-12)


def test_inverses_within_a_few_metres_of_reference():
    assert coords.distance_m(*coords.gcj02_to_wgs84(*REF_IN), *REF_GCJ_TO_WGS) < 3
    assert coords.distance_m(*coords.bd09_to_gcj02(*REF_IN), *REF_BD_TO_GCJ) < 3


@pytest.mark.parametrize(
    "wgs",
    [(112.90, 35.80), (116.391, 39.907), (121.47, 31.23), (104.06, 30.67), (87.62, 43.82), (126.63, 45.75)],
)
def test_round_trips_to_centimetres(wgs):
    gcj = coords.wgs84_to_gcj02(*wgs)
    bd = coords.gcj02_to_bd09(*gcj)
    assert coords.distance_m(*gcj, *wgs) > 50  # the shift is real, so the test can fail
    assert coords.distance_m(*coords.to_wgs84(*gcj, "gcj02"), *wgs) < 0.01
    assert coords.distance_m(*coords.to_wgs84(*bd, "BD-09"), *wgs) < 0.01


def test_outside_china_and_crs_names():
    assert coords.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert coords.to_wgs84(112.9, 35.8, "CGCS2000") == (112.9, 35.8)
    assert coords.to_wgs84(112.9, 35.8, None) == (112.9, 35.8)
    with pytest.raises(coords.UnknownCRS, match="不支持的坐标系“utm50”"):
        coords.to_wgs84(112.9, 35.8, "utm50")


def test_vectorised_conversion_equals_the_scalar_one():
    import numpy as np

    rng = np.random.default_rng(5)
    lon = np.concatenate([rng.uniform(74, 134, 300), [2.35, -74.0]])  # two points outside China
    lat = np.concatenate([rng.uniform(19, 52, 300), [48.85, 40.7]])
    for crs in ("gcj02", "bd09", "wgs84"):
        xs, ys = coords.to_wgs84_many(lon, lat, crs)
        for i in range(len(lon)):
            assert (xs[i], ys[i]) == pytest.approx(coords.to_wgs84(lon[i], lat[i], crs), abs=1e-9)
    gx, gy = coords.wgs84_to_gcj02_many(lon, lat)
    assert (gx[-1], gy[-1]) == (-74.0, 40.7)

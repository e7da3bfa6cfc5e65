"""Coordinate systems used by phone map apps in China, converted to the stored WGS-84 / CGCS2000.

Pure functions, no Django. GCJ-02 ("火星坐标", Amap/Tencent/Apple in China) is a published
obfuscation of WGS-84; BD-09 (Baidu) is a further shift of GCJ-02. Both forward formulas are
public; their inverses are not closed-form, so we invert by fixed-point iteration, which
converges to well under a centimetre in a handful of steps. CGCS2000 and WGS-84 differ by
centimetres at map scale and are treated as the same system.
"""

from __future__ import annotations

import math

WGS84 = "wgs84"
CGCS2000 = "cgcs2000"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_LABELS = {
    WGS84: "WGS-84（GPS）",
    CGCS2000: "CGCS2000（国家大地坐标系，与WGS-84视为一致）",
    GCJ02: "GCJ-02（高德、腾讯等国内地图）",
    BD09: "BD-09（百度地图）",
}
ALIASES = {
    "wgs84": WGS84,
    "wgs-84": WGS84,
    "epsg:4326": WGS84,
    "gps": WGS84,
    "cgcs2000": CGCS2000,
    "epsg:4490": CGCS2000,
    "gcj02": GCJ02,
    "gcj-02": GCJ02,
    "amap": GCJ02,
    "bd09": BD09,
    "bd-09": BD09,
    "baidu": BD09,
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as in the GCJ-02 formula
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


class UnknownCRS(ValueError):
    pass


def normalise_crs(crs: str | None) -> str:
    """The canonical name of `crs` (None means WGS-84); unknown names raise UnknownCRS."""
    if crs is None or crs == "":
        return WGS84
    key = str(crs).strip().lower()
    if key not in ALIASES:
        raise UnknownCRS(f"不支持的坐标系“{crs}”，可用：wgs84、cgcs2000、gcj02、bd09")
    return ALIASES[key]


def out_of_china(lon: float, lat: float) -> bool:
    """GCJ-02 leaves coordinates outside mainland China's rough bounding box unchanged."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def _invert(forward, lon: float, lat: float, steps: int = 30) -> tuple[float, float]:
    # The shifts vary slowly (a few hundred metres over tens of kilometres), so the
    # fixed point x = x - (f(x) - target) contracts fast: 3–5 steps reach 1e-9 degrees.
    x, y = lon, lat
    for _ in range(steps):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if abs(dx) < 1e-10 and abs(dy) < 1e-10:
            break
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str | None = WGS84) -> tuple[float, float]:
    """(lon, lat) in `crs` converted to the stored system (WGS-84 / CGCS2000)."""
    name = normalise_crs(crs)
    if name in (WGS84, CGCS2000):
        return float(lon), float(lat)
    if name == GCJ02:
        return gcj02_to_wgs84(float(lon), float(lat))
    return bd09_to_wgs84(float(lon), float(lat))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine), for tolerances and tests."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


# ---- vectorised forms for batches (numpy arrays of lon, lat) -------------------------------------


def _np():
    import numpy as np  # imported lazily: single conversions need only `math`

    return np


def _transform_lat_v(x, y):
    np = _np()
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon_v(x, y):
    np = _np()
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _out_of_china_v(lon, lat):
    return ~((lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271))


def wgs84_to_gcj02_many(lon, lat):
    np = _np()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _transform_lat_v(lon - 105.0, lat - 35.0)
    dlon = _transform_lon_v(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    outside = _out_of_china_v(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_bd09_many(lon, lat):
    np = _np()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert_many(forward, lon, lat, steps: int = 30):
    np = _np()
    x, y = np.array(lon, dtype=float), np.array(lat, dtype=float)
    for _ in range(steps):
        fx, fy = forward(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if np.all(np.abs(dx) < 1e-10) and np.all(np.abs(dy) < 1e-10):
            break
    return x, y


def to_wgs84_many(lon, lat, crs: str | None = WGS84):
    """Arrays of (lon, lat) in one `crs` converted to WGS-84; same results as `to_wgs84` per point."""
    np = _np()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    name = normalise_crs(crs)
    if name in (WGS84, CGCS2000):
        return lon, lat
    if name == BD09:
        lon, lat = _invert_many(gcj02_to_bd09_many, lon, lat)
    outside = _out_of_china_v(lon, lat)
    x, y = _invert_many(wgs84_to_gcj02_many, lon, lat)
    return np.where(outside, lon, x), np.where(outside, lat, y)

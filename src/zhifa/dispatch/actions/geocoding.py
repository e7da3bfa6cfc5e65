"""Where a report lies: coordinate systems (`_normalise_crs`, `_to_wgs84`) and the grid location
of a WGS-84 point (`locate`). The grid app is optional: without it only WGS-84 is taken and no
report is located.

Callers look `locate` up on this module (`geocoding.locate(...)`), so a test that stands in for
the grid map patches `zhifa.dispatch.actions.geocoding.locate`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from zhifa.dispatch.models import Report


def _to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    try:
        from zhifa.grid import coords
    except ImportError:  # the grid app is optional for intake: WGS-84 only then
        if crs not in (Report.WGS84, Report.CGCS2000):
            raise ValidationError({"crs": f"不支持的坐标系“{crs}”"}) from None
        return lon, lat
    return coords.to_wgs84(lon, lat, crs)


def _normalise_crs(crs: str | None) -> str:
    try:
        from zhifa.grid import coords
    except ImportError:
        return (crs or Report.WGS84).lower()
    try:
        return coords.normalise_crs(crs)
    except coords.UnknownCRS as exc:
        raise ValidationError({"crs": str(exc)}) from None


def locate(lon: float, lat: float):
    """The grid location of a WGS-84 point, or None when the grid map is not available."""
    try:
        from zhifa.grid.services import locate as grid_locate
    except ImportError:
        return None
    return grid_locate(lon, lat, "wgs84")

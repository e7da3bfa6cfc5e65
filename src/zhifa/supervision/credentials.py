"""Officers' electronic credentials (电子执法证) as shown to the inspected party, and QR codes."""

from __future__ import annotations

import datetime as dt

import segno


def officer_profile(user):
    """The case-handling profile (certificate) of an account, or None."""
    from zhifa.cases.models import Officer

    return Officer.objects.filter(user=user).first()


def certificate_problem(user, on: dt.date) -> str | None:
    """Why `user` may not inspect on `on` (no valid certificate), or None."""
    profile = officer_profile(user)
    name = user.display_name
    if profile is None or not profile.cert_no:
        return f"{name}没有行政执法证件，不能实施检查"
    if not profile.cert_valid_on(on):
        until = f"（有效期至{profile.cert_valid_to:%Y年%m月%d日}）" if profile.cert_valid_to else ""
        return f"{name}的执法证{profile.cert_no}在{on:%Y年%m月%d日}不在有效期内{until}"
    return None


def credential(user, on: dt.date) -> dict:
    profile = officer_profile(user)
    return {
        "name": user.display_name,
        "cert_no": profile.cert_no if profile else "",
        "valid_to": profile.cert_valid_to if profile else None,
        "valid": bool(profile and profile.cert_valid_on(on)),
        "township": user.township.name if user.township_id else "",
    }


def qr_svg(url: str) -> str:
    """An inline SVG QR code for `url` (no network, no image files)."""
    return segno.make(url, error="m").svg_inline(scale=4, dark="#1f2d3d")

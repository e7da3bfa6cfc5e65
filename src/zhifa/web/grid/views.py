from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zhifa.grid import coords
from zhifa.grid.models import LEVEL_CHOICES, MICRO, Element, GridStaff, GridUnit
from zhifa.org.models import Township, User


@login_required
def grid_map(request):
    """The grid map: polygons by level (no internet tiles), click for base data and staff."""
    townships = Township.objects.restrict(request.user).filter(grid_units__isnull=False).distinct()
    own = request.user.township
    level = request.GET.get("level") or (MICRO if own else "community")
    if level not in dict(LEVEL_CHOICES):
        level = MICRO
    township = request.GET.get("township") or (own.code if own else "")
    can_manage = request.user.can("grid.manage")
    candidates = []
    if can_manage:
        users = User.objects.restrict(request.user).filter(is_active=True, township__isnull=False)
        candidates = [
            {"id": u.id, "name": u.display_name, "township": u.township.code, "role": u.role_label}
            for u in users.select_related("township").order_by("township__code", "username")[:2000]
        ]
    return render(
        request,
        "web/grid/map.html",
        {
            "levels": LEVEL_CHOICES,
            "level": level,
            "townships": townships,
            "township": township,
            "has_map": GridUnit.objects.restrict(request.user).exists(),
            "crs_labels": coords.CRS_LABELS.items(),
            "element_kinds": Element.KIND_CHOICES,
            "can_manage": can_manage,
            "can_add_element": can_manage or request.user.can("dispatch.report"),
            "candidates": candidates,
            "staff_roles": dict(GridStaff.ROLE_CHOICES),
        },
    )

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from zhifa.core import audit
from zhifa.grid import coords, services
from zhifa.grid.importer import DEFAULT_TOLERANCE_M2, GridImportError, import_features, parse_file
from zhifa.grid.models import LEVEL_CHOICES, MICRO, Element, EnforcementGrid, GridStaff, GridUnit
from zhifa.org import roles
from zhifa.org.models import Township, User
from zhifa.web.forms import error_messages


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
            "can_import": request.user.can("grid.import"),
            "can_add_element": can_manage or request.user.can("dispatch.report"),
            "my_posts": GridStaff.objects.filter(user=request.user)
            .select_related("unit")
            .defer("unit__geometry", "unit__geometry_wkb")
            .order_by("unit__code"),
            "my_enforcement_grids": EnforcementGrid.objects.filter(officers=request.user).order_by("code"),
            "candidates": candidates,
            "staff_roles": dict(GridStaff.ROLE_CHOICES),
        },
    )


@login_required
def enforcement_grids(request):
    """执法网格: list, and for grid managers a form that creates or replaces one by its code."""
    grids = (
        EnforcementGrid.objects.restrict(request.user)
        .select_related("township")
        .prefetch_related("micro_grids", "officers")
    )
    can_manage = request.user.can("grid.manage")
    townships = Township.objects.restrict(request.user, "change") if can_manage else Township.objects.none()
    officers = (
        User.objects.restrict(request.user)
        .filter(is_active=True, role__in=[roles.OFFICER, roles.SECONDED_OFFICER], township__in=townships)
        .select_related("township")
        .order_by("township__code", "username")
    )
    errors: list[str] = []
    data = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您没有管理网格的权限。")
        township = townships.filter(code=data.get("township", "")).first()
        if township is None:
            errors.append("请选择乡镇（街道）")
        else:
            chosen = list(officers.filter(pk__in=[v for v in data.getlist("officers") if v.isdigit()]))
            try:
                eg = services.save_enforcement_grid(
                    request.user,
                    township=township,
                    code=data.get("code", ""),
                    name=data.get("name", ""),
                    micro_codes=services.expand_micro_codes(township, data.get("micro_grids", "")),
                    officers=chosen,
                )
            except ValidationError as exc:
                errors = error_messages(exc)
            else:
                messages.success(
                    request,
                    f"执法网格“{eg.name}”已保存：{eg.micro_grids.count()}个微网格，{len(chosen)}名执法人员。",
                )
                return redirect("web:grid:enforcement")
    return render(
        request,
        "web/grid/enforcement.html",
        {
            "grids": grids,
            "can_manage": can_manage,
            "townships": townships,
            "officers": officers,
            "errors": errors,
            "data": data,
            "chosen_officers": data.getlist("officers") if data else [],
        },
    )


@login_required
def unit_detail(request, pk: int):
    """One grid unit without JavaScript: base data, staff by level, officers, sub-grids, elements."""
    unit = get_object_or_404(
        GridUnit.objects.restrict(request.user).select_related("township", "parent").defer("geometry_wkb"),
        pk=pk,
    )
    ancestors = []
    cur = unit.parent
    while cur is not None:
        ancestors.append(cur)
        cur = cur.parent
    children = unit.children.order_by("code").defer("geometry", "geometry_wkb")
    return render(
        request,
        "web/grid/unit.html",
        {
            "unit": unit,
            "ancestors": list(reversed(ancestors)),
            "duty": services.responsible(services.location_of_unit(unit)),
            "children": children[:500],
            "child_count": children.count(),
            "elements": Element.objects.restrict(request.user)
            .filter(unit=unit)
            .order_by("kind", "name")[:500],
        },
    )


MAX_UPLOAD = 200 * 1024 * 1024


def _parse_upload(upload, errors: list[str]):
    """The upload's features through the importer's streaming reader (as `zhifa import-grids`),
    so a large map is never one tree of Python objects. A large upload is already on disk
    (TemporaryUploadedFile); a small one in memory is written to a temporary file first."""
    on_disk = getattr(upload, "temporary_file_path", None)
    if on_disk is not None:
        return parse_file(Path(on_disk()), upload.name, errors)
    with tempfile.NamedTemporaryFile(suffix=".geojson", dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        return parse_file(Path(tmp.name), upload.name, errors)


@login_required
def import_map(request):
    """Upload a GeoJSON grid map for the user's county: the same checks as `zhifa import-grids`."""
    if not request.user.can("grid.import"):
        raise PermissionDenied("只有县级系统管理员可以导入网格地图。")
    errors: list[str] = []
    summary = ""
    tolerance = request.POST.get("tolerance") or str(DEFAULT_TOLERANCE_M2)
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            tol = float(tolerance)
            if tol < 0:
                raise ValueError
        except ValueError:
            errors.append(f"容差“{tolerance}”应为非负数（平方米）")
            tol = DEFAULT_TOLERANCE_M2
        if upload is None:
            errors.append("请选择GeoJSON文件")
        elif upload.size > MAX_UPLOAD:
            errors.append(f"文件超过{MAX_UPLOAD // 1024 // 1024}MB，请用命令 zhifa import-grids 导入")
        county = request.user.county
        if county is None and not errors:
            errors.append("您的账号不属于任何区县，无法导入")
        if not errors:
            parse_errors: list[str] = []
            features = _parse_upload(upload, parse_errors)
            try:
                with audit.acting_as(request.user):
                    result = import_features(
                        features,
                        source=upload.name,
                        county=county,
                        tolerance_m2=tol,
                        parse_errors=parse_errors,
                        prune=request.POST.get("prune") == "1",
                    )
            except GridImportError as exc:
                errors = exc.errors
            else:
                summary = result.summary()
                messages.success(request, f"网格地图导入完成：{summary}")
                return redirect("web:grid:import")
    return render(
        request,
        "web/grid/import.html",
        {"errors": errors, "tolerance": tolerance},
    )

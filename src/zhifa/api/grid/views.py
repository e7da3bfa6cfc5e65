"""Grid API: units, GeoJSON per level, point lookup (with the CRS it expects), elements, staff."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from zhifa.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet
from zhifa.api.grid import serializers as s
from zhifa.grid import coords, services
from zhifa.grid.geojson import MAX_FEATURES, features_for
from zhifa.grid.models import LEVEL_LABELS, Element, EnforcementGrid, GridStaff, GridUnit
from zhifa.org.models import Township, User

NULL_CODES = ("township", "community", "grid", "micro", "dedicated")


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({k: v for k, v in exc.message_dict.items()})
    return ValidationError(exc.messages)


class GridUnitViewSet(ScopedReadOnlyViewSet):
    """网格（乡镇、一级网格、二级网格、微网格、专属网格）。

    可按 level、township（代码）、parent（代码）、code 筛选；q 按编码前缀或名称查找。
    """

    queryset = (
        GridUnit.objects.select_related("township", "parent")
        .defer("geometry", "geometry_wkb")
        .order_by("code")
    )
    serializer_class = s.GridUnitSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        p = self.request.query_params
        if p.get("level"):
            qs = qs.filter(level=p["level"])
        if p.get("township"):
            qs = qs.filter(township__code=p["township"])
        if p.get("parent"):
            qs = qs.filter(parent__code=p["parent"])
        if p.get("code"):
            qs = qs.filter(code=p["code"])
        if p.get("q"):
            qs = qs.filter(Q(code__istartswith=p["q"].strip()) | Q(name__icontains=p["q"].strip()))
        return qs

    def get_serializer_class(self):
        return s.GridUnitDetailSerializer if self.action == "retrieve" else s.GridUnitSerializer

    def retrieve(self, request, *args, **kwargs):
        unit = self.get_object()
        data = s.GridUnitDetailSerializer(unit).data
        data["responsible"] = s.ResponsibilitySerializer(
            services.responsible(services.location_of_unit(unit))
        ).data
        return Response(data)

    @extend_schema(request=s.StaffAssignSerializer, responses={201: None})
    @action(detail=True, methods=["post"])
    def staff(self, request, pk=None):
        """任命网格长、网格员或网格辅助员（需“网格管理”权限；一格一员，新网格员替换原网格员）。"""
        unit = get_object_or_404(GridUnit.objects.restrict(request.user, "change"), pk=pk)
        body = s.StaffAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = User.objects.restrict(request.user).filter(pk=body.validated_data["user"]).first()
        if user is None:
            raise ValidationError({"user": "账号不存在或不在您的管辖范围内"})
        try:
            post = services.assign_staff(request.user, unit, user, body.validated_data["role"])
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        except DjangoValidationError as exc:
            raise _django_errors(exc)
        return Response({"id": post.id, "unit": unit.code, "user": user.display_name, "role": post.role}, 201)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "level", str, description="层级：" + "、".join(f"{k}（{v}）" for k, v in LEVEL_LABELS.items())
        ),
        OpenApiParameter("township", str, description="乡镇代码，如 T01（微网格层级数量大时必填）"),
    ],
    responses={200: dict},
)
@api_view(["GET"])
def geojson(request):
    """某一层级网格的边界（GeoJSON FeatureCollection，WGS-84经纬度，已按层级抽稀）。"""
    level = request.query_params.get("level", "township")
    if level not in LEVEL_LABELS:
        raise ValidationError({"level": f"层级“{level}”无效，应为 {'、'.join(LEVEL_LABELS)}"})
    qs = GridUnit.objects.restrict(request.user).filter(level=level)
    if request.query_params.get("township"):
        qs = qs.filter(township__code=request.query_params["township"])
    if qs.count() > MAX_FEATURES:
        raise ValidationError({"township": f"该层级网格超过{MAX_FEATURES}个，请指定乡镇（township）"})
    townships = sorted(set(qs.order_by().values_list("township_id", flat=True)))
    return Response({"type": "FeatureCollection", "features": features_for(level, townships)})


def _location_data(request, loc) -> dict:
    data = {**loc.codes(), "township_id": loc.township_id, "unit_id": loc.unit_id}
    # Codes are shown to anyone who may report; names of staff only within the user's scope.
    unit = GridUnit.objects.restrict(request.user).filter(pk=loc.unit_id).first() if loc.unit_id else None
    if unit is not None:
        data["unit_name"] = unit.label
        data["responsible"] = s.ResponsibilitySerializer(services.responsible(loc)).data
    return data


@extend_schema(
    parameters=[s.LocateQuerySerializer],
    request=s.LocateBatchSerializer,
    responses={200: dict},
    description=(
        "按坐标定位所属网格。GET ?lon=&lat=&crs= 定位一个点；"
        "POST {crs, points:[{id, lon, lat, crs?}]} 批量定位。"
        "坐标系crs：wgs84（默认）、cgcs2000、gcj02（高德、腾讯等）、bd09（百度），服务端统一换算为WGS-84。"
        "不在本县任何网格内时 found 为 false 并给出说明。"
    ),
)
@api_view(["GET", "POST"])
def locate(request):
    """按坐标定位网格（专属网格优先），并给出各层级负责人。"""
    if request.method == "GET":
        q = s.LocateQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        lon, lat, crs = q.validated_data["lon"], q.validated_data["lat"], q.validated_data["crs"]
        try:
            loc = services.locate(lon, lat, crs)
        except ValueError as exc:
            raise ValidationError({"lon": str(exc)})
        x, y = coords.to_wgs84(lon, lat, crs)
        base = {"crs": crs, "stored_crs": coords.WGS84, "wgs84": [x, y]}
        if loc is None:
            return Response({**base, "found": False, "message": services.outside_message(lon, lat, crs)})
        return Response({**base, "found": True, **_location_data(request, loc)})
    body = s.LocateBatchSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    crs = body.validated_data["crs"]
    pts = body.validated_data["points"]
    try:
        locs = services.locate_many([(p["lon"], p["lat"], p.get("crs") or crs) for p in pts])
    except ValueError as exc:
        raise ValidationError({"points": str(exc)})
    results = []
    for p, loc in zip(pts, locs, strict=True):
        codes = loc.codes() if loc else dict.fromkeys(NULL_CODES)
        results.append({"id": p.get("id"), "found": loc is not None, **codes})
    return Response({"crs": crs, "stored_crs": coords.WGS84, "results": results}, status=status.HTTP_200_OK)


class ElementViewSet(ScopedModelViewSet):
    """网格要素（商铺、建筑工地、风险点、公共场所）。新增时按坐标自动归入所在网格。"""

    queryset = Element.objects.select_related("unit", "township").order_by("id")
    serializer_class = s.ElementSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        p = self.request.query_params
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"])
        if p.get("township"):
            qs = qs.filter(township__code=p["township"])
        return qs

    def create(self, request, *args, **kwargs):
        body = s.ElementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        try:
            element = services.add_element(
                request.user,
                kind=v["kind"],
                name=v["name"],
                lon=v["lon"],
                lat=v["lat"],
                crs=v.get("crs") or coords.WGS84,
                address=v.get("address", ""),
                note=v.get("note", ""),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        except DjangoValidationError as exc:
            raise _django_errors(exc)
        return Response(s.ElementSerializer(element).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        if not self.request.user.can("grid.manage"):
            raise PermissionDenied("您没有管理网格的权限。")
        instance.delete()


class EnforcementGridViewSet(ScopedReadOnlyViewSet):
    """执法网格：由若干微网格组成，分配给执法人员。"""

    queryset = EnforcementGrid.objects.select_related("township").prefetch_related("micro_grids", "officers")
    serializer_class = s.EnforcementGridSerializer

    @extend_schema(request=s.EnforcementGridWriteSerializer, responses={201: s.EnforcementGridSerializer})
    def create(self, request, *args, **kwargs):
        """新建或整体替换一个执法网格（按编码）：所含微网格和执法人员（需“网格管理”权限）。"""
        body = s.EnforcementGridWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        township = Township.objects.restrict(request.user).filter(code=v["township"]).first()
        if township is None:
            raise ValidationError({"township": f"乡镇代码“{v['township']}”不存在或不在您的管辖范围内"})
        officers = list(User.objects.restrict(request.user).filter(pk__in=v["officers"]))
        missing = sorted(set(v["officers"]) - {u.pk for u in officers})
        if missing:
            raise ValidationError({"officers": f"账号不存在或不在您的管辖范围内：{missing}"})
        try:
            eg = services.save_enforcement_grid(
                request.user,
                township=township,
                code=v["code"],
                name=v["name"],
                micro_codes=v["micro_grids"],
                officers=officers,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        except DjangoValidationError as exc:
            raise _django_errors(exc)
        return Response(s.EnforcementGridSerializer(eg).data, status=status.HTTP_201_CREATED)


class GridStaffViewSet(ScopedModelViewSet):
    """网格人员任职（网格长、网格员、网格辅助员）。任命用 POST /api/grid/units/{id}/staff/，撤销用 DELETE。"""

    queryset = GridStaff.objects.select_related("unit", "user").order_by("unit__code", "role")
    serializer_class = s.GridStaffSerializer
    http_method_names = ["get", "delete", "head", "options"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.query_params.get("unit"):
            qs = qs.filter(unit__code=self.request.query_params["unit"])
        return qs

    def perform_destroy(self, instance):
        try:
            services.remove_staff(self.request.user, instance)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))

"""Catalogue API: items, versions (scoped), holdings on a date, discretion ranges, entrustments."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from zhifa.api.base import ScopedReadOnlyViewSet
from zhifa.api.catalogue import serializers
from zhifa.api.schema import error_response
from zhifa.catalogue import services
from zhifa.catalogue.models import TIER_CHOICES, CatalogueVersion, DiscretionTier, Entrustment, Item
from zhifa.org.models import Township


def _on(request) -> dt.date:
    value = request.query_params.get("on")
    if not value:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise drf.ValidationError({"on": [f"日期“{value}”无效，格式应为YYYY-MM-DD"]})


def _django_errors(exc: DjangoValidationError) -> drf.ValidationError:
    return drf.ValidationError({"error": exc.messages})


def _tier_body(request, replace: bool) -> dict:
    """The request's tiers as service input; PUT (replace) removes the tiers it does not name."""
    raw = request.data.get("tiers") if hasattr(request.data, "get") else None
    if not isinstance(raw, list):
        raise drf.ValidationError(
            {"tiers": ["请以列表提交裁量阶次：[{tier, condition, fine_min, fine_max}, …]"]}
        )
    data: dict = {code: None for code, _ in TIER_CHOICES} if replace else {}
    errors = []
    for n, row in enumerate(raw, start=1):
        if not isinstance(row, dict) or not row.get("tier"):
            errors.append(f"第{n}项：缺少tier（裁量阶次）")
            continue
        try:
            code = services._tier_code(str(row["tier"]))
        except ValueError as exc:
            errors.append(f"第{n}项：{exc}")
            continue
        if code in data and data[code] is not None:
            errors.append(f"第{n}项：裁量阶次“{row['tier']}”重复")
            continue
        data[code] = {k: row.get(k) for k in ("condition", "fine_min", "fine_max")}
    if errors:
        raise drf.ValidationError({"tiers": errors})
    return data


class ItemViewSet(ScopedReadOnlyViewSet):
    """执法事项（含裁量基准tiers）。筛选：code、domain、source、action_type、department、q。

    tiers/：GET读取裁量基准；PUT整体替换（未列出的阶次删除），PATCH只改列出的阶次（条件和金额都为空即删除），
    仅县级系统管理员。
    """

    queryset = Item.objects.select_related("department").prefetch_related("tiers").order_by("code")
    serializer_class = serializers.ItemSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        p = self.request.query_params
        for key in ("code", "domain", "source", "action_type"):
            if p.get(key):
                qs = qs.filter(**{key: p[key]})
        if p.get("department"):
            qs = qs.filter(department__code=p["department"])
        if p.get("q"):
            q = p["q"]
            qs = qs.filter(Q(name__icontains=q) | Q(legal_basis__icontains=q) | Q(violation__icontains=q))
        return qs

    @extend_schema(request=serializers.TierListSerializer, responses=serializers.TierListSerializer)
    @action(detail=True, methods=["get", "put", "patch"], url_path="tiers")
    def tiers(self, request, pk=None):
        writing = request.method in ("PUT", "PATCH")
        if writing and not request.user.can("catalogue.edit_county"):
            raise PermissionDenied("只有县级系统管理员可以修改裁量基准。")
        item = self.get_object()  # 404 outside the user's scope ("change" for PUT/PATCH)
        if writing:
            data = _tier_body(request, replace=request.method == "PUT")
            try:
                services.save_tiers(request.user, item.pk, data)
            except DjangoPermissionDenied as exc:
                raise PermissionDenied(str(exc))
            except DjangoValidationError as exc:
                if hasattr(exc, "error_dict"):
                    raise drf.ValidationError({"tiers": [m for ms in exc.message_dict.values() for m in ms]})
                raise drf.ValidationError({"tiers": exc.messages})
        rows = sorted(DiscretionTier.objects.filter(item=item), key=lambda d: d.order)
        return Response({"item": item.code, "tiers": serializers.TierSerializer(rows, many=True).data})


class VersionViewSet(ScopedReadOnlyViewSet):
    """乡镇清单版本（只能看到本人范围内的版本）。POST publish 发布草稿。"""

    queryset = CatalogueVersion.objects.select_related("township").order_by("township__code", "-number")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.VersionDetailSerializer
        if self.action == "publish":
            return serializers.PublishSerializer
        return serializers.VersionSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.query_params.get("township"):
            qs = qs.filter(township__code=self.request.query_params["township"])
        return qs

    @extend_schema(
        request=serializers.PublishSerializer,
        responses={
            200: serializers.VersionSerializer,
            409: error_response("草稿在查看之后已被他人修改（revision 不符），未发布"),
        },
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = self.get_object()  # 404 outside the user's scope ("change")
        body = serializers.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            version = services.publish(
                request.user,
                version.pk,
                body.validated_data["effective_date"],
                body.validated_data.get("note", ""),
                expected_revision=body.validated_data.get("revision"),
            )
        except services.StaleVersion as exc:
            return Response(
                {
                    "error": exc.messages[0],
                    "fields": {"revision": exc.messages},
                    "current_state": str(exc.current),
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc)
        return Response(serializers.VersionSerializer(version).data)


class EntrustmentViewSet(ScopedReadOnlyViewSet):
    """委托书，含状态（有效/即将到期/已过期/未生效）。筛选：township、expiring=1（60日内到期）。"""

    queryset = (
        Entrustment.objects.select_related("township", "department")
        .prefetch_related("items")
        .order_by("valid_to")
    )
    serializer_class = serializers.EntrustmentSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.query_params.get("township"):
            qs = qs.filter(township__code=self.request.query_params["township"])
        if self.request.query_params.get("expiring") == "1":
            qs = services.expiring_entrustments(qs)
        return qs


@extend_schema(
    parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="日期，默认今天")],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def holdings(request, code: str):
    """乡镇（街道）在某日可以行使的事项及依据（法定、赋权，或有效委托）。"""
    township = get_object_or_404(Township.objects.restrict(request.user), code=code)
    on = _on(request)
    version = services.version_in_force(township, on)
    rows = []
    for entry in services.held_items(township, on):
        a = services.holding_on(township, entry.item, on)
        rows.append(
            {
                **serializers.EntrySerializer(entry).data,
                "held_from": a.held_from,
                "held_until": a.held_until,
                "entrustment": a.entrustment,
            }
        )
    return Response(
        {
            "township": township.code,
            "on": on,
            "version": version.number if version else None,
            "count": len(rows),
            "items": rows,
        }
    )


@extend_schema(
    parameters=[
        OpenApiParameter("item", str, required=True, description="事项编码"),
        OpenApiParameter(
            "tier", str, required=True, description="轻微/一般/较重/严重 或 minor/general/serious/severe"
        ),
    ],
    responses={200: OpenApiTypes.OBJECT, 404: error_response("事项不存在或不在您的管辖范围内")},
)
@api_view(["GET"])
def fine_range(request):
    """某处罚事项某裁量阶次的罚款幅度（元）。"""
    code, tier = request.query_params.get("item", ""), request.query_params.get("tier", "")
    errors = {}
    if not code:
        errors["item"] = ["请填写事项编码"]
    if not tier:
        errors["tier"] = ["请填写裁量阶次"]
    if errors:
        raise drf.ValidationError(errors)
    item = get_object_or_404(Item.objects.restrict(request.user), code=code)
    try:
        found = services.fine_range(item, tier)
    except ValueError as exc:
        raise drf.ValidationError({"tier": [str(exc)]})
    return Response(
        {
            "item": item.code,
            "tier": tier,
            # Strings like the serializers' decimals: exact amounts, no float rounding.
            "fine_min": str(found[0]) if found else None,
            "fine_max": str(found[1]) if found else None,
        }
    )

"""Reports API: intake with an idempotency key, scoped reading, transitions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from zhifa.api.base import ScopedViewSetMixin, represent, validated
from zhifa.api.dispatch import serializers as ser
from zhifa.api.pagination import KeysetPagination
from zhifa.api.parsers import StrictJSONParser
from zhifa.api.schema import error_response
from zhifa.dispatch.actions.common import StaleState
from zhifa.dispatch.actions.intake import PhotoIn, do_intake
from zhifa.dispatch.actions.perform import perform
from zhifa.dispatch.actions.whistle import do_respond
from zhifa.dispatch.models import Report, Whistle
from zhifa.org.models import County
from zhifa.rules import dispatch_workflow as wf


def _api_error(exc: ValidationError) -> ApiValidationError:
    if hasattr(exc, "error_dict"):
        return ApiValidationError({k: v for k, v in exc.message_dict.items()})
    return ApiValidationError({"non_field_errors": exc.messages})


# The 409 body of a report action taken from an older state (see `actions.common.StaleState`).
STALE_STATE_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "current_state": {"type": "string", "enum": list(wf.STATE_LABELS)},
    },
    "required": ["error", "current_state"],
}


class ReportViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """事件：受理（POST，带客户端编号防重复）、按权限查询、办理操作。"""

    queryset = Report.objects.select_related("township", "handler_township", "handler_department").order_by(
        "-created_at", "-id"
    )
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]
    pagination_class = KeysetPagination

    def get_queryset(self):
        # Acting on a report needs only seeing it: the transition table decides who may do what.
        qs = Report.objects.restrict(self.request.user, "view").select_related(
            "township", "handler_township", "handler_department"
        )
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("township"):
            qs = qs.filter(township__code=params["township"])
        if params.get("tracking_code"):
            qs = qs.filter(tracking_code=params["tracking_code"])
        return qs.order_by("-id")  # creation order; the cursor pages on the primary key

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ser.ReportDetailSerializer
        if self.action == "create":
            return ser.IntakeSerializer
        if self.action == "act":
            return ser.ActionSerializer
        return ser.ReportSerializer

    @extend_schema(
        request=ser.IntakeSerializer,
        responses={
            201: ser.ReportSerializer,
            200: ser.ReportSerializer,
            409: error_response("该客户端编号已被其他事件使用"),
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, required=False, description="同 client_id"
            )
        ],
        description="受理一个事件。client_id（或 Idempotency-Key 请求头）相同的重发只存一次，"
        "返回已存的事件（200）。",
    )
    def create(self, request, *args, **kwargs):
        user = request.user
        if not user.can("dispatch.report"):
            raise ApiPermissionDenied("您没有上报事件的权限。")
        d = validated(ser.IntakeSerializer, request.data)
        client_id = d.get("client_id") or request.headers.get("Idempotency-Key") or None
        county = user.county or County.objects.order_by("id").first()
        photos = [PhotoIn(f.name, f.read(), f.content_type or "") for f in d.get("photos") or []]
        try:
            result = do_intake(
                user,
                county=county,
                text=d["text"],
                lon=d["lon"],
                lat=d["lat"],
                crs=d.get("crs"),
                channel=d.get("channel") or Report.API,
                client_id=client_id,
                reporter_name=d.get("reporter_name", ""),
                reporter_phone=d.get("reporter_phone", ""),
                anonymous=d.get("anonymous", False),
                address=d.get("address", ""),
                priority=d.get("priority") or wf.NORMAL,
                reported_at=d.get("reported_at"),
                photos=photos,
                # The router's suggestion is filled in batches (dispatch worker, queue page):
                # intake is the busiest path and the phone does not wait for it.
                route_suggestion=False,
            )
        except ValidationError as exc:
            raise _api_error(exc) from None
        mine = result.report.reported_by_id == user.pk
        if not (result.created or mine or Report.objects.restrict(user).filter(pk=result.report.pk).exists()):
            # Someone else's client id: say so without showing their report.
            return Response(
                {
                    "error": "该客户端编号已被其他事件使用，请重新生成",
                    "fields": {"client_id": ["客户端编号重复"]},
                },
                status=status.HTTP_409_CONFLICT,
            )
        out = represent(ser.ReportSerializer, result.report, {"request": request})
        out |= {"created": result.created, "warnings": result.warnings}
        return Response(out, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        request=ser.ActionSerializer,
        responses={
            200: ser.ReportDetailSerializer,
            400: error_response("操作不被流转表允许或字段有误"),
            403: error_response("无权执行该操作"),
            404: error_response("事件不存在或不在您的管辖范围内"),
            409: OpenApiResponse(
                response=STALE_STATE_SCHEMA,
                description="事件已被他人处理（expected_state 与当前状态不符，或转办一件已转办的事件）",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="actions")
    def act(self, request, pk=None):
        """办理操作：按流转表执行（转办、签收、回退、延期、挂账、拆分、合并、核查、回访、办结、督办……）。

        带上 expected_state（查看时的 status）：期间有人已处理该事件则返回 409，不作任何修改。
        转办（route）只用于待分拨的事件，重复转办返回 409。"""
        report = self.get_object()
        body = ser.ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            perform(request.user, report.pk, data.pop("action"), data)
        except StaleState as exc:
            return Response(
                {
                    "error": exc.message_text,
                    "fields": {"expected_state": [exc.message_text]},
                    "current_state": exc.current_state,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except wf.TransitionRefused as exc:
            raise ApiValidationError({"action": [str(exc)]}) from None
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from None
        except ValidationError as exc:
            raise _api_error(exc) from None
        except Report.DoesNotExist:
            raise NotFound("事件不存在") from None
        report.refresh_from_db()
        return Response(ser.ReportDetailSerializer(report, context={"request": request}).data)


class WhistleViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """吹哨：乡镇看到本乡镇的吹哨，部门看到召集本部门的吹哨，县级看到全县。"""

    serializer_class = ser.WhistleSerializer
    pagination_class = KeysetPagination

    def get_queryset(self):
        return (
            Whistle.objects.restrict(self.request.user, "view")
            .select_related("township", "report")
            .prefetch_related("calls__department")
            .order_by("-called_at", "-id")
        )

    @extend_schema(request=ser.RespondSerializer, responses=ser.WhistleCallSerializer)
    @action(detail=True, methods=["post"], url_path=r"calls/(?P<call_id>[0-9]{1,18})/respond")
    def respond(self, request, pk=None, call_id=None):
        """部门报到（只有被召集的部门可以报到）。"""
        whistle = self.get_object()
        body = ser.RespondSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call = whistle.calls.filter(pk=call_id).first()
        if call is None:
            raise NotFound("召集记录不存在")
        try:
            call = do_respond(request.user, call.pk, response=body.validated_data["response"])
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from None
        except ValidationError as exc:
            raise _api_error(exc) from None
        return Response(ser.WhistleCallSerializer(call).data)

"""Cases API: list and read cases (with the exchange-format file and live findings), open a
case, record a step (same parsing and checks as the web forms), team and my deadlines."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from zhifa.api.base import ScopedReadOnlyViewSet
from zhifa.api.fields import StrictCharField
from zhifa.api.pagination import KeysetPagination
from zhifa.api.schema import error_response
from zhifa.cases import actions as A
from zhifa.cases import services, steps
from zhifa.cases.evidence import do_add_evidence
from zhifa.cases.models import Case, Officer


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return exc.messages


def _refused(exc: ValidationError) -> Response:
    """400 with the Chinese messages; 409 when the step was made from an older state."""
    msgs = _messages(exc)
    code = status.HTTP_409_CONFLICT if isinstance(exc, A.StaleState) else status.HTTP_400_BAD_REQUEST
    return Response({"error": "；".join(msgs), "messages": msgs}, status=code)


def _bad(message: str) -> Response:
    return Response({"error": message, "messages": [message]}, status=status.HTTP_400_BAD_REQUEST)


_NOT_AN_OBJECT = "请求内容应为JSON对象（键值对），不能是数组或单个值。"


class CaseSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure_label = StrictCharField(source="get_procedure_display", read_only=True)
    status_label = StrictCharField(source="get_status_display", read_only=True)
    party_name = StrictCharField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "township",
            "item_code",
            "item_name",
            "procedure",
            "procedure_label",
            "status",
            "status_label",
            "party_name",
            "imported",
            "findings",
        ]


class CaseDetailSerializer(CaseSerializer):
    casefile = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "state", "transfer", "casefile", "deadlines"]

    def get_state(self, obj: Case) -> str:
        """Send it back as `expected_state` with the next step: a stale step gets HTTP 409."""
        return A.state_of(obj)

    def get_casefile(self, obj: Case) -> dict:
        return services.to_casefile(obj)

    def get_deadlines(self, obj: Case) -> list[dict]:
        return [
            {
                "rule": d.rule,
                "label": d.label,
                "due": d.due.isoformat() if d.due else None,
                "article": d.article,
            }
            for d in services.case_deadlines(obj)
        ]


class OfficerSerializer(serializers.ModelSerializer):
    username = StrictCharField(source="user.username", read_only=True)
    name = StrictCharField(source="user.display_name", read_only=True)
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    squad = serializers.StringRelatedField(allow_null=True)
    # only a seconded officer has a home department
    home_department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Officer
        fields = [
            "id",
            "username",
            "name",
            "township",
            "kind",
            "cert_no",
            "cert_valid_from",
            "cert_valid_to",
            "squad",
            "home_department",
            "active",
        ]


STEP_DONE = inline_serializer(
    "CaseStepDone", {"message": serializers.CharField(), "case": CaseDetailSerializer()}
)
EVIDENCE_SAVED = inline_serializer(
    "EvidenceSaved",
    {
        "id": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "mime": serializers.CharField(),
        "size": serializers.IntegerField(),
        "sha256": serializers.CharField(),
    },
)


class CaseViewSet(ScopedReadOnlyViewSet):
    """案件：乡镇人员只能看到本乡镇案件；检察官全县只读。POST 受理新案件；POST steps/ 登记办案步骤。"""

    queryset = Case.objects.select_related("township__county").order_by("-id")
    serializer_class = CaseSerializer
    pagination_class = KeysetPagination

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def handle_exception(self, exc):
        if isinstance(exc, ParseError):  # a body that is not JSON at all: Chinese, not DRF's English
            return _bad("请求内容不是有效的JSON对象（JSON解析失败，请检查格式；数值不能为Infinity或NaN）。")
        return super().handle_exception(exc)

    def filter_queryset(self, qs):
        p = self.request.query_params
        if p.get("status"):
            qs = qs.filter(status=p["status"])
        if p.get("procedure"):
            qs = qs.filter(procedure=p["procedure"])
        if p.get("township"):
            qs = qs.filter(township__code=p["township"])
        return qs

    def create(self, request):
        """受理新案件：item_code, procedure, party{kind,name,…}, opened_on, source, violation, summary。"""
        d = request.data
        if not isinstance(d, dict) and not hasattr(d, "getlist"):
            return _bad(_NOT_AN_OBJECT)
        try:
            raw = d.get("opened_on")
            opened_on = (
                timezone.localdate()
                if raw in (None, "")
                else steps.parse_iso_date(raw, "受理日期", "opened_on")
            )
        except ValidationError as exc:
            return _refused(exc)
        for key in ("item_code", "procedure", "source", "source_report"):
            if d.get(key) is not None and not isinstance(d.get(key), str):
                return _bad(f"{key}：应为文字。")
        try:
            case = A.do_open_case(
                request.user,
                item_code=str(d.get("item_code") or ""),
                procedure=str(d.get("procedure") or ""),
                party=d.get("party") if d.get("party") is not None else {},
                opened_on=opened_on,
                source=str(d.get("source") or "巡查发现"),
                violation=d.get("violation"),
                summary=d.get("summary"),
                source_report=str(d.get("source_report") or ""),
            )
        except ValidationError as exc:
            return _refused(exc)
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            201: STEP_DONE,
            409: error_response("案件已被他人办理（expected_state 与当前状态不符），未作修改"),
        }
    )
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """登记办案步骤：action（如 investigated、notice_served、decide、close），date，及该步骤的字段。"""
        case = get_object_or_404(Case.objects.restrict(request.user), pk=pk)
        if not Case.objects.restrict(request.user, "change").filter(pk=pk).exists():
            raise PermissionDenied("您只能查看本案，不能办理。")
        if not isinstance(request.data, dict) and not hasattr(request.data, "getlist"):
            return _bad(_NOT_AN_OBJECT)
        try:
            _ev, msg = steps.perform(request.user, case, request.data.get("action"), request.data)
        except ValidationError as exc:
            return _refused(exc)
        case.refresh_from_db()
        return Response(
            {"message": msg, "case": CaseDetailSerializer(case).data}, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={201: EVIDENCE_SAVED})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        """上传证据（multipart：file、date、description）；按文件内容识别类型，原样保存并返回SHA-256。"""
        case = get_object_or_404(Case.objects.restrict(request.user), pk=pk)
        if not Case.objects.restrict(request.user, "change").filter(pk=pk).exists():
            raise PermissionDenied("您只能查看本案，不能办理。")
        upload = request.FILES.get("file")
        raw = request.data.get("date")
        try:
            on = timezone.localdate() if raw in (None, "") else steps.parse_iso_date(raw, "取证日期", "date")
        except ValidationError as exc:
            return _refused(exc)
        if upload is None:
            return Response({"error": "file：请上传证据文件"}, status=status.HTTP_400_BAD_REQUEST)
        try:
            ev = do_add_evidence(
                request.user,
                case,
                upload,
                name=upload.name,
                date=on,
                description=request.data.get("description", ""),
            )
        except ValidationError as exc:
            return _refused(exc)
        return Response(
            {"id": ev.pk, "kind": ev.kind, "mime": ev.mime, "size": ev.size, "sha256": ev.sha256},
            status=status.HTTP_201_CREATED,
        )


class OfficerViewSet(ScopedReadOnlyViewSet):
    """执法队员（执法证、类别、中队、派出单位）。"""

    queryset = Officer.objects.select_related("user", "township", "squad", "home_department")
    serializer_class = OfficerSerializer


@extend_schema(responses=None)
@api_view(["GET"])
def my_deadlines(request):
    """当前用户参与的未结案件的办案期限。"""
    return Response(
        [
            {
                "case": d.case.number,
                "case_id": d.case.pk,
                "rule": d.rule,
                "label": d.label,
                "due": d.due.isoformat() if d.due else None,
                "article": d.article,
                "near": d.near,
            }
            for d in services.my_deadlines(request.user)
        ]
    )

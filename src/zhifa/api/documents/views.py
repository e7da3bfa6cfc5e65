"""REST API of the legal documents: list/read (scoped), download DOCX/PDF, generate for a case."""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from zhifa.api.base import ScopedReadOnlyViewSet
from zhifa.api.fields import StrictCharField, query_id
from zhifa.api.pagination import KeysetPagination
from zhifa.api.schema import error_response
from zhifa.documents import forms, kinds, services
from zhifa.documents.models import Document
from zhifa.documents.render import CONTENT_TYPES


class DocumentSerializer(serializers.ModelSerializer):
    case_number = StrictCharField(source="case.number", read_only=True)
    township_code = StrictCharField(source="township.code", read_only=True)
    generated_by = StrictCharField(source="generated_by.username", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "case",
            "case_number",
            "township_code",
            "kind",
            "title",
            "year",
            "seq",
            "doc_no",
            "docx_sha256",
            "pdf_sha256",
            "generated_by",
            "generated_at",
            "voided_at",
            "void_reason",
        ]


class GenerateSerializer(serializers.Serializer):
    case = serializers.IntegerField(help_text="案件ID")
    kind = serializers.ChoiceField(choices=kinds.CHOICES, help_text="文书种类")
    extra = serializers.DictField(
        required=False, default=dict, help_text="补充内容（见 zhifa.documents.context）"
    )


class VoidSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300, help_text="作废理由")


FILE_CONFLICT = error_response("文书文件缺失，或与生成时的SHA-256不一致")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("case", int, description="只列该案件的文书")])
)
class DocumentViewSet(ScopedReadOnlyViewSet):
    """法律文书：按乡镇（街道）范围查阅；`?case=ID` 只列该案件的文书。"""

    queryset = Document.objects.select_related("case", "township", "generated_by")
    serializer_class = DocumentSerializer
    pagination_class = KeysetPagination

    def get_queryset(self):
        if not self.request.user.can("documents.view"):
            raise PermissionDenied("您没有查阅法律文书的权限。")
        qs = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("case"):
            qs = qs.filter(case_id=query_id(self.request.query_params["case"], "case"))
        return qs

    def _file(self, fmt: str):
        doc = self.get_object()
        try:
            data = services.read_file(doc, fmt)
        except services.DocumentError as err:
            return Response({"error": str(err)}, status=status.HTTP_409_CONFLICT)
        return FileResponse(
            io.BytesIO(data), as_attachment=True, filename=doc.filename(fmt), content_type=CONTENT_TYPES[fmt]
        )

    @extend_schema(responses={(200, CONTENT_TYPES["docx"]): bytes, 409: FILE_CONFLICT})
    @action(detail=True, methods=["get"])
    def docx(self, request, pk=None):
        return self._file("docx")

    @extend_schema(responses={(200, CONTENT_TYPES["pdf"]): bytes, 409: FILE_CONFLICT})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return self._file("pdf")

    @extend_schema(request=VoidSerializer, responses={200: DocumentSerializer})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        ser = VoidSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        doc = self.get_object()
        try:
            doc = services.void(doc, request.user, ser.validated_data["reason"])
        except DjangoPermissionDenied as err:
            raise PermissionDenied(str(err)) from None
        except services.DocumentError as err:
            raise ValidationError({"detail": str(err)}) from None
        return Response(DocumentSerializer(doc).data)

    @extend_schema(
        request=GenerateSerializer,
        responses={201: DocumentSerializer, 404: error_response("案件不存在或不在您的管辖范围内")},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        from zhifa.cases.models import Case

        ser = GenerateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        case = get_object_or_404(Case.objects.restrict(request.user), pk=ser.validated_data["case"])
        problems = forms.check_extra(ser.validated_data["extra"])
        if problems:
            raise ValidationError({"extra": problems})
        try:
            doc = services.generate(
                case, ser.validated_data["kind"], request.user, ser.validated_data["extra"]
            )
        except DjangoPermissionDenied as err:
            raise PermissionDenied(str(err)) from None
        except services.DocumentError as err:
            raise ValidationError({"detail": str(err)}) from None
        return Response(DocumentSerializer(doc).data, status=status.HTTP_201_CREATED)

"""API errors in Chinese, with the field that is wrong; never a 500 for bad input."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)

# Bad input that got past the serializers (a value out of the database's range, a lookup that
# cannot be converted): the request is refused and its transaction rolled back.
_BAD_INPUT = {
    RecursionError: "请求内容嵌套过深，无法处理。",
    OverflowError: "数值或日期超出可处理的范围。",
    DataError: "数据格式或长度不符合要求。",
    IntegrityError: "数据与已有记录冲突或不符合约束。",
    ValueError: "请求中的某个值格式不正确。",
}


# get_object_or_404 says "No User matches the given query." in English whatever the language.
NOT_FOUND = "对象不存在，或不在您的管辖范围内。"


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            {"error": "提交的数据有误，请检查以下字段。", "fields": fields},
            status=status.HTTP_400_BAD_REQUEST,
        )
    for kind, message in _BAD_INPUT.items():
        if isinstance(exc, kind):
            set_rollback()
            view = context.get("view")
            logger.warning("bad input refused in %s: %r", type(view).__name__ if view else "?", exc)
            return Response({"error": message}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {
            "error": str(response.data["detail"]),
            **{k: v for k, v in response.data.items() if k != "detail"},
        }
    elif response is not None and isinstance(response.data, dict):
        response.data = {"error": "提交的数据有误，请检查以下字段。", "fields": _as_lists(response.data)}
    elif response is not None and isinstance(response.data, list):
        response.data = {"error": "提交的数据有误。", "fields": {"non_field_errors": response.data}}
    return response


def _as_lists(fields: dict) -> dict:
    """`ValidationError({"user": "……"})` keeps the bare string: every field gets a list of
    messages, as the schema says (nested fields keep their object or list)."""
    return {k: [v] if isinstance(v, str) else v for k, v in fields.items()}


def not_found_page(request, exception=None):
    """The site's 404 (urls.handler404): JSON in the API's error shape under /api/, where the
    path matched no route at all (an id that is no id, a mistyped name); the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": f"接口地址不存在：{request.path}"},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return page_not_found(request, exception)

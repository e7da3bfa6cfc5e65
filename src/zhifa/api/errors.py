"""API errors in Chinese, with the field that is wrong; never a 500 for bad input."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import page_not_found, server_error
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


# The database went away (a restart, a fail-over, a full disk, SQLite busy past its timeout):
# nothing was stored, and the same request sent again later will work. A 503 with Retry-After
# says so to the phone app and to a load balancer; a 500 would say the server is broken.
UNAVAILABLE = "数据库暂时不可用，本次提交未保存，请稍后原样重新提交。"
RETRY_AFTER_S = 5


def exception_handler(exc, context):
    if isinstance(exc, (OperationalError, InterfaceError)):
        set_rollback()
        logger.error("database unavailable: %r", exc)
        response = Response({"error": UNAVAILABLE}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
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


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/open311/"))


def server_error_page(request):
    """The site's 500 (urls.handler500): a lost database connection anywhere in the stack
    (sessions, authentication, a page) is a 503 with Retry-After, other failures a 500; JSON in
    the API's error shape under /api/ and /open311/, a Chinese page elsewhere."""
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        if _is_api(request):
            response = JsonResponse(
                {"error": UNAVAILABLE}, status=503, json_dumps_params={"ensure_ascii": False}
            )
        else:
            html = loader.render_to_string("503.html", {"message": UNAVAILABLE})
            response = HttpResponse(html, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    if _is_api(request):
        return JsonResponse(
            {"error": "服务器内部错误，已记录，请稍后重试。"},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return server_error(request)

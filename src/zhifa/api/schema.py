"""The OpenAPI schema documents the errors the API really answers, not only the happy path.

Every error body is `zhifa.api.errors`' shape: `{"error": "中文说明", "fields": {…}}` (the cases
views add `messages`, a refused report action `current_state`). drf-spectacular documents only
the success status; this schema class adds to each operation the error statuses it can answer:

- 400 where the request carries input (a body, or query parameters beyond paging);
- 403 everywhere: no login, a wrong token, or a role that may not do this (the API answers 403,
  not 401, as its first authentication is the session);
- 404 where the path names an object (absent, or outside the caller's scope), and on the lists
  paged by cursor (a cursor that is not one of ours).

A view documents any other status itself (409 for stale writes) with `ERROR_RESPONSE`.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.pagination import CursorPagination

ERROR_COMPONENT = "ApiError"
ERROR_SCHEMA = {
    "type": "object",
    "description": "错误。error 为中文说明；字段有误时 fields 按字段给出中文错误信息。",
    "properties": {
        "error": {"type": "string", "description": "中文错误说明"},
        "fields": {
            "type": "object",
            "description": "字段名 → 错误信息列表（嵌套字段、列表中的各项为对象或列表）",
            "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
        },
        "messages": {"type": "array", "items": {"type": "string"}, "description": "各条错误信息"},
        "current_state": {"type": "string", "description": "409：对象当前的状态"},
    },
    "required": ["error"],
}

PAGING_PARAMETERS = {"limit", "offset", "cursor"}


def error_response(description: str) -> OpenApiResponse:
    """An error status documented by a view itself, e.g. `409: error_response("……")`."""
    return OpenApiResponse(response=ERROR_SCHEMA, description=description)


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        params = operation.get("parameters", [])
        codes = {}
        if "requestBody" in operation or any(
            p["in"] == "query" and p["name"] not in PAGING_PARAMETERS for p in params
        ):
            codes["400"] = "请求内容或参数有误（error 为中文说明，fields 指出有误的字段）"
        codes["403"] = "未登录、令牌无效，或您的角色无权执行该操作"
        if any(p["in"] == "path" for p in params):
            codes["404"] = "对象不存在，或不在您的管辖范围内"
        elif self._is_cursor_list():
            codes["404"] = "分页游标无效"
        responses = operation["responses"]
        for code, description in codes.items():
            documented = responses.setdefault(code, {"description": description})
            # A view's own description wins; the body is always the error shape.
            documented.setdefault("content", {"application/json": {"schema": component.ref}})
        # Keep the statuses in order (2xx first) for readers of the docs page.
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _is_cursor_list(self) -> bool:
        return (
            self.method == "GET"
            and self._is_list_view()
            and isinstance(self._get_paginator(), CursorPagination)
        )

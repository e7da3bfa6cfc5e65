"""The JSON parser of the API: Chinese errors, and a limit on nesting.

A body nested thousands deep exhausts the interpreter's stack in the decoder (RecursionError,
a 500) or later in whatever walks it; no request of ours nests deeper than a few levels.
"""

from __future__ import annotations

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32
MAX_JSON_BYTES = 2 * 1024 * 1024  # photos come as multipart, never inside JSON


def _too_deep(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            children = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in children)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if len(raw) > MAX_JSON_BYTES:
            raise ParseError(f"请求内容过大（JSON不能超过{MAX_JSON_BYTES // 1024 // 1024}MB）。")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(f"JSON嵌套层数过深（最多{MAX_DEPTH}层）。") from None
        except UnicodeDecodeError:
            raise ParseError("请求内容不是UTF-8编码的JSON。") from None
        except ValueError as exc:
            raise ParseError(f"请求内容不是有效的JSON（{exc}）。") from None
        if _too_deep(data, MAX_DEPTH):
            raise ParseError(f"JSON嵌套层数过深（最多{MAX_DEPTH}层）。")
        return data


def _no_constant(name: str):
    raise ValueError(f"不支持{name}，数值必须是有限的数字")

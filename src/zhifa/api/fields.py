"""Strict input fields for every API serializer.

DRF's CharField turns 12345 into "12345" and has no length limit unless told: a client that
sends a number where text belongs has a bug we want to hear about, and every text the platform
stores has a limit (documented in the schema through `max_length`).
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from zhifa.rules import plaintext

# Where the model sets no limit (TextField): long enough for any real description or reason.
DEFAULT_MAX_TEXT = 4000
# A database id: a positive integer of at most 18 digits (fits a 64-bit column on every backend).
ID_REGEX = r"[0-9]{1,18}"
MAX_ID = 10**18 - 1


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "not_text": "应为文本（字符串），不能是数字、布尔值、列表或对象。",
        "control": "{message}",
        "max_length": "不能超过{max_length}个字符。",
        "blank": "不能为空。",
        "required": "必须填写。",
        "null": "不能为null。",
    }

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("max_length", DEFAULT_MAX_TEXT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        message = plaintext.control_char_message(data)
        if message is not None:
            self.fail("control", message=message)
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string", "maxLength": 40, "pattern": r"^\s*[-+]?[0-9]+(\.[0-9]+)?\s*$"},
        ],
        "description": "十进制度：数字，或数字字符串（表单提交）",
    }
)
class CoordinateField(serializers.Field):
    """A longitude or latitude: a JSON number or a numeric string (forms send strings); the
    range and the Chinese message naming it are checked by intake itself."""

    default_error_messages = {"invalid": "应为数字（十进制度）。"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 40:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


# Model fields: text columns become strict text with the column's own limit (or the default).
serializers.ModelSerializer.serializer_field_mapping[models.CharField] = StrictCharField
serializers.ModelSerializer.serializer_field_mapping[models.TextField] = StrictCharField


def query_id(value: str, field: str) -> int:
    """An id taken from a query parameter, or a Chinese ValidationError naming the parameter."""
    v = (value or "").strip()
    if not v.isdigit() or len(v) > 18:
        raise serializers.ValidationError({field: f"{field}应为不超过18位的正整数ID"})
    return int(v)

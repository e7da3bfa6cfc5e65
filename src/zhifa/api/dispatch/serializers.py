"""Report serialisers: what the API shows (never a protected reporter) and what intake accepts."""

from __future__ import annotations

from rest_framework import serializers

from zhifa.api.fields import CoordinateField, StrictCharField
from zhifa.dispatch.actions.common import actor_kinds
from zhifa.dispatch.actions.intake import MAX_TEXT
from zhifa.dispatch.actions.route import handler_ref
from zhifa.dispatch.models import Report, Transition, Whistle, WhistleCall
from zhifa.rules import dispatch_workflow as wf
from zhifa.rules.redaction import may_see_reporter


class TransitionSerializer(serializers.ModelSerializer):
    action_label = StrictCharField(read_only=True)

    class Meta:
        model = Transition
        fields = ["action", "action_label", "from_status", "to_status", "actor_name", "at", "reason"]


class ReportSerializer(serializers.ModelSerializer):
    # null for a report outside every township of the county
    township = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    status_label = StrictCharField(read_only=True)
    handler = serializers.SerializerMethodField()
    handler_label = StrictCharField(read_only=True)
    reporter_name = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "tracking_code",
            "client_id",
            "channel",
            "source",
            "text",
            "address",
            "lon",
            "lat",
            "crs",
            "wgs_lon",
            "wgs_lat",
            "township",
            "community_code",
            "grid_code",
            "micro_code",
            "status",
            "status_label",
            "priority",
            "item_code",
            "squad",
            "handler",
            "handler_label",
            "service_queue",
            "suggestion",
            "duplicate_of",
            "merged_into",
            "parent",
            "anonymous",
            "reporter_name",
            "reporter_phone",
            "reported_at",
            "created_at",
            "step_due_at",
            "escalation_level",
            "urge_count",
        ]
        read_only_fields = fields

    def get_handler(self, obj: Report) -> str:
        return handler_ref(obj)

    def _protected(self, obj: Report) -> bool:
        # 举报人保护: an anonymous reporter is shown only to the dispatchers of the report.
        user = self.context["request"].user if "request" in self.context else None
        kinds = actor_kinds(user, obj)
        return not may_see_reporter(
            anonymous=obj.anonymous, dispatcher=wf.DISPATCHER in kinds, handler=wf.HANDLER in kinds
        )

    def get_reporter_name(self, obj: Report) -> str:
        return "" if self._protected(obj) else obj.reporter_name

    def get_reporter_phone(self, obj: Report) -> str:
        return "" if self._protected(obj) else obj.reporter_phone


class ReportDetailSerializer(ReportSerializer):
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "result", "verified", "callback", "transitions"]
        read_only_fields = fields
        # "" until the callback is made (read-only fields lose the model's blank=True otherwise)
        extra_kwargs = {"callback": {"allow_blank": True}}


class IntakeSerializer(serializers.Serializer):
    """The body of POST /api/dispatch/reports/ (JSON or multipart with `photos`)."""

    client_id = StrictCharField(
        required=False, allow_blank=True, max_length=80, help_text="客户端生成的唯一编号，重发时不重复受理"
    )
    text = StrictCharField(max_length=MAX_TEXT, help_text="事件描述")
    lon = CoordinateField(help_text="经度（数字或数字字符串）")
    lat = CoordinateField(help_text="纬度（数字或数字字符串）")
    crs = StrictCharField(
        required=False, default="wgs84", max_length=10, help_text="坐标系：wgs84、cgcs2000、gcj02、bd09"
    )
    channel = serializers.ChoiceField(
        choices=[Report.API, Report.MOBILE, Report.HOTLINE], required=False, default=Report.API
    )
    address = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    reporter_name = StrictCharField(required=False, allow_blank=True, default="", max_length=50)
    reporter_phone = StrictCharField(required=False, allow_blank=True, default="", max_length=30)
    anonymous = serializers.BooleanField(required=False, default=False)
    priority = serializers.ChoiceField(choices=wf.PRIORITY_CHOICES, required=False, default=wf.NORMAL)
    reported_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    photos = serializers.ListField(child=serializers.ImageField(), required=False, default=list)


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(wf.ACTION_LABELS.items()))
    reason = StrictCharField(required=False, allow_blank=True, default="")
    item = StrictCharField(required=False, allow_blank=True, allow_null=True, default=None)
    department = StrictCharField(required=False, allow_blank=True, default="")
    unit = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="指派：township:T01、department:D03 或 service",
    )
    callback = StrictCharField(required=False, allow_blank=True, default="")
    review_on = serializers.DateField(required=False, allow_null=True, default=None)
    days = serializers.IntegerField(required=False, default=0, min_value=0, max_value=365)
    parts = serializers.ListField(child=StrictCharField(), required=False, default=list)
    into = StrictCharField(required=False, allow_blank=True, default="")
    expected_state = serializers.ChoiceField(
        choices=wf.STATE_CHOICES,
        required=False,
        allow_null=True,
        default=None,
        help_text="查看事件时得到的 status；事件已被他人处理（状态已变）时返回 409，不作任何修改",
    )


class WhistleCallSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_label = StrictCharField(source="get_status_display", read_only=True)

    class Meta:
        model = WhistleCall
        fields = ["id", "department", "status", "status_label", "response", "responded_at"]
        read_only_fields = fields


class WhistleSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    report = serializers.SlugRelatedField(slug_field="tracking_code", read_only=True, allow_null=True)
    calls = WhistleCallSerializer(many=True, read_only=True)

    class Meta:
        model = Whistle
        fields = ["id", "township", "report", "subject", "detail", "called_at", "respond_by", "calls"]
        read_only_fields = fields


class RespondSerializer(serializers.Serializer):
    response = StrictCharField(help_text="报到情况：到场人员、处置措施")

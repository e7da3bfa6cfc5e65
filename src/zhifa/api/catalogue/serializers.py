from rest_framework import serializers

from zhifa.api.fields import StrictCharField
from zhifa.catalogue.models import CatalogueVersion, DiscretionTier, Entrustment, Entry, Item


class TierSerializer(serializers.ModelSerializer):
    tier_label = StrictCharField(source="get_tier_display", read_only=True)

    class Meta:
        model = DiscretionTier
        fields = ["tier", "tier_label", "condition", "fine_min", "fine_max"]


class TierListSerializer(serializers.Serializer):
    """Body of GET/PUT/PATCH items/<id>/tiers/ (amounts in yuan, strings or numbers)."""

    item = StrictCharField(read_only=True)
    tiers = TierSerializer(many=True)


class ItemSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    action_type_label = StrictCharField(source="get_action_type_display", read_only=True)
    source_label = StrictCharField(source="get_source_display", read_only=True)
    tiers = TierSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "name",
            "action_type",
            "action_type_label",
            "source",
            "source_label",
            "domain",
            "department",
            "legal_basis",
            "violation",
            "penalty",
            "revoked_on",
            "revoke_reason",
            "tiers",
        ]


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = [
            "code",
            "name",
            "action_type",
            "source",
            "domain",
            "department_code",
            "department_name",
            "legal_basis",
            "violation",
            "penalty",
        ]


class VersionSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state = serializers.SerializerMethodField()
    entry_count = serializers.SerializerMethodField()

    class Meta:
        model = CatalogueVersion
        fields = [
            "id",
            "township",
            "number",
            "status",
            "state",
            "effective_date",
            "published_at",
            "published_by_name",
            "note",
            "entry_count",
            "revision",
        ]

    def get_state(self, obj) -> str:
        from zhifa.catalogue.services import version_state

        return version_state(obj)

    def get_entry_count(self, obj) -> int:
        return obj.entries.count()


class VersionDetailSerializer(VersionSerializer):
    entries = EntrySerializer(many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "entries"]


class PublishSerializer(serializers.Serializer):
    effective_date = serializers.DateField(
        error_messages={"required": "请填写生效日期", "invalid": "生效日期格式应为YYYY-MM-DD"}
    )
    note = StrictCharField(required=False, allow_blank=True, max_length=300)
    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="查看时草稿的 revision：期间草稿被他人修改则返回409，不发布",
    )


class EntrustmentSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    items = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Entrustment
        fields = [
            "id",
            "doc_no",
            "department",
            "township",
            "items",
            "valid_from",
            "valid_to",
            "ended_on",
            "end_reason",
            "revision",
            "state",
        ]

    def get_state(self, obj) -> str:
        from zhifa.catalogue.services import entrustment_state

        return entrustment_state(obj)

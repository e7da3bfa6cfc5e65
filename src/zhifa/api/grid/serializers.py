from __future__ import annotations

from rest_framework import serializers

from zhifa.api.fields import StrictCharField
from zhifa.grid import coords
from zhifa.grid.models import Element, EnforcementGrid, GridStaff, GridUnit

CRS_HELP = "输入坐标系：wgs84（默认，GPS）、cgcs2000、gcj02（高德、腾讯）、bd09（百度）；库内统一存WGS-84"


class GridUnitSerializer(serializers.ModelSerializer):
    level_label = StrictCharField(read_only=True)
    # null for a township, the top of the tree
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    township_name = StrictCharField(source="township.name", read_only=True)
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = GridUnit
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_label",
            "parent",
            "township",
            "township_name",
            "kind",
            "households",
            "population",
            "businesses",
            "bbox",
        ]

    def get_bbox(self, obj: GridUnit) -> list[float]:
        return [obj.minx, obj.miny, obj.maxx, obj.maxy]


class PostSerializer(serializers.Serializer):
    role = StrictCharField()
    role_label = StrictCharField()
    user_id = serializers.IntegerField()
    name = StrictCharField()
    phone = StrictCharField()
    post_id = serializers.IntegerField(allow_null=True)


class LevelDutySerializer(serializers.Serializer):
    level = StrictCharField()
    level_label = StrictCharField()
    unit_id = serializers.IntegerField()
    code = StrictCharField()
    name = StrictCharField()
    posts = PostSerializer(many=True)


class ResponsibilitySerializer(serializers.Serializer):
    levels = LevelDutySerializer(many=True)
    officers = PostSerializer(many=True)
    enforcement_grids = serializers.ListField(child=StrictCharField())


class GridUnitDetailSerializer(GridUnitSerializer):
    children = serializers.IntegerField(source="children.count", read_only=True)
    ancestors = serializers.SerializerMethodField()

    class Meta(GridUnitSerializer.Meta):
        fields = [*GridUnitSerializer.Meta.fields, "children", "ancestors"]

    def get_ancestors(self, obj: GridUnit) -> list[dict]:
        out = []
        cur = obj.parent
        while cur is not None:
            out.append({"id": cur.id, "code": cur.code, "name": cur.label, "level_label": cur.level_label})
            cur = cur.parent
        return out


class LocateQuerySerializer(serializers.Serializer):
    lon = serializers.FloatField(help_text="经度")
    lat = serializers.FloatField(help_text="纬度")
    crs = StrictCharField(required=False, default=coords.WGS84, help_text=CRS_HELP)

    def validate_crs(self, value: str) -> str:
        try:
            return coords.normalise_crs(value)
        except coords.UnknownCRS as exc:
            raise serializers.ValidationError(str(exc))


class LocatePointSerializer(LocateQuerySerializer):
    id = serializers.JSONField(required=False, help_text="调用方自己的编号，原样返回")
    crs = StrictCharField(required=False, allow_blank=True, default="", help_text=CRS_HELP)

    def validate_crs(self, value: str) -> str:
        return super().validate_crs(value) if value else ""


class LocateBatchSerializer(serializers.Serializer):
    crs = StrictCharField(required=False, default=coords.WGS84, help_text=CRS_HELP)
    points = LocatePointSerializer(many=True)

    def validate_crs(self, value: str) -> str:
        try:
            return coords.normalise_crs(value)
        except coords.UnknownCRS as exc:
            raise serializers.ValidationError(str(exc))

    def validate_points(self, value: list) -> list:
        if len(value) > 100_000:
            raise serializers.ValidationError("一次最多定位100000个点，请分批提交")
        return value


class ElementSerializer(serializers.ModelSerializer):
    kind_label = StrictCharField(source="get_kind_display", read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    crs = StrictCharField(write_only=True, required=False, default=coords.WGS84, help_text=CRS_HELP)

    class Meta:
        model = Element
        fields = [
            "id",
            "kind",
            "kind_label",
            "name",
            "address",
            "lon",
            "lat",
            "crs",
            "note",
            "unit",
            "township",
        ]
        read_only_fields = ["unit", "township"]


class EnforcementGridSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    micro_grids = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    officers = serializers.SerializerMethodField()

    class Meta:
        model = EnforcementGrid
        fields = ["id", "code", "name", "township", "micro_grids", "officers"]

    def get_officers(self, obj: EnforcementGrid) -> list[str]:
        return [u.display_name for u in obj.officers.all()]


class GridStaffSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    user_name = StrictCharField(source="user.display_name", read_only=True)
    role_label = StrictCharField(source="get_role_display", read_only=True)

    class Meta:
        model = GridStaff
        fields = ["id", "unit", "user", "user_name", "role", "role_label"]


class EnforcementGridWriteSerializer(serializers.Serializer):
    code = StrictCharField(max_length=60)
    name = StrictCharField(max_length=100)
    township = StrictCharField(help_text="乡镇代码，如 T01")
    micro_grids = serializers.ListField(child=StrictCharField(), help_text="微网格编码列表")
    officers = serializers.ListField(child=serializers.IntegerField(), help_text="执法人员账号id列表")


class StaffAssignSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="账号id")
    role = serializers.ChoiceField(
        choices=[("leader", "网格长"), ("worker", "网格员"), ("assistant", "网格辅助员")]
    )

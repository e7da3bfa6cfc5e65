from rest_framework import serializers

from zhifa.api.fields import StrictCharField
from zhifa.org.models import Community, Department, Township, User


class TownshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Township
        fields = ["id", "code", "name", "kind", "setting"]


class CommunitySerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Community
        fields = ["id", "code", "name", "township"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "domain"]


class UserSerializer(serializers.ModelSerializer):
    # County-level accounts have no township, township accounts no department: null.
    township = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    role_label = StrictCharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "role_label", "township", "department", "is_active"]

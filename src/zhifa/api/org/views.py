from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.response import Response

from zhifa.api.base import ScopedReadOnlyViewSet
from zhifa.api.org import serializers
from zhifa.org.models import Community, Department, Township, User


class TownshipViewSet(ScopedReadOnlyViewSet):
    """乡镇（街道）列表。"""

    queryset = Township.objects.order_by("code")
    serializer_class = serializers.TownshipSerializer


class CommunityViewSet(ScopedReadOnlyViewSet):
    """社区（村）列表。"""

    queryset = Community.objects.select_related("township").order_by("code")
    serializer_class = serializers.CommunitySerializer


class DepartmentViewSet(ScopedReadOnlyViewSet):
    """县直部门列表。"""

    queryset = Department.objects.order_by("code")
    serializer_class = serializers.DepartmentSerializer


class UserViewSet(ScopedReadOnlyViewSet):
    """账号列表：乡镇人员只能看到本乡镇账号，县级角色看到全县。"""

    queryset = User.objects.select_related("township", "department").order_by("username")
    serializer_class = serializers.UserSerializer


@extend_schema(responses=serializers.UserSerializer)
@api_view(["GET"])
def me(request):
    """当前登录账号。"""
    return Response(serializers.UserSerializer(request.user).data)

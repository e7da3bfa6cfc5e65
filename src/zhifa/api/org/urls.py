from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zhifa.api.org import views

router = DefaultRouter()
router.register("townships", views.TownshipViewSet)
router.register("communities", views.CommunityViewSet)
router.register("departments", views.DepartmentViewSet)
router.register("users", views.UserViewSet)

urlpatterns = [
    path("me/", views.me, name="api-org-me"),
    path("", include(router.urls)),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zhifa.api.cases import views

router = DefaultRouter()
router.register("cases", views.CaseViewSet)
router.register("officers", views.OfficerViewSet)

urlpatterns = [
    path("deadlines/", views.my_deadlines, name="api-cases-deadlines"),
    path("", include(router.urls)),
]

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from zhifa.api.dispatch import views

router = SimpleRouter()
router.register("reports", views.ReportViewSet, basename="dispatch-report")
router.register("whistles", views.WhistleViewSet, basename="dispatch-whistle")

urlpatterns = [
    path("", include(router.urls)),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zhifa.api.catalogue import views

router = DefaultRouter()
router.register("items", views.ItemViewSet, basename="catalogue-item")
router.register("versions", views.VersionViewSet, basename="catalogue-version")
router.register("entrustments", views.EntrustmentViewSet, basename="catalogue-entrustment")

urlpatterns = [
    path("townships/<str:code>/holdings/", views.holdings, name="api-catalogue-holdings"),
    path("fine-range/", views.fine_range, name="api-catalogue-fine-range"),
    path("", include(router.urls)),
]

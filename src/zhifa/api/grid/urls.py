from django.urls import include, path
from rest_framework.routers import DefaultRouter

from zhifa.api.grid import activity, views

router = DefaultRouter()
router.register("units", views.GridUnitViewSet)
router.register("elements", views.ElementViewSet)
router.register("enforcement-grids", views.EnforcementGridViewSet)
router.register("staff", views.GridStaffViewSet)

urlpatterns = [
    path("locate/", views.locate, name="api-grid-locate"),
    path("geojson/", views.geojson, name="api-grid-geojson"),
    path("activity/", activity.activity, name="api-grid-activity"),
    path("", include(router.urls)),
]

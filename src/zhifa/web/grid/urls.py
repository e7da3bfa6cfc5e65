from django.urls import path

from zhifa.web.context import register
from zhifa.web.grid import views

app_name = "grid"

urlpatterns = [
    path("", views.grid_map, name="map"),
    path("enforcement/", views.enforcement_grids, name="enforcement"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("import/", views.import_map, name="import"),
]

register("网格地图", "web:grid:map", None)

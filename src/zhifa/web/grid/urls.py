from django.urls import path

from zhifa.web.context import register
from zhifa.web.grid import views

app_name = "grid"

urlpatterns = [
    path("", views.grid_map, name="map"),
]

register("网格地图", "web:grid:map", None)

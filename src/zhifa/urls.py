from django.urls import include, path

urlpatterns = [
    path("api/", include("zhifa.api.urls")),
    path("", include("zhifa.web.urls")),
]

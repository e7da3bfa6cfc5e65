from django.urls import include, path

urlpatterns = [
    path("api/", include("zhifa.api.urls")),
    path("open311/v2/", include("zhifa.api.dispatch.open311")),
    path("", include("zhifa.web.urls")),
]

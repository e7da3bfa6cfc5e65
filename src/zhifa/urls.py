from django.urls import include, path

urlpatterns = [
    path("api/", include("zhifa.api.urls")),
    path("open311/v2/", include("zhifa.api.dispatch.open311")),
    path("", include("zhifa.web.urls")),
]

handler404 = "zhifa.api.errors.not_found_page"
handler500 = "zhifa.api.errors.server_error_page"

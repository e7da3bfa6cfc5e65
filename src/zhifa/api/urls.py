from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

DOMAINS = ["org", "catalogue", "grid", "dispatch", "cases", "documents", "supervision"]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
] + [path(f"{d}/", include(f"zhifa.api.{d}.urls")) for d in DOMAINS]

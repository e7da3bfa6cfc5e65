from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

# The domains with an API (supervision has none: its pages are the web ones).
DOMAINS = ["org", "catalogue", "grid", "dispatch", "cases", "documents"]

# The schema and its docs page describe every operation: they are for logged-in users only
# (anonymous: the schema answers 403, the page redirects to the login page). The split Swagger
# view serves its start-up script as a file, so the page runs under the strict CSP.
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[IsAuthenticated])
        ),
        name="api-docs",
    ),
] + [path(f"{d}/", include(f"zhifa.api.{d}.urls")) for d in DOMAINS]

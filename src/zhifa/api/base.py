"""Base classes for API views: authentication feeds the audit actor, querysets are scoped."""

from rest_framework import viewsets

from zhifa.api.fields import ID_REGEX
from zhifa.core import audit
from zhifa.org.scoping import restrict


class AuditedMixin:
    def perform_authentication(self, request):
        super().perform_authentication(request)
        if request.user and request.user.is_authenticated:
            audit.set_actor(request.user)


class ScopedViewSetMixin(AuditedMixin):
    """`get_queryset` passes through `restrict(user, action)`: other scopes see 404, not 403."""

    queryset = None
    # Ids in URLs are at most 18 digits: "false" or a 20-digit number is a 404, not a 500.
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        action = "view" if self.request.method in ("GET", "HEAD", "OPTIONS") else "change"
        return restrict(self.queryset.all(), self.request.user, action)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass

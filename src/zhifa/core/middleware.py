from zhifa.core import audit


class AuditActorMiddleware:
    """Makes the logged-in user the actor of every audit entry written during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        with audit.acting_as(user if user is not None and user.is_authenticated else None):
            return self.get_response(request)

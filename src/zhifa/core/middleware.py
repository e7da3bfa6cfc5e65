from django.http import HttpResponseBadRequest

from zhifa.core import audit


class AuditActorMiddleware:
    """Makes the logged-in user the actor of every audit entry written during the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        with audit.acting_as(user if user is not None and user.is_authenticated else None):
            return self.get_response(request)


# ---- security response headers ---------------------------------------------------------------

# Every asset is served from this site (no CDN, no external fonts or tiles: offline intranets).
# Scripts: only files from 'self' — no inline <script>, no on*= handlers, no eval.
# Styles: 'unsafe-inline' stays for style attributes only: the grid activity layer
# (src/zhifa/grid/static/grid/activity.js) colours its Leaflet markers with inline style
# attributes and some page templates still set widths inline. Inline styles cannot run code;
# scripts stay strict.
# Images: blob: for the mobile page's photo preview (URL.createObjectURL), data: for Leaflet.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    # The mobile reporting page uses the camera and location; nothing else needs a device.
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()",
}


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy and the other security headers to every response (pages,
    API, static files, errors). A view that sets one of them itself keeps its own value."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in SECURITY_HEADERS.items():
            if name not in response:
                response[name] = value
        return response


# ---- control characters in page forms ---------------------------------------------------------


class PlainFormInputMiddleware:
    """Refuses a page form carrying an invisible control character in any field (as the API's
    text fields do, `zhifa.rules.plaintext`): a 400 page in Chinese naming the field and the
    position, before any view runs, so nothing is stored. The API and Open311 check their own
    fields (with their JSON error shape); uploaded files are not text and are not read here."""

    SKIP = ("/api/", "/open311/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and not request.path.startswith(self.SKIP):
            problem = self._first_problem(request)
            if problem is not None:
                from django.template import loader

                html = loader.render_to_string("400.html", {"message": problem}, request)
                return HttpResponseBadRequest(html)
        return self.get_response(request)

    @staticmethod
    def _first_problem(request) -> str | None:
        from zhifa.rules.plaintext import control_char_message

        for name, values in request.POST.lists():
            for value in values:
                message = control_char_message(value)
                if message:
                    return f"提交的内容有误：字段“{name}”{message}。"
        return None

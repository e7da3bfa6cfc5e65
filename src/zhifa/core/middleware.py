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

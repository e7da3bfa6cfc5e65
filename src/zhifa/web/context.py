"""Navigation entries: each domain adds its pages to NAV (label, url name, capability or None)."""

from django.urls import NoReverseMatch, reverse

# (label, url name, capability needed or None for every signed-in user)
NAV: list[tuple[str, str, str | None]] = [
    ("首页", "web:home", None),
]


def register(label: str, url_name: str, capability: str | None = None) -> None:
    if not any(n[1] == url_name for n in NAV):
        NAV.append((label, url_name, capability))


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, name, cap in NAV:
            if cap is None or user.can(cap):
                try:
                    items.append(
                        {"label": label, "url": reverse(name), "active": request.path == reverse(name)}
                    )
                except NoReverseMatch:
                    continue
    return {"nav_items": items}

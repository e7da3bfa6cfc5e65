"""Navigation entries: each domain adds its pages to NAV (label, url name, capability or None)."""

from django.urls import NoReverseMatch, reverse

# (label, url name, capability needed or None for every signed-in user)
NAV: list[tuple[str, str, str | None]] = [
    ("首页", "web:home", None),
]


def register(label: str, url_name: str, capability: str | None = None) -> None:
    if not any(n[1] == url_name for n in NAV):
        NAV.append((label, url_name, capability))


# The navigation is grouped by domain (the namespace of the url name), in this order.
GROUPS: list[tuple[str, str]] = [
    ("catalogue", "清单"),
    ("grid", "网格"),
    ("dispatch", "调度"),
    ("cases", "办案"),
    ("documents", "办案"),
    ("supervision", "监督"),
    ("org", "系统"),
]


def _group(url_name: str) -> str:
    parts = url_name.split(":")
    domain = parts[1] if len(parts) > 2 else ""
    return dict(GROUPS).get(domain, "")


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, name, cap in NAV:
            if cap is None or user.can(cap):
                try:
                    url = reverse(name)
                except NoReverseMatch:
                    continue
                active = request.path == url or (url != "/" and request.path.startswith(url))
                items.append({"label": label, "url": url, "active": active, "group": _group(name)})
    order = list(dict.fromkeys(label for _d, label in GROUPS))
    groups = [
        (g, [i for i in items if i["group"] == g]) for g in order if any(i["group"] == g for i in items)
    ]
    return {"nav_items": items, "nav_groups": groups}

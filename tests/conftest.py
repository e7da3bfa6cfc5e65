"""Shared fixtures: organisation, users per role, and the headless browser."""

from __future__ import annotations

import os
import shutil

import pytest

from zhifa.org import roles

IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, what: str) -> None:
    """Skip when a component is missing, except in CI where that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {what} is missing")
    pytest.skip(f"{what} is missing")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def county(db):
    from zhifa.org.models import CommandCentre, County, Department, Township

    c = County.objects.create(code="C01", name="测试县")
    CommandCentre.objects.create(county=c)
    Township.objects.create(county=c, code="T01", name="东城街道", kind="街道", setting="城区")
    Township.objects.create(county=c, code="T02", name="北关街道", kind="街道", setting="城区")
    Department.objects.create(county=c, code="D01", name="县自然资源局", domain="自然资源")
    Department.objects.create(county=c, code="D02", name="县林业局", domain="林业")
    return c


@pytest.fixture
def make_user(county):
    from zhifa.org.models import Department, Township, User

    def make(
        role: str,
        township: str | None = None,
        department: str | None = None,
        username: str | None = None,
        password: str = "Zhifa-test-2026",
        **extra,
    ):
        t = Township.objects.get(code=township) if township else None
        d = Department.objects.get(code=department) if department else None
        county = (t.county if t else d.county if d else None) or _first_county()
        name = username or f"{role}-{township or department or 'county'}"
        return User.objects.create_user(
            username=name,
            password=password,
            role=role,
            township=t,
            department=d,
            county=county,
            full_name=extra.pop("full_name", name),
            **extra,
        )

    return make


def _first_county():
    from zhifa.org.models import County

    return County.objects.order_by("id").first()


@pytest.fixture
def roles_module():
    return roles


# ---- browser ---------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def _playwright_browser():
    exe = chromium_path()
    require(exe is not None, "Debian chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the lock file
        require(False, "playwright")
    # Playwright's sync API runs an event loop in this thread; Django's ORM in the test body
    # would otherwise refuse to run ("async context").
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def page(_playwright_browser, live_server):
    context = _playwright_browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def login(page):
    def do(username: str, password: str = "Zhifa-test-2026"):
        page.goto("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_selector("header .who")
        return page

    return do


def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only are deselected (not skipped) when the run is not on PostgreSQL;
    `make test` runs them in its PostgreSQL pass."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    keep = [i for i in items if i.get_closest_marker("postgres_only") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


@pytest.fixture(autouse=True)
def _holiday_calendar(request):
    """Transactional tests (browser tests among them) flush every table when they end, the holiday
    calendar that a migration seeded included; the next test on that database would then compute
    working days without holidays. Restore it before any database test that finds it empty."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or names & {
        "transactional_db",
        "live_server",
    }
    request.getfixturevalue("transactional_db" if transactional else "db")
    from zhifa.core import calendar
    from zhifa.core.models import CalendarDay

    if not CalendarDay.objects.exists():
        calendar.seed_from_package()
        calendar.invalidate()
    yield


@pytest.fixture(autouse=True)
def _table_caches():
    """A rolled-back test leaves no signal behind, and ids are reused: no cached row may outlive
    the test that read it."""
    from zhifa.core import tablecache

    tablecache.clear_all()
    yield
    tablecache.clear_all()

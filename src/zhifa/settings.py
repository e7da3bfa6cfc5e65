"""Django settings, all read from environment variables (SQLite by default).

Environment:
  ZHIFA_ENV          development (default) or production
  ZHIFA_SECRET_KEY   required in production
  ZHIFA_ALLOWED_HOSTS comma separated; default 127.0.0.1,localhost
  DATABASE_URL       e.g. postgres://user:pw@host/db; default sqlite under var/
  ZHIFA_VAR_DIR      where the SQLite database, models and media live (default ./var)
  ZHIFA_MEDIA_ROOT   uploaded evidence (default $ZHIFA_VAR_DIR/media)
  ZHIFA_AUDIT_KEY    the audit chain's HMAC key (see zhifa.core.auditkeys and docs/security.md)
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from zhifa.core import auditkeys

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ZHIFA_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("ZHIFA_ENV", "development")
PRODUCTION = ENV == "production"
_DEFAULT_SECRET = "zhifa-development-only-secret-do-not-use-in-production"
SECRET_KEY = os.environ.get("ZHIFA_SECRET_KEY", _DEFAULT_SECRET)
if PRODUCTION and (SECRET_KEY == _DEFAULT_SECRET or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "生产模式（ZHIFA_ENV=production）必须通过环境变量 ZHIFA_SECRET_KEY 设置至少32位的随机密钥，"
        "不能使用默认密钥。"
    )
DEBUG = os.environ.get("ZHIFA_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ZHIFA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("ZHIFA_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from this site (no CDN), allowed by the CSP
    "zhifa.core",
    "zhifa.org",
    "zhifa.catalogue",
    "zhifa.grid",
    "zhifa.dispatch",
    "zhifa.cases",
    "zhifa.documents",
    "zhifa.supervision",
    "zhifa.api",
    "zhifa.web",
    "zhifa.demo",
]

MIDDLEWARE = [
    "zhifa.core.middleware.SecurityHeadersMiddleware",  # first: wraps static files and errors too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "zhifa.core.middleware.PlainFormInputMiddleware",  # after CSRF: a forged post is refused first
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhifa.core.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "zhifa.urls"
WSGI_APPLICATION = "zhifa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhifa.web.context.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhifa.sqlite3'}"),
        conn_max_age=int(os.environ.get("ZHIFA_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web app read while a command writes; the timeout waits out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
AUTHENTICATION_BACKENDS = ["zhifa.org.auth.LockoutModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# Lock an account *from one client address* for ZHIFA_LOCKOUT_MINUTES after ZHIFA_LOCKOUT_ATTEMPTS
# failures (doubling on each further lock), and an address for every account after
# ZHIFA_LOCKOUT_ADDRESS_ATTEMPTS failures (zhifa.org.auth). ZHIFA_TRUSTED_PROXIES: how many
# reverse proxies in front append to X-Forwarded-For (0: use the socket's address).
LOCKOUT_ATTEMPTS = int(os.environ.get("ZHIFA_LOCKOUT_ATTEMPTS", "5"))
LOCKOUT_MINUTES = int(os.environ.get("ZHIFA_LOCKOUT_MINUTES", "15"))
LOCKOUT_ADDRESS_ATTEMPTS = int(os.environ.get("ZHIFA_LOCKOUT_ADDRESS_ATTEMPTS", "50"))
TRUSTED_PROXIES = int(os.environ.get("ZHIFA_TRUSTED_PROXIES", "0"))

# The audit chain's seal: HMAC-SHA256 or HMAC-SM3 with a key kept outside the database
# (ZHIFA_AUDIT_KEY / _KEY_FILE / _KEY_ID / _ALG / _OLD_KEYS; see zhifa.core.auditkeys).
try:
    AUDIT_KEYRING = auditkeys.from_environ(os.environ)
except auditkeys.KeyConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
# Who seals new audit entries into the chain: "commit" (right after each commit, in the request)
# or "worker" (the long-running `zhifa urge-overdue` worker, every second): the request then only
# appends, and the chain's lock is taken by one process instead of every web worker.
AUDIT_SEAL = os.environ.get("ZHIFA_AUDIT_SEAL", "worker" if PRODUCTION else "commit")
if AUDIT_SEAL not in {"commit", "worker"}:
    raise ImproperlyConfigured(f"ZHIFA_AUDIT_SEAL 只能是 commit 或 worker（当前为“{AUDIT_SEAL}”）")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("ZHIFA_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# ---- security headers and cookies (h12c) ------------------------------------------------------
# The Content-Security-Policy, Referrer-Policy, X-Content-Type-Options and Permissions-Policy are
# set on every response by zhifa.core.middleware.SecurityHeadersMiddleware (docs/security.md).
# Cookies are Secure (sent over HTTPS only) when the site is served over HTTPS: ZHIFA_HTTPS=1,
# and in production unless ZHIFA_SECURE_COOKIES=0 (a plain-HTTP intranet behind no TLS proxy).
HTTPS = os.environ.get("ZHIFA_HTTPS", "0") == "1"
SESSION_COOKIE_SECURE = HTTPS or (PRODUCTION and os.environ.get("ZHIFA_SECURE_COOKIES", "1") == "1")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# ---- end security headers and cookies ---------------------------------------------------------
SESSION_COOKIE_AGE = 8 * 3600
# Django's database sessions, their read compiled once per process (zhifa.core.sessions).
SESSION_ENGINE = "zhifa.core.sessions"

REST_FRAMEWORK = {
    # API clients send `Authorization: Token <key>` (zhifa api-token); pages use the session.
    # HTTP Basic sends the password with every request: only where ZHIFA_API_BASIC_AUTH=1.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "zhifa.api.authentication.TokenAuthentication",
    ]
    + (
        ["rest_framework.authentication.BasicAuthentication"]
        if os.environ.get("ZHIFA_API_BASIC_AUTH", "0") == "1"
        else []
    ),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "zhifa.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "zhifa.api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "zhifa.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "zhifa 乡镇综合行政执法平台 API",
    "DESCRIPTION": "统一受理、清单、网格、案件与监督接口。坐标默认 WGS-84/CGCS2000 经纬度。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page need a login (zhifa/api/urls.py); the page's assets are local.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Text the serializers refuse when blank is documented with minLength 1 (tests/api/test_schema_fuzz.py).
    "ENFORCE_NON_BLANK_FIELDS": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZHIFA_LOG_LEVEL", "WARNING")},
}

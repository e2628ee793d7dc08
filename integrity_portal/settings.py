"""Settings for the Integrity Portal, driven by the environment (django-environ).

With nothing set the project runs on an embedded default: a SQLite file in the
project folder, Celery tasks executed eagerly, and a local-memory cache.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to a real broker,
result backend and shared cache. ``DEBUG`` is off unless asked for, and a
production process refuses to start without a ``SECRET_KEY``.
"""

import ipaddress
from datetime import timedelta
from email.utils import formataddr, getaddresses
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Site identity shown in every page's footer (core.context_processors.site_identity); empty = omitted.
SITE_BUREAU_NAME = env.str("SITE_BUREAU_NAME", default="")
SITE_ICP_NUMBER = env.str("SITE_ICP_NUMBER", default="")
SITE_PSB_NUMBER = env.str("SITE_PSB_NUMBER", default="")
SITE_GOV_SITE_CODE = env.str("SITE_GOV_SITE_CODE", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # One error body for every API error (core/api.py, core/api_errors.py).
    "drf_standardized_errors",
    # CORS for anonymous reads of the open data (CORS_* below, core/api_cors.py).
    "corsheaders",
    "csp",
    "django_prometheus",
    "django_celery_beat",
    "simple_history",
    "import_export",
    "axes",
    # Two-factor sign-in (core/two_factor.py): TOTP authenticators and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "integrity_portal.core",
    # The outbox (docs/NOTIFICATIONS.md): needs only core, and the apps below enqueue notices through it.
    "notifications",
    "merchants",
    # 双随机、一公开 (docs/SPOT_CHECKS.md): plans, the verifiable draw, tasks; needs merchants.
    "spotchecks",
    "complaints",
    "campaigns",
    "analysis",
]

MIDDLEWARE = [
    # django-prometheus counts every request: its Before middleware first, its After middleware last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Request id for every log line and one JSON line per request (core/logging.py).
    "integrity_portal.core.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # First after the security headers: refuses oversize bodies (413) and NUL bytes (400) before anything
    # reads the body or queries the database (core/request_guard.py).
    "integrity_portal.core.request_guard.RequestGuardMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CORS headers on anonymous reads of the public API only (GET/HEAD/OPTIONS), before anything that answers.
    "integrity_portal.core.api_cors.PublicReadCorsMiddleware",
    # Liveness answered before CommonMiddleware validates the Host header, so the container healthcheck
    # (http://127.0.0.1:8000/healthz/) works with the real ALLOWED_HOSTS (core/middleware.py).
    "integrity_portal.core.middleware.HealthzMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session given a second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "integrity_portal.core.middleware.StaffSessionTimeoutMiddleware",
    # No page for staff (or a merchant who opted in) without the second factor (core/two_factor.py).
    "integrity_portal.core.two_factor.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
    "integrity_portal.core.metrics.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "integrity_portal.urls"
WSGI_APPLICATION = "integrity_portal.wsgi.application"
ASGI_APPLICATION = "integrity_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "integrity_portal.core.context_processors.site_identity",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
IS_POSTGRES = "postgresql" in DATABASES["default"]["ENGINE"]
# PostgreSQL's JIT compiles any statement whose estimated cost passes jit_above_cost: on this portal's
# whole-table aggregates and directory queries it spent 0.1-0.4 s compiling statements that run in tens of
# milliseconds (docs/BENCHMARKS.md). Off by default; DATABASE_JIT=true, or "options" in the URL, overrides.
if IS_POSTGRES and not env.bool("DATABASE_JIT", default=False):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(filter(None, [_options.get("options", ""), "-c jit=off"]))

# Optional streaming replica for anonymous public reads (docs/SCALING.md §3); without it nothing changes.
# For this many seconds after a public pages version is first seen, public reads stay on the primary.
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=5.0)
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must use the same database engine as DATABASE_URL.")
    DATABASES["replica"].update(
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=DATABASES["default"]["CONN_HEALTH_CHECKS"],
        OPTIONS={**DATABASES["default"].get("OPTIONS", {}), **DATABASES["replica"].get("OPTIONS", {})},
        TEST={"MIRROR": "default"},
    )
    DATABASE_ROUTERS = ["integrity_portal.core.db_router.PublicReadReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "integrity_portal.core.middleware.PublicReadReplicaMiddleware",
    )

# Database metrics (django_db_* on /metrics: queries, errors, new connections, by alias): django-prometheus's
# wrapper of the same engine, a subclass of Django's backend (same vendor, features and test database
# creation). Swapped after the checks above, which compare Django's own engine names; other engines as given.
PROMETHEUS_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
for _database in DATABASES.values():
    _database["ENGINE"] = PROMETHEUS_DB_ENGINES.get(_database["ENGINE"], _database["ENGINE"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # core.cache.ResilientRedisCache with hit/miss counters (core/metrics.py).
            "BACKEND": "integrity_portal.core.metrics.MeteredResilientRedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ip"),
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "integrity_portal.core.metrics.MeteredLocMemCache", "LOCATION": "ip"}}

# /metrics (core/metrics.py) answers only these client networks (core.client.client_ip), 404 elsewhere.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {_network!r} is not a network (CIDR).") from None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Test suites only (pytest-env sets it): the default PBKDF2 hasher spends ~0.3 s per password on purpose,
# which is most of the time of a suite that creates hundreds of accounts. Never set in production.
if env.bool("TEST_FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Two-factor sign-in (core/two_factor.py, docs/SECURITY.md): the name authenticator apps show beside the
# account; django-otp doubles the wait after each wrong code (OTP_*_THROTTLE_FACTOR seconds, then 2×, 4×…).
OTP_TOTP_ISSUER = SITE_BUREAU_NAME or "文明诚信经营平台"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "public:home"

# Client identity (core/client.py): how many reverse proxies append to X-Forwarded-For in front of the portal.
# 0 (default) trusts no header: REMOTE_ADDR is the client. Behind one nginx with
# `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;` set 1. TRUSTED_PROXY_NETWORKS (CIDRs), when
# set, additionally requires REMOTE_ADDR and the inner proxies to be in those networks (docs/SECURITY.md).
TRUSTED_PROXY_COUNT = max(env.int("TRUSTED_PROXY_COUNT", default=0), 0)
TRUSTED_PROXY_NETWORKS = env.list("TRUSTED_PROXY_NETWORKS", default=[])
for _network in TRUSTED_PROXY_NETWORKS:
    try:
        ipaddress.ip_network(_network.strip(), strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {_network!r} is not a network (CIDR).") from None

# Sign-in lockout on username AND client address together; the username alone only gets a growing delay
# (core/login_guard.py): a correct password from an address that has not failed is never refused.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "integrity_portal.core.client.axes_client_ip"
AXES_HANDLER = "integrity_portal.core.login_guard.LoginGuardHandler"
AXES_LOCKOUT_CALLABLE = "integrity_portal.core.login_guard.lockout_response"
AXES_USERNAME_CALLABLE = "integrity_portal.core.login_guard.axes_username"
LOGIN_BACKOFF_MAX_SECONDS = env.int("LOGIN_BACKOFF_MAX_SECONDS", default=15 * 60)

STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = 14 * 24 * 3600

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date formats per language (integrity_portal/formats/<lang>/formats.py; Django's own for the rest):
# templates write {{ d|date:"DATE_FORMAT" }}, never a hard-coded "Y年n月j日".
FORMAT_MODULE_PATH = ["integrity_portal.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed names (far-future cacheable); collectstatic with this storage
# writes staticfiles.json (the Dockerfile runs it). The storage must not depend on the manifest already
# existing, or collectstatic never writes it. Tests and `make demo` use plain names (MANIFEST_STATIC=false,
# or DEBUG on), so they need no collectstatic run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Announced request bodies above this are refused with 413 before they are read (core/request_guard.py):
# five 5 MB complaint attachments plus the form, with margin. Keep nginx's client_max_body_size equal.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=32 * 1024 * 1024)
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Uploaded images are fully decoded (core.uploads.check_upload): more pixels than this is refused as a bomb.
MAX_UPLOAD_IMAGE_PIXELS = 40_000_000

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# The bureau's sender: "Bureau name <address>" when SITE_BUREAU_NAME is set (notices show who wrote).
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL",
    default=formataddr((SITE_BUREAU_NAME, "noreply@integrity-portal.local")) if SITE_BUREAU_NAME else "noreply@integrity-portal.local",
)
# SMTP relay (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend); docs/DEPLOY.md §E-mail and SMS.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = 10  # a hung relay must not hold a worker for long
# EMAIL_URL (django-environ: smtp+tls://user:password@host:587, consolemail://, filemail:///path, …) sets
# the backend and relay in one variable and wins over the EMAIL_* ones above; unset keeps them.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
# SMS (notifications/sms.py): ConsoleSMSBackend logs the masked number only; FileSMSBackend appends JSON
# lines to SMS_FILE_PATH (tests and `make demo`). The outbox tries a notice NOTICE_MAX_ATTEMPTS times.
SMS_BACKEND = env.str("SMS_BACKEND", default="notifications.sms.ConsoleSMSBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms.jsonl"))
NOTICE_MAX_ATTEMPTS = max(env.int("NOTICE_MAX_ATTEMPTS", default=5), 1)
# Alibaba Cloud SMS (SMS_BACKEND=notifications.sms.AliyunSMSBackend; docs/NOTIFICATIONS.md): the RAM
# user's AccessKey, the approved signature, and SMS_TEMPLATE_CODES mapping each notice's template name to
# its approved template code ("complaint.accepted=SMS_123456,complaint.rejected=SMS_123457").
SMS_ALIYUN_ACCESS_KEY_ID = env.str("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_SIGN_NAME = env.str("SMS_ALIYUN_SIGN_NAME", default="")
SMS_ALIYUN_ENDPOINT = env.str("SMS_ALIYUN_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
SMS_ALIYUN_REGION_ID = env.str("SMS_ALIYUN_REGION_ID", default="cn-hangzhou")
SMS_TEMPLATE_CODES = env.dict("SMS_TEMPLATE_CODES", default={})
# Seconds a provider may take to connect or answer before the attempt counts as failed (and is retried).
SMS_TIMEOUT = env.float("SMS_TIMEOUT", default=10.0)
# At most this many SMS per phone number per local day (0: no limit); the next one waits for tomorrow.
SMS_DAILY_LIMIT_PER_PHONE = max(env.int("SMS_DAILY_LIMIT_PER_PHONE", default=10), 0)

# Security: strict by default when DEBUG is off; `manage.py check --deploy` must be clean.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): only the portal's own scripts, styles, fonts and
# images, no inline script or style, no plugin, no framing. Views that need less or more set their own with
# csp.decorators: the plaque SVG (merchants/plaque.py) and the Redoc page (integrity_portal/core/api_docs.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$", r"^metrics$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Off unless asked for: includeSubDomains and preload bind every host under the bureau's (often the whole
    # government) domain to HTTPS, and a preload listing is hard to undo; the domain's owner must opt in.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # Django's deploy checks warn whenever either is off (security.W005 includeSubDomains, security.W021
    # preload); off is this project's deliberate default (docs/SECURITY.md), so exactly those two are silenced.
    SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    # drf-standardized-errors' schema: every operation documents its error answers (core/api_schema.py).
    "DEFAULT_SCHEMA_CLASS": "integrity_portal.core.api_schema.PortalAutoSchema",
    # Basic first: REST framework answers "not signed in" with the first class's WWW-Authenticate header,
    # i.e. 401 (session authentication has no such header, which made it 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrity_portal.core.api_input.StrictBasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON bodies must be one object, nested a few levels at most (core/api_input.py).
    "DEFAULT_PARSER_CLASSES": [
        "integrity_portal.core.api_input.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "integrity_portal.core.api.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    # One fixed-window counter per caller: the "anon" rate by address, the "user" rate by account.
    "DEFAULT_THROTTLE_CLASSES": ["integrity_portal.core.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_ANON_RATE", default="120/minute"),
        "user": env.str("API_USER_RATE", default="600/minute"),
        "complaint_submit": env.str("COMPLAINT_SUBMIT_RATE", default="5/hour"),
        "tracking": env.str("TRACKING_RATE", default="20/hour"),
        "claim": env.str("CLAIM_RATE", default="10/hour"),
        "objection": env.str("OBJECTION_RATE", default="5/hour"),
        "signup": env.str("SIGNUP_RATE", default="5/hour"),
        "confirm_resend": env.str("CONFIRM_RESEND_RATE", default="3/hour"),
        # Following a merchant by e-mail (docs/NOTIFICATIONS.md): per client address and per e-mail address.
        "follow": env.str("FOLLOW_RATE", default="5/hour"),
    },
    # DRF's own get_ident() reads X-Forwarded-For whole when this is None; every throttle of the portal
    # asks core.client instead, and this keeps DRF's fallback consistent with it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "integrity_portal.core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# One error body, {"type", "errors": [{"code", "detail", "attr"}]}, for every status (docs/API.md).
_ERROR_SCHEMA = "integrity_portal.core.api.ErrorResponseSerializer"
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "integrity_portal.core.api.PortalExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "integrity_portal.core.api.PortalExceptionFormatter",
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "415", "429", "500"],
    "ERROR_SCHEMAS": {
        code: _ERROR_SCHEMA for code in ("400", "401", "403", "404", "405", "406", "409", "415", "429", "500")
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Integrity Portal API (文明诚信经营)",
    "DESCRIPTION": "Open data on market entities, star ratings, red and black lists and commendations; "
    "authenticated endpoints for merchants and staff.",
    "VERSION": "1.1.0",
    "LICENSE": {
        "name": env.str("OPEN_DATA_LICENCE_NAME", default="CC BY 4.0（署名后可自由使用、转载与加工）"),
        "url": env.str("OPEN_DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"),
    },
    "CONTACT": {
        "name": env.str("API_CONTACT_NAME", default="市场监督管理局 数据开放联系人"),
        "email": env.str("API_CONTACT_EMAIL", default=DEFAULT_FROM_EMAIL),
        "url": SITE_URL.rstrip("/") + "/",
    },
    "TOS": SITE_URL.rstrip("/") + "/legal/terms/",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc come from drf-spectacular-sidecar's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # The five inspection items share one choice set; one schema name for all of them.
    # The known region codes as the enum of every region_code query parameter (merchants/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "merchants.api.schema.region_code_enum",
        "integrity_portal.core.api_schema.no_nul_in_query_strings",
    ],
    "ENUM_NAME_OVERRIDES": {
        "FindingLevelEnum": "merchants.models.credit.FindingLevel",
        "ErrorTypeEnum": ["validation_error", "client_error", "server_error"],
        # Choice sets that share a field name across apps ("kind", "status", "category"), named per concept.
        "ComplaintKindEnum": "complaints.models.ComplaintKind",
        "ComplaintStatusEnum": "complaints.models.Status",
        "ComplaintCategoryEnum": "complaints.models.Category",
        "CampaignCategoryEnum": "campaigns.models.Category",
        "ObjectionStatusEnum": "campaigns.models.ObjectionStatus",
        "SpotCheckPlanStatusEnum": "spotchecks.models.PlanStatus",
        "SpotCheckTaskStatusEnum": "spotchecks.models.TaskStatus",
        "InspectionItemEnum": "spotchecks.api.serializers.ITEM_CHOICES",
    },
}

# CORS (django-cors-headers, core/api_cors.py): any origin may read the open data from a browser — anonymous
# GET/HEAD (and the preflight OPTIONS) on the public endpoints only, never with cookies; writes and the
# portal/staff endpoints get no CORS header, so a browser refuses to show another site their answers.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_URLS_REGEX = (
    r"^/api/(schema/|v1/($|merchants/|regions/|lists/(red|black)/|commendations/|complaints/statistics/"
    r"|spot-checks/))"
)
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# Celery: a real broker when REDIS_URL is set, otherwise in-process eager execution.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Soft limit first (SoftTimeLimitExceeded: the task logs and stops; the sweep or the next run redoes the
# work, every task is idempotent), hard kill a few minutes later. Longer per task where needed
# (merchants/tasks.py: the full recompute); every hard limit stays below the broker's visibility timeout
# (3600 s), or a message still running would be handed to a second worker.
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis outage must cost a write at most about one second (docs/FAULTS.md §6): nobody reads task results,
# so no result backend round trip on send (its reconnect loop took 20 s); every Redis socket gives up after
# 0.5 s, refused or hung; and the request path sends once, without publish retries
# (``integrity_portal.core.tasks.send_after_commit``). What must happen is recorded in the database first.
CELERY_TASK_IGNORE_RESULT = True
REDIS_SOCKET_TIMEOUT = 0.5
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "max_retries": 0,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Queues (docs/OPERATIONS.md "Celery"): rating recomputes, notices to people, and long batch jobs (exports,
# statistics) each have their own, so a nightly full recompute cannot delay a complainant's SMS. Declared
# here so a worker started without -Q consumes all four; housekeeping beat jobs use the default "celery".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "recompute", "notices", "reports")]
CELERY_TASK_ROUTES = {
    "merchants.tasks.recompute_merchant_ratings": {"queue": "recompute"},
    "merchants.tasks.recompute_region_ratings": {"queue": "recompute"},
    "merchants.tasks.recompute_all_ratings": {"queue": "recompute"},
    "merchants.tasks.sweep_stale_ratings": {"queue": "recompute"},
    "complaints.tasks.notify_*": {"queue": "notices"},
    "notifications.tasks.*": {"queue": "notices"},
    "campaigns.tasks.send_ad_quota_reminders": {"queue": "notices"},
    "*.tasks.export_*": {"queue": "reports"},
    "*.tasks.statistics_*": {"queue": "reports"},
}
METRICS_CELERY_QUEUES = tuple(queue.name for queue in CELERY_TASK_QUEUES)
# The periodic tasks beat runs. NOT ``CELERY_BEAT_SCHEDULE``: django-celery-beat writes that into its tables
# on every beat start, silently reverting a superuser's edits in the admin. ``manage.py sync_beat_schedule``
# (run after every migrate) only creates the entries that are missing, by name; existing rows, their
# schedule and enabled flag are never touched (integrity_portal/core/beat.py).
BEAT_DEFAULT_SCHEDULE = {
    # The outbox: queued notices that are due (a lost message, a broker outage, a retry) go out.
    "sweep-notices": {"task": "notifications.tasks.sweep_notices", "schedule": timedelta(minutes=1)},
    "sweep-stale-ratings": {"task": "merchants.tasks.sweep_stale_ratings", "schedule": timedelta(minutes=5)},
    "nightly-full-recompute": {"task": "merchants.tasks.recompute_all_ratings", "schedule": crontab(hour=2, minute=30)},
    "expire-list-entries": {"task": "merchants.tasks.expire_list_entries", "schedule": crontab(hour=1, minute=0)},
    "escalate-overdue-complaints": {"task": "complaints.tasks.escalate_overdue", "schedule": crontab(hour=8, minute=0)},
    # Notices (docs/NOTIFICATIONS.md): merchants 2 working days before their answer is due; staff's items
    # due the next working day. Idempotent (event keys), so a re-run or a missed day sends nothing twice.
    "remind-merchant-replies": {"task": "complaints.tasks.remind_merchant_replies", "schedule": crontab(hour=8, minute=30)},
    "digest-items-due": {"task": "complaints.tasks.digest_items_due", "schedule": crontab(hour=8, minute=15)},
    # Open 双随机 spot-check tasks past their due date are escalated once, like complaints (docs/SPOT_CHECKS.md).
    "escalate-overdue-spot-checks": {
        "task": "spotchecks.tasks.escalate_overdue_tasks",
        "schedule": crontab(hour=8, minute=10),
    },
    # Monthly analysis reports: drafted on/after the 20th (once), escalated after the 25th (docs/ANALYSIS.md).
    "monthly-analysis-reports": {"task": "analysis.tasks.monthly_reports_daily", "schedule": crontab(hour=6, minute=30)},
    "publish-due-commendations": {"task": "campaigns.tasks.publish_due_commendations", "schedule": timedelta(minutes=15)},
    "ad-quota-reminders": {"task": "campaigns.tasks.send_ad_quota_reminders", "schedule": crontab(hour=9, minute=0)},
    "anonymise-expired-personal-data": {
        "task": "integrity_portal.core.tasks.anonymise_expired_personal_data",
        "schedule": crontab(hour=3, minute=15),
    },
    # After the nightly recompute, so the files carry the night's stars (docs/OPEN_DATA.md).
    "export-open-data": {"task": "merchants.tasks.export_open_data", "schedule": crontab(hour=4, minute=0)},
    # Yesterday's signed file of list decisions per partner department (docs/PARTNERS.md, joint discipline).
    "discipline-daily-files": {
        "task": "merchants.tasks.write_discipline_files",
        "schedule": crontab(hour=1, minute=30),
    },
}

# Logs (core/logging.py, docs/OPERATIONS.md): one JSON line per record in production (LOG_FORMAT=json, the
# default with DEBUG off), plain text in development and tests; request ids in every line, phone numbers,
# ID numbers and tracking codes masked by a filter on every handler. Errors go to Sentry when SENTRY_DSN is
# set, otherwise django.request errors are mailed (masked) to ADMINS ("Name <mail>,Other <mail>").
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
ADMINS = [(name or addr, addr) for name, addr in getaddresses([env.str("ADMINS", default="")]) if "@" in addr]
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
SENTRY_DSN = env.str("SENTRY_DSN", default="")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "integrity_portal.core.logging.ContextFilter"},
        "redact": {"()": "integrity_portal.core.logging.RedactFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "integrity_portal.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context", "redact"]},
        "mail_admins": {
            "()": "integrity_portal.core.logging.admin_email_handler",
            "level": "ERROR",
            "filters": ["require_debug_false", "context", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Replaces Django's default "django" handlers (its own unmasked mail_admins) with the root console.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"handlers": [] if SENTRY_DSN else ["mail_admins"], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}
# The worker keeps this configuration (JSON lines, masking) instead of installing Celery's own root handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from integrity_portal.core.logging import sentry_before_send

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        before_send=sentry_before_send,
    )

IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = False
# Second line of defence: the admin export is written by core.exports, which escapes formulae itself.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

CLAIM_CODE_TTL_DAYS = env.int("CLAIM_CODE_TTL_DAYS", default=30)
# Complainants', reporters' and objectors' personal data is anonymised this many days after closure
# (core.retention, docs/OPERATIONS.md); 3 years by default, as the privacy notice states.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=1095)
if PERSONAL_DATA_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("PERSONAL_DATA_RETENTION_DAYS must be a positive number of days.")

# Open-data bulk files (docs/OPEN_DATA.md): written nightly under OPEN_DATA_ROOT (empty: MEDIA_ROOT/open-data,
# resolved when used) and published under this licence, stated on /open-data/ and inside every file. Keep it
# in step with OPEN_DATA_LICENCE_NAME/_URL, the licence the API schema names.
OPEN_DATA_ROOT = env.str("OPEN_DATA_ROOT", default="")
# Partner departments' daily signed files of list decisions (docs/PARTNERS.md); empty: MEDIA_ROOT/discipline-feed.
DISCIPLINE_FEED_ROOT = env.str("DISCIPLINE_FEED_ROOT", default="")
OPEN_DATA_LICENCE = env.str(
    "OPEN_DATA_LICENCE",
    default=(
        "本数据由市场监督管理局依法主动公开，按本局开放数据许可（与知识共享署名 4.0 国际许可协议 CC BY 4.0 "
        "一致）提供：任何单位和个人可免费获取、复制、传播、加工和用于商业或非商业用途，使用时须注明数据来源"
        "（文明诚信经营公共服务平台）和数据生成时间，不得篡改或歪曲数据、不得以本局名义作出背书；"
        "数据以生成时的登记和评定为准，最新情况以网站公示为准。"
    ),
)

"""Settings, read from environment variables only (django-environ).

With nothing set the portal runs embedded: SQLite, data files and a filesystem Celery broker
under ``var/``. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to PostgreSQL and Redis.
``PORTAL_ENV=production`` refuses to start without a secret key and allowed hosts and turns on
every HTTPS hardening setting so that ``manage.py check --deploy`` passes.
"""

import hashlib
import importlib.util
import socket
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PORTAL_ENV = env.str("PORTAL_ENV", default="development")
PRODUCTION = PORTAL_ENV == "production"
if PORTAL_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("PORTAL_ENV must be 'development' or 'production'.")

VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
DATA_ROOT = Path(env.str("PORTAL_DATA_ROOT", default=str(VAR_DIR / "data")))

if PRODUCTION:
    for required in ("SECRET_KEY", "ALLOWED_HOSTS"):
        if not env.str(required, default=""):
            raise ImproperlyConfigured(f"{required} must be set when PORTAL_ENV=production.")
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    DEBUG = env.bool("DEBUG", default=False)
else:
    # A fixed development key: only ever used on a developer's own machine (never in production).
    SECRET_KEY = env.str(
        "SECRET_KEY", default="development-only-key-do-not-use-in-production-0123456789abcdef"
    )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
    DEBUG = env.bool("DEBUG", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Before governance: axes counts a failed login before the audit trail records it.
    "axes",
    "mlops_portal",
    "governance",
    "registry",
    "notifications",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mlops_portal.middleware.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "governance.audit.AuditContextMiddleware",
    "mlops_portal.middleware.PortalErrorPageMiddleware",
    # Last: turns a lockout into the "too many attempts" page (429).
    "axes.middleware.AxesMiddleware",
]

# Failed logins are throttled per username and per client address (django-axes): after
# PORTAL_LOGIN_FAILURE_LIMIT failures within the cool-off, further attempts are refused, even
# with the right password, until the cool-off has passed since the last counted failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PORTAL_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Refused attempts during a lockout are not stored (no row grows under a flood) and do not
# extend it; a success does not wipe the address's failures (an attacker's own account would).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit trail already
AXES_CLIENT_IP_CALLABLE = "governance.audit.client_ip"  # X-Forwarded-For only when trusted
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

ROOT_URLCONF = "mlops_portal.urls"
WSGI_APPLICATION = "mlops_portal.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise. The SQLite options stop
# "database is locked" when web, worker and beat write at once.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")
}
SQLITE_SYNCHRONOUS = env.str("PORTAL_SQLITE_SYNCHRONOUS", default="NORMAL").upper()
if SQLITE_SYNCHRONOUS not in ("NORMAL", "FULL", "EXTRA"):
    raise ImproperlyConfigured("PORTAL_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # WAL with synchronous=NORMAL (SQLite's advice for WAL, Rails' default): never
        # corrupt, no fsync per commit; an OS crash or power cut may undo the last commits
        # (each change together with its audit event). PORTAL_SQLITE_SYNCHRONOUS=FULL keeps
        # every commit through those too, at about a tenth fewer writes per second.
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
    }
# Keep connections (and SQLite's page cache) across requests; checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL least privilege: the schema owner runs `migrate` (and `flush`) and grants the app
# role (DATABASE_URL) INSERT and SELECT only on the audit trail. Same database, other role.
MIGRATE_DATABASE = (
    env.db_url("MIGRATE_DATABASE_URL") if env.str("MIGRATE_DATABASE_URL", default="") else None
)
if MIGRATE_DATABASE and (
    MIGRATE_DATABASE["ENGINE"] != DATABASES["default"]["ENGINE"]
    or MIGRATE_DATABASE["NAME"] != DATABASES["default"]["NAME"]
):
    raise ImproperlyConfigured(
        "MIGRATE_DATABASE_URL must name the same PostgreSQL database as DATABASE_URL, "
        "with the schema owner's role."
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# plotly.min.js is served from the plotly wheel itself, so the version always matches plotly.py.
_PLOTLY_PACKAGE_DATA = Path(importlib.util.find_spec("plotly").submodule_search_locations[0])
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/plotly", _PLOTLY_PACKAGE_DATA / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Uploads: anything bigger than the memory limit is streamed to a temporary file on disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("PORTAL_MAX_JSON_BYTES", default=64 * 1024 * 1024)
PORTAL_MAX_UPLOAD_BYTES = env.int("PORTAL_MAX_UPLOAD_BYTES", default=512 * 1024 * 1024)
# An uploaded file's rows and decoded size are bounded before it is read (Parquet footer, CSV
# line count) and while it is read (413 naming the limit): a 1.7 MB Parquet file can hold 60 M
# rows. 10 M rows of a 6-feature signature take ~17 s and ~1.2 GB decoded; see operations.md.
PORTAL_MAX_UPLOAD_ROWS = env.int("PORTAL_MAX_UPLOAD_ROWS", default=10_000_000)
PORTAL_MAX_UPLOAD_DECODED_BYTES = env.int(
    "PORTAL_MAX_UPLOAD_DECODED_BYTES", default=2 * 1024 * 1024 * 1024
)
PORTAL_METRICS_TOKEN = env.str("PORTAL_METRICS_TOKEN", default="")  # Bearer token for /metrics
PORTAL_FUTURE_TIMESTAMP_TOLERANCE = env.int("PORTAL_FUTURE_TIMESTAMP_TOLERANCE", default=300)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The portal's token check behind a throttle of failed checks per client address.
        "governance.api.throttling.GuessThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["mlops_portal.api.parsers.PortalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Lists are filtered by their selector (a FilterSet defined once, for pages and API); the
    # backends only document that FilterSet and apply ?ordering=.
    "DEFAULT_FILTER_BACKENDS": [
        "mlops_portal.api.base.FilterSetDocumentation",
        "mlops_portal.api.base.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "mlops_portal.api.pagination.PortalPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mlops_portal.api.errors.portal_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_RATES": {
        "token_failure": env.str("PORTAL_API_TOKEN_FAILURE_RATE", default="20/minute"),
    },
}

# The cache holds throttle counters: a file cache under var/ is shared by the web processes of
# one host; set CACHE_URL (e.g. redis://host:6379/1) when several hosts serve the portal.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("PORTAL_TOKEN_TTL_DAYS", default=90)),
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MLOps Portal API",
    "DESCRIPTION": "Model registry, monitoring and governance. Authenticate with "
    "`Authorization: Token <token>` (create one on your profile page).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mlops_portal.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "registry.models.Stage",
        # Monitoring's job status keeps its name beside the notifications' delivery status.
        "StatusEnum": [
            ("pending", "Pending"),
            ("running", "Running"),
            ("succeeded", "Succeeded"),
            ("failed", "Failed"),
        ],
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
        "ChannelKindEnum": "notifications.models.ChannelKind",
        # The alert rules' kind keeps the name it would have alone beside the channels' kinds.
        "KindEnum": "monitoring.alerts.models.RuleKind",
        "UrlChannelKindEnum": ["webhook", "slack"],
        "EmailChannelKindEnum": ["email"],
    },
}

# Celery: the filesystem broker under var/ needs no server; CELERY_BROKER_URL=redis://… for scale.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
_BROKER_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BROKER_DIRS = [_BROKER_DIR / "queue", _BROKER_DIR / "processed", _BROKER_DIR / "control"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 3600
CELERY_TASK_TIME_LIMIT = 3900
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A drift run's worker renews its claim (a lease on the row) every quarter of this; a run whose
# lease ran out (its worker was killed) is claimed again by the next delivery or the requeue
# sweep (every minute). See monitoring.services.jobs.
PORTAL_JOB_LEASE_SECONDS = env.int("PORTAL_JOB_LEASE_SECONDS", default=60)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Email: EMAIL_URL (django-environ: smtp://user:password@host:25, smtp+tls://…:587,
# smtp+ssl://…:465) or EMAIL_BACKEND; the console backend when neither is set.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds; an SMTP server never hangs a task
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mlops-portal@localhost")

# Notifications: links in emails, Slack messages and webhooks start with PORTAL_BASE_URL.
# Webhook and Slack URLs may not reach loopback, link-local, private or metadata addresses
# unless PORTAL_OUTBOUND_ALLOWLIST names the host or a CIDR (comma-separated; admins can add
# more entries on the allow-list page).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
PORTAL_OUTBOUND_ALLOWLIST = env.list("PORTAL_OUTBOUND_ALLOWLIST", default=[])

# Audit: trust X-Forwarded-For only behind a known proxy.
PORTAL_TRUST_X_FORWARDED_FOR = env.bool("PORTAL_TRUST_X_FORWARDED_FOR", default=False)

# Audit checkpoints: signed (HMAC-SHA256) anchors of the chain, appended to a log outside the
# database. The key must never be stored in the database; production refuses to start without
# one. Old keys still verify the lines they signed (rotation).
PORTAL_AUDIT_KEY = env.str("PORTAL_AUDIT_KEY", default="")
if PRODUCTION and len(PORTAL_AUDIT_KEY) < 32:
    raise ImproperlyConfigured(
        "PORTAL_AUDIT_KEY must be set (32 characters or more) when PORTAL_ENV=production."
    )
if not PORTAL_AUDIT_KEY:
    # Development only: a key derived from the (development) secret key.
    PORTAL_AUDIT_KEY = hashlib.sha256(
        b"portal-audit-checkpoints:" + SECRET_KEY.encode()
    ).hexdigest()
PORTAL_AUDIT_OLD_KEYS = env.list("PORTAL_AUDIT_OLD_KEYS", default=[])
# Default: $PORTAL_DATA_ROOT/audit/checkpoints.jsonl (resolved when used).
PORTAL_AUDIT_CHECKPOINT_LOG = env.str("PORTAL_AUDIT_CHECKPOINT_LOG", default="")
# Events appended after a checkpoint may be dated this much before it (clocks of several hosts).
PORTAL_AUDIT_CLOCK_SKEW_SECONDS = env.int("PORTAL_AUDIT_CLOCK_SKEW_SECONDS", default=60)
# Also send every checkpoint line to syslog: a socket path (/dev/log) or udp://host:514,
# tcp://host:514.
PORTAL_AUDIT_SYSLOG = env.str("PORTAL_AUDIT_SYSLOG", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "portal.audit.checkpoint": {"level": "INFO"},
    },
}
if PORTAL_AUDIT_SYSLOG:
    if PORTAL_AUDIT_SYSLOG.startswith(("udp://", "tcp://")):
        _host, _port = PORTAL_AUDIT_SYSLOG[6:].rsplit(":", 1)
        _syslog_address = [_host, int(_port)]
    else:
        _syslog_address = PORTAL_AUDIT_SYSLOG
    LOGGING["handlers"]["audit_syslog"] = {
        "class": "logging.handlers.SysLogHandler",
        "address": _syslog_address,
        "facility": "auth",
        **({"socktype": socket.SOCK_STREAM} if PORTAL_AUDIT_SYSLOG.startswith("tcp://") else {}),
    }
    LOGGING["loggers"]["portal.audit.checkpoint"]["handlers"] = ["audit_syslog", "console"]
    LOGGING["loggers"]["portal.audit.checkpoint"]["propagate"] = False

# Content-Security-Policy (django-csp): scripts only from the portal itself, never inline (no
# inline <script> or on…= handler anywhere: static/js/ holds them); no plugins, no framing, forms
# post only here. Styles allow inline: plotly.js and Swagger UI inject style elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env.bool("PORTAL_BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

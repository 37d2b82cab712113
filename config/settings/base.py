"""ReservaFlow settings, read from the environment only.

Two modes, chosen by what is configured:

* embedded (no DATABASE_URL, no REDIS_URL): SQLite in DATA_DIR, local-memory cache,
  a file-system Celery broker in DATA_DIR, mail to the console.
* service (DATABASE_URL=postgres://..., REDIS_URL=redis://...): PostgreSQL, Redis cache
  and locks, Celery on Redis.

A configured service is never replaced by an embedded one: if DATABASE_URL is set and the
database cannot be reached, the start fails (see config/startup.py).
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var"))).resolve()
DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not DATABASE_URL and not REDIS_URL


def _embedded_secret_key() -> str:
    """A key generated once per DATA_DIR, so the embedded mode starts without setup."""
    from django.core.management.utils import get_random_secret_key

    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-key"
    elif EMBEDDED:
        SECRET_KEY = _embedded_secret_key()
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.admin_app.ReservaFlowAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "corsheaders",
    "django_htmx",
    "core",
    "accounts",
    "customers",
    "restaurants",
    "reservations",
    "notifications",
    "web",
]

MIDDLEWARE = [
    # First: the request id, the request's log line and its metrics cover everything below.
    "core.middleware.RequestObservationMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so the answers of every middleware below it (CommonMiddleware's redirects, the
    # request limits) carry the CORS headers too where they apply.
    "corsheaders.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "web.middleware.LanguageFromQueryMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which is the first to read a form's body.
    "core.middleware.RequestLimitsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.LostDatabaseMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        if env.bool("DATABASE_POOL", default=False):
            # psycopg's pool, one per process, in place of one persistent connection per
            # thread: a request borrows a connection and gives it back when it ends. Django
            # requires CONN_MAX_AGE 0 with it; CONN_HEALTH_CHECKS makes the pool check a
            # connection before lending it (a broken one is replaced, never handed out).
            DATABASES["default"]["CONN_MAX_AGE"] = 0
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
                "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
                # A request that finds every connection lent waits this long, then fails
                # (PoolTimeout: answered 503 like any lost database).
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
            }
        else:
            DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "reservaflow.sqlite3"),
            "OPTIONS": {
                # Every write transaction takes the write lock at BEGIN: two bookings are
                # serialized, and the overlap check inside the transaction is decisive.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache and locks in one DB, the broker in its own ---------------------------------


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _db_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


# REDIS_CACHE_URL defaults to REDIS_URL's server on the next DB number, so the cache (and the
# booking locks kept beside it) never share a DB with the Celery broker.
REDIS_CACHE_URL = env.str(
    "REDIS_CACHE_URL",
    default=_with_db(REDIS_URL, (_db_of(REDIS_URL) + 1) % 16) if REDIS_URL else "",
)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)

if REDIS_CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": "rf",
            "TIMEOUT": 300,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "reservaflow",
            "TIMEOUT": 300,
        }
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem") and not urlsplit(CELERY_BROKER_URL).hostname:
    # The file-system transport ignores the host, but kombu warns "No hostname was supplied"
    # on every connection without one (every process, at start and on each health check).
    CELERY_BROKER_URL = "filesystem://localhost/"
CELERY_BROKER_DIR = DATA_DIR / "broker"
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
# Tasks are idempotent: acknowledge after the work, and hand a task back to the queue when its
# worker dies, so a crash never loses one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=90)
CELERY_TASK_IGNORE_RESULT = True  # nothing reads task results: no result backend
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The worker's output stays its output: redirected, whatever a library prints there (the
# console mail backend's emails in embedded mode) became WARNING records of celery.redirected.
CELERY_WORKER_REDIRECT_STDOUTS = False
if CELERY_BROKER_URL.startswith("filesystem"):
    # A broker that needs no server: messages are files in DATA_DIR/broker, shared by the
    # web process, the worker and beat on this machine.
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longer than any countdown or retry delay a task uses, so Redis never redelivers a task
    # that is merely waiting.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
# Beat's scheduler: Celery's schedule file plus a heartbeat in the broker's Redis, so a second
# beat is seen (core/beat.py, `reservaflow check`). The heartbeat lives 3 periods.
CELERY_BEAT_SCHEDULER = "core.beat:HeartbeatScheduler"
BEAT_HEARTBEAT_SECONDS = env.float("BEAT_HEARTBEAT_SECONDS", default=10)
# Beat's static schedule (exactly one beat runs in every documented setup).
EXPIRY_SWEEP_SECONDS = env.float("EXPIRY_SWEEP_SECONDS", default=30)
REMINDER_SCAN_SECONDS = env.float("REMINDER_SCAN_SECONDS", default=60)
OUTBOX_RELAY_SECONDS = env.float("OUTBOX_RELAY_SECONDS", default=60)
IDEMPOTENCY_PURGE_SECONDS = env.float("IDEMPOTENCY_PURGE_SECONDS", default=3600)
CELERY_BEAT_SCHEDULE = {
    "expire-lapsed-holds": {
        "task": "reservations.expire_lapsed_holds",
        "schedule": EXPIRY_SWEEP_SECONDS,
        "options": {"expires": EXPIRY_SWEEP_SECONDS},
    },
    "record-reminders": {
        "task": "notifications.record_reminders",
        "schedule": REMINDER_SCAN_SECONDS,
        "options": {"expires": REMINDER_SCAN_SECONDS},
    },
    "relay-outbox": {
        "task": "notifications.relay_outbox",
        "schedule": OUTBOX_RELAY_SECONDS,
        "options": {"expires": OUTBOX_RELAY_SECONDS},
    },
    "purge-idempotency-records": {
        "task": "core.purge_idempotency_records",
        "schedule": IDEMPOTENCY_PURGE_SECONDS,
        "options": {"expires": IDEMPOTENCY_PURGE_SECONDS},
    },
}

# --- auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in limits, shared by POST /api/auth/token/ and the admin login (customers.login_limits):
# wrong passwords per (account, client address) and per client address in one window.
LOGIN_FAILURES_PER_ACCOUNT_ADDRESS = env.int("LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=900)

# --- HTTPS and browser security headers -------------------------------------------------------
# The header a TLS-terminating proxy sets to "https" (e.g. HTTP_X_FORWARDED_PROTO); only set it
# when that proxy always sets or strips the header, or clients could claim HTTPS themselves.
_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
if _ssl_header.lower() in ("", "false", "0", "no", "off"):
    SECURE_PROXY_SSL_HEADER = None
else:
    if _ssl_header.lower() in ("true", "1", "yes", "on"):
        _ssl_header = "X-Forwarded-Proto"
    _ssl_header = _ssl_header.upper().replace("-", "_")
    if not _ssl_header.startswith("HTTP_"):
        _ssl_header = f"HTTP_{_ssl_header}"
    SECURE_PROXY_SSL_HEADER = (_ssl_header, "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe readiness and liveness over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^api/health/(live/)?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

# Content-Security-Policy on every response (django-csp). Every page serves its scripts and
# styles from this origin; a view that needs more widens it for itself only with
# csp.decorators.csp_update / csp_replace (the API docs do, see config/urls.py).
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
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Cross-origin reads (django-cors-headers): only the public read endpoints a restaurant's own
# site may call from its pages, the restaurant and its availability; every other URL gets no
# CORS header. Which origins may read is the restaurant's own list, its embed_origins
# (restaurants.cors answers the check_request_enabled signal for the restaurant_id matched
# here), never a list in the settings. No credentials: these reads are anonymous.
CORS_URLS_REGEX = r"^/api/restaurants/(?P<restaurant_id>[0-9]+)/(availability/(days/)?)?$"
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "content-language", "content-type"]

# --- i18n / time ----------------------------------------------------------------------------
# The guest pages and emails speak English and Spanish (docs/booking-page.md); the compiled
# catalogues are committed (locale/*/LC_MESSAGES/django.mo), so a fresh clone needs no gettext.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True  # always: the database holds UTC, restaurants' zones are applied on display

# --- static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- email ----------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ReservaFlow <reservations@localhost>")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_FILE_PATH = DATA_DIR / "mail"

# Where guests' manage links point (the public address of this service).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")

# Staff invitations (restaurants.invitations): how long an invitation's link can be accepted.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)

# The guest's manage link (/r/<token>/ and /api/reservations/manage/<token>/): unknown tokens
# per client address in one window (reservations.manage_link).
MANAGE_LINK_MISSES_PER_ADDRESS = env.int("MANAGE_LINK_MISSES_PER_ADDRESS", default=20)
MANAGE_LINK_MISS_WINDOW_SECONDS = env.int("MANAGE_LINK_MISS_WINDOW_SECONDS", default=600)

# Availability answers are cached at most this long (a safety net: changes bump versions).
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=300)

# --- notifications (the outbox) -------------------------------------------------------------
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
# A claim lapses after this long; a worker that died mid-delivery is recovered by the relay.
NOTIFICATION_CLAIM_SECONDS = env.int("NOTIFICATION_CLAIM_SECONDS", default=120)
# After the SMTP server accepted a message, recording it sent is retried this many times on a
# new database connection (backoff doubling from NOTIFICATION_FINISH_BACKOFF_SECONDS) before
# the row is left to its claim; keep the whole budget well inside NOTIFICATION_CLAIM_SECONDS.
NOTIFICATION_FINISH_RETRIES = env.int("NOTIFICATION_FINISH_RETRIES", default=5)
NOTIFICATION_FINISH_BACKOFF_SECONDS = env.float("NOTIFICATION_FINISH_BACKOFF_SECONDS", default=0.5)
# One claim statement takes at most this many due rows; one SMTP connection sends them.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=50)
# A commit publishes notifications.deliver_due only when no wake is pending (a flag in the cache
# Redis, set with NX and this lifetime); the task clears it before it claims.
NOTIFICATION_WAKE_SECONDS = env.int("NOTIFICATION_WAKE_SECONDS", default=30)
# The woken task starts this long after the wake (a countdown), so the rows committed meanwhile
# go out in its batch; what an email may wait for a deliverer that keeps up.
NOTIFICATION_WAKE_DELAY_SECONDS = env.float("NOTIFICATION_WAKE_DELAY_SECONDS", default=1.0)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=900)

# --- Idempotency-Key (core.idempotency) ----------------------------------------------------
# A key's first answer is replayed for this long.
IDEMPOTENCY_TTL_SECONDS = env.int("IDEMPOTENCY_TTL_SECONDS", default=24 * 3600)
# An in-progress key is freed after this long (a request that crashed); above any request's
# run time (gunicorn's 30 s timeout).
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=60)
# A duplicate of a running request waits this long for its answer before a 409.
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=2.0)
# Releasing a key or storing its answer after the connection broke is retried this many times
# on a new connection, the pause doubling from the backoff (0.1 + 0.2 + 0.4 s): the request
# waits for it, so the budget stays short.
IDEMPOTENCY_RECORD_RETRIES = env.int("IDEMPOTENCY_RECORD_RETRIES", default=3)
IDEMPOTENCY_RECORD_BACKOFF_SECONDS = env.float("IDEMPOTENCY_RECORD_BACKOFF_SECONDS", default=0.1)

# --- limits against hold squatting (docs/booking.md) -------------------------------------------
# Pending holds a guest (not staff) may have at once: at one restaurant, and in all.
HOLD_LIMIT_PER_RESTAURANT = env.int("HOLD_LIMIT_PER_RESTAURANT", default=2)
HOLD_LIMIT_PER_ACCOUNT = env.int("HOLD_LIMIT_PER_ACCOUNT", default=5)
# Upcoming reservations (live holds and confirmed ones) a guest booked themselves: confirming
# frees a hold's place, so without these a squatter would book, confirm and book again.
UPCOMING_LIMIT_PER_RESTAURANT = env.int("UPCOMING_LIMIT_PER_RESTAURANT", default=4)
UPCOMING_LIMIT_PER_ACCOUNT = env.int("UPCOMING_LIMIT_PER_ACCOUNT", default=10)
# Attempts per client address and window, counted in the cache (0 turns a counter off).
BOOKING_ATTEMPTS_PER_ADDRESS = env.int("BOOKING_ATTEMPTS_PER_ADDRESS", default=10)
BOOKING_ATTEMPTS_WINDOW_SECONDS = env.int("BOOKING_ATTEMPTS_WINDOW_SECONDS", default=600)
REGISTRATIONS_PER_ADDRESS = env.int("REGISTRATIONS_PER_ADDRESS", default=5)
REGISTRATIONS_WINDOW_SECONDS = env.int("REGISTRATIONS_WINDOW_SECONDS", default=3600)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ReservaFlowAutoSchema",
    "EXCEPTION_HANDLER": "core.exception_handler.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.ORJSONRenderer",
        "core.renderers.BrowsableAPIPageRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Proxies in front of the web server: the client address for throttling is then read from
    # X-Forwarded-For that many hops back; 0 trusts only the connection's own address.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

SIMPLE_JWT = {
    "TOKEN_OBTAIN_SERIALIZER": "customers.api.LoginTokenSerializer",
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "SIGNING_KEY": SECRET_KEY,
    # The token carries a hash of the password it was issued under: a new password ends it.
    "CHECK_REVOKE_TOKEN": True,
}
# How long the API's authentication keeps an account read from the database in the cache
# (accounts.authentication); 0: read it on every request.
AUTH_ACCOUNT_CACHE_SECONDS = env.int("AUTH_ACCOUNT_CACHE_SECONDS", default=30)

SPECTACULAR_SETTINGS = {
    "TITLE": "ReservaFlow API",
    "DESCRIPTION": "Restaurant reservations: restaurants, tables, availability, bookings.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the pinned drf-spectacular-sidecar package, served from this
    # origin: no CDN, works offline, fits the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge image from the public validator (another origin).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- logs, metrics, error reports ------------------------------------------------------------
# One line per request (reservaflow.request) and per task (reservaflow.task), each with the
# request id (core.request_id); LOG_FORMAT=json writes every line as one JSON object.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "filters": {
        "client_fault": {"()": "core.logs.ClientFaultAsWarning"},
        "request_id": {"()": "core.logs.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # reservaflow.request writes the one line per request (the server's own 4xx/5xx
        # lines would repeat it; errors with their tracebacks still come on django.request).
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # reservaflow.task writes the one line per task; Celery's "received" and "succeeded"
        # lines would make three (failures still come, as errors, on celery.app.trace).
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        **{
            f"django.security.{name}": {"filters": ["client_fault"]}
            for name in (
                "DisallowedHost",
                "RequestDataTooBig",
                "TooManyFieldsSent",
                "TooManyFilesSent",
                "SuspiciousMultipartForm",
            )
        },
    },
}

# /metrics (core.metrics): answered only with "Authorization: Bearer <METRICS_TOKEN>"; without
# a token the URL does not exist. Every process of this host writes its counts to
# PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), and a scrape adds them up.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_DIR = Path(env.str("PROMETHEUS_MULTIPROC_DIR", default=str(DATA_DIR / "metrics")))

# Error reports to Sentry (sentry-sdk) from the web server and the workers when set; no
# personal data (addresses, cookies, user ids) unless SENTRY_SEND_PII is on.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=env.bool("SENTRY_SEND_PII", default=False),
    )

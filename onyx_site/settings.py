"""Settings for Onyx Sessions: every value comes from the environment, read top to bottom."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
import orjson
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from onyx_site.static_headers import add_security_headers

# Lets classes like ModelForm[User] be subscripted at run time, as the type stubs allow.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


class _Env(environ.Env):
    """django-environ, strict about numbers: its float reading drops every other character
    ("2 minutes" is 2.0), and its refusal of a bad int does not name the variable."""

    def get_value(
        self,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        if cast in (int, float) and var in self.ENVIRON:
            raw = self.ENVIRON[var]
            try:
                cast(raw.strip())
            except ValueError:
                kind = "a whole number" if cast is int else "a number"
                raise ImproperlyConfigured(f"{var} must be {kind}, not {raw!r}.") from None
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


env = _Env()


def env_flag(name: str, *, default: bool) -> bool:
    """A yes/no setting: "true" or "false" (any case), and nothing else."""
    raw = env.str(name, default="true" if default else "false").strip().lower()
    if raw not in {"true", "false"}:
        raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")
    return raw == "true"


# --- Core -------------------------------------------------------------------

DEBUG = env_flag("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",  # before staticfiles: its checks, and runserver without static serving
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, as CSP requires
    "csp",
    # Before axes: its `axes_reset` command is replaced by ours (accounts/management/commands).
    "accounts",
    "axes",
    "procrastinate.contrib.django",
    "onyx_site",
    "chats",
    "files",
]

MIDDLEWARE = [
    # Static files, served asynchronously under ASGI (WhiteNoise's sync file iterators made
    # Django warn and buffer every file in memory). First, because it is async-only and the
    # rest of the chain is sync: anywhere else each switch between the two costs a thread hop
    # on every request (five per request where it stood after SecurityMiddleware; one now).
    # Its responses get their security headers from SERVESTATIC_ADD_HEADERS_FUNCTION instead.
    "servestatic.middleware.ServeStaticMiddleware",
    # The security headers, outside ServiceOutageMiddleware so its 503 gets them too. None of
    # these three reaches a data store.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outside every middleware that reaches Redis or PostgreSQL (onyx_site/outages.py).
    "onyx_site.outages.ServiceOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.ActiveSessionMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onyx_site.urls"
WSGI_APPLICATION = "onyx_site.wsgi.application"
ASGI_APPLICATION = "onyx_site.asgi.application"

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
                "accounts.context_processors.preferences",
            ],
        },
    },
]

# --- Data stores --------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/onyx"),
}
# A bounded pool per process: connections are reused across requests and threads, and no burst
# of requests or jobs can open more than this many (PostgreSQL allows 100 by default).
DATABASE_POOL_MIN = env.int("DATABASE_POOL_MIN", default=2)
DATABASE_POOL_MAX = env.int("DATABASE_POOL_MAX", default=10)
if not 1 <= DATABASE_POOL_MIN <= DATABASE_POOL_MAX:
    raise ImproperlyConfigured(
        "DATABASE_POOL_MIN must be at least 1 and at most DATABASE_POOL_MAX."
    )
DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not
# Django's backend, with a pooled connection checked before use only when it may have gone bad,
# so after PostgreSQL restarts the dead connections are replaced instead of failing one request
# each, without a round trip on every request (onyx_site/postgresql/base.py).
DATABASES["default"]["ENGINE"] = "onyx_site.postgresql"
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": DATABASE_POOL_MIN,
    "max_size": DATABASE_POOL_MAX,
    # Waiting longer than this for a free connection is an error (503), not a hang.
    "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
}
# Hand-written statements are prepared on each connection, with a session setting for their
# plans (onyx_site/postgresql/base.py); behind a pooler in transaction mode (PgBouncer's), where
# neither stays with the client, this must be off (docs/DEPLOY.md).
if not env_flag("DATABASE_PREPARED_STATEMENTS", default=True):
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# With Redis out of reach, give up quickly: the request is answered 503 instead of hanging.
REDIS_CONNECT_TIMEOUT_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 10.0
_REDIS_CACHE = {
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": "onyx",
    "OPTIONS": {
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
    },
}
CACHES = {
    # Django's Redis cache with one connection pool per process (onyx_site/redis_cache.py).
    "default": {"BACKEND": "onyx_site.redis_cache.SharedRedisCache", **_REDIS_CACHE},
    # Failed sign-in counts: the same Redis and keys, counted atomically.
    "axes": {"BACKEND": "accounts.login_throttle.LockoutCounts", **_REDIS_CACHE},
}

CHANNEL_LAYER_PREFIX = "onyx:channels"
CHANNEL_LAYERS = {
    "default": {
        # Redis Pub/Sub: an event is one PUBLISH, which each web process receives once and
        # hands to its own sockets of that group. The list-based layer pays several Redis round
        # trips per event and per socket (a Lua send per channel, a blocking pop, a backup
        # clean-up); in the 50-user burst this took the first-token p99 from 1.45-1.52 s to
        # 1.06-1.32 s. Nothing is buffered in Redis for a process that is away: a tab that
        # loses an event sees the gap in seq (or learns the current seq from its ping) and
        # fetches what it missed from the event log.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL}], "prefix": CHANNEL_LAYER_PREFIX},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sessions ----------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/chats/"
LOGOUT_REDIRECT_URL = "/login/"

ONYX_ALLOW_SIGNUP = env_flag("ONYX_ALLOW_SIGNUP", default=DEBUG)
# Hard ceiling on any session, browser or API; never extended by activity.
ONYX_SESSION_MAX_AGE = timedelta(hours=24)
ONYX_SESSION_IDLE_MINUTES = env.int("ONYX_SESSION_IDLE_MINUTES", default=0)
if ONYX_SESSION_IDLE_MINUTES < 0:
    raise ImproperlyConfigured("ONYX_SESSION_IDLE_MINUTES must be 0 (off) or a positive number.")
# How often "last seen" is written back, and how often an open WebSocket re-checks its session.
ONYX_SESSION_TOUCH_SECONDS = 60
ONYX_WEBSOCKET_RECHECK_SECONDS = env.float("ONYX_WEBSOCKET_RECHECK_SECONDS", default=5.0)

SESSION_ENGINE = "accounts.session_store"  # Django's cache engine, loud when Redis is down
SESSION_CACHE_ALIAS = "default"
SESSION_COOKIE_NAME = "onyx_session"
SESSION_COOKIE_AGE = int(ONYX_SESSION_MAX_AGE.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_SAVE_EVERY_REQUEST = False
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"

AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "axes"
AXES_FAILURE_LIMIT = env.int("ONYX_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ONYX_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client's address is REMOTE_ADDR, which uvicorn takes from X-Forwarded-For only when the
# connection comes from a proxy listed in FORWARDED_ALLOW_IPS: axes must not read the header
# itself (it would with django-ipware installed), or a client could pick its own address.
AXES_CLIENT_IP_CALLABLE = "accounts.request_info.client_ip"
AXES_USERNAME_FORM_FIELD = "email"
AXES_USERNAME_CALLABLE = "accounts.login_throttle.normalized_username"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "accounts.login_throttle.lockout_response"
AXES_VERBOSE = False

# --- Chats and the AI behind them -----------------------------------------------

# Any OpenAI-compatible /v1 server (OpenAI, Ollama, vLLM, llama.cpp, LiteLLM); unset = built-in.
ONYX_LLM_BASE_URL = env.str("ONYX_LLM_BASE_URL", default="")
ONYX_LLM_API_KEY = env.str("ONYX_LLM_API_KEY", default="")
ONYX_LLM_MODEL = env.str("ONYX_LLM_MODEL", default="")
ONYX_LLM_CONNECT_TIMEOUT = env.float("ONYX_LLM_CONNECT_TIMEOUT", default=10.0)
ONYX_LLM_READ_TIMEOUT = env.float("ONYX_LLM_READ_TIMEOUT", default=120.0)
if ONYX_LLM_BASE_URL and not ONYX_LLM_MODEL:
    raise ImproperlyConfigured("ONYX_LLM_MODEL must name a model when ONYX_LLM_BASE_URL is set.")
ONYX_SEND_RATE_PER_MINUTE = env.int("ONYX_SEND_RATE_PER_MINUTE", default=30)
# Replies one user may have being written at once, across chats (each one is a paid model call).
ONYX_MAX_CONCURRENT_REPLIES = env.int("ONYX_MAX_CONCURRENT_REPLIES", default=3)
if ONYX_MAX_CONCURRENT_REPLIES < 1:
    raise ImproperlyConfigured("ONYX_MAX_CONCURRENT_REPLIES must be at least 1.")
# Seconds between the built-in provider's words: it streams like a real model.
ONYX_BUILTIN_WORD_DELAY = env.float("ONYX_BUILTIN_WORD_DELAY", default=0.03)
# How often a reply being written is also saved to PostgreSQL (losing Redis costs at most this).
ONYX_REPLY_CHECKPOINT_SECONDS = env.float("ONYX_REPLY_CHECKPOINT_SECONDS", default=3.0)

# --- Workers (the task engine: procrastinate on PostgreSQL) ---------------------------------------

ONYX_WORKER_REPLY_CONCURRENCY = env.int("ONYX_WORKER_REPLY_CONCURRENCY", default=200)
ONYX_WORKER_FILE_CONCURRENCY = env.int("ONYX_WORKER_FILE_CONCURRENCY", default=2)
ONYX_WORKER_HEARTBEAT_SECONDS = env.float("ONYX_WORKER_HEARTBEAT_SECONDS", default=2.0)
# A worker silent this long is taken for dead, and its jobs are given to another worker.
ONYX_WORKER_STALLED_SECONDS = env.float("ONYX_WORKER_STALLED_SECONDS", default=10.0)
# On SIGTERM, running jobs may finish for this long before they are handed back.
ONYX_WORKER_GRACEFUL_SECONDS = env.float("ONYX_WORKER_GRACEFUL_SECONDS", default=20.0)
# The engine's own connections per worker (fetching jobs, heartbeats, LISTEN).
ONYX_WORKER_ENGINE_CONNECTIONS = env.int("ONYX_WORKER_ENGINE_CONNECTIONS", default=3)
if ONYX_WORKER_HEARTBEAT_SECONDS * 2 >= ONYX_WORKER_STALLED_SECONDS:
    raise ImproperlyConfigured(
        "ONYX_WORKER_STALLED_SECONDS must be more than twice ONYX_WORKER_HEARTBEAT_SECONDS."
    )
PROCRASTINATE_IMPORT_PATHS = ["onyx_site.jobs"]

# Reading a file happens in a child process with these limits; past one, the file fails with a
# reason instead of stalling a worker.
ONYX_EXTRACT_MEMORY_MB = env.int("ONYX_EXTRACT_MEMORY_MB", default=1024)
ONYX_EXTRACT_CPU_SECONDS = env.int("ONYX_EXTRACT_CPU_SECONDS", default=60)
ONYX_EXTRACT_MAX_PAGES = env.int("ONYX_EXTRACT_MAX_PAGES", default=2_000)
ONYX_EXTRACT_MAX_ROWS = env.int("ONYX_EXTRACT_MAX_ROWS", default=200_000)
ONYX_EXTRACT_MAX_PARAGRAPHS = env.int("ONYX_EXTRACT_MAX_PARAGRAPHS", default=200_000)
ONYX_EXTRACT_MAX_CHARS = env.int("ONYX_EXTRACT_MAX_CHARS", default=5_000_000)

# --- API ----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.jwt.SessionBoundJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "onyx_site.api_schema.OnyxAutoSchema",
    # OPTIONS on another user's object is a 404, like every other method.
    "DEFAULT_METADATA_CLASS": "onyx_site.api_metadata.OwnerScopedMetadata",
    "EXCEPTION_HANDLER": "onyx_site.api_errors.json_exception_handler",
    # JSON bodies only: form fields would arrive as strings that DRF coerces ("0" for false),
    # so a body would not mean what the schema says. Uploads take multipart (files/api.py).
    "DEFAULT_PARSER_CLASSES": ["onyx_site.parsers.BoundedJSONParser"],
    # orjson writes a page of 50 messages in a tenth of the time the json module takes.
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Times as DRF's own encoder writes them: UTC as "Z".
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z,),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ONYX_JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": ONYX_SESSION_MAX_AGE,
    "ROTATE_REFRESH_TOKENS": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Onyx Sessions API",
    "DESCRIPTION": "Chats, messages and files of the signed-in user. Authenticate with a JWT "
    "from /api/auth/token/ (Authorization: Bearer <access>) or a browser session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar), not from a CDN: the docs
    # work offline and load nothing from another site.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Messages and files both have a `status`, with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "MessageStatusEnum": "chats.models.ChatMessage.Status",
        "FileStatusEnum": "files.models.UserFile.Status",
    },
}

# --- Static files, i18n -----------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
# Uploaded files: local disk under var/media, or any S3-compatible bucket. Neither is ever
# served by URL: downloads go through the owner check in files/api.py and files/views.py.
ONYX_MEDIA_ROOT = env.path("ONYX_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
ONYX_S3_BUCKET = env.str("ONYX_S3_BUCKET", default="")
if ONYX_S3_BUCKET:
    _file_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ONYX_S3_BUCKET,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    _file_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ONYX_MEDIA_ROOT)},
    }
STORAGES = {
    "default": _file_storage,
    "staticfiles": {"BACKEND": "onyx_site.static_storage.HashedStaticFiles"},
}
ONYX_MAX_UPLOAD_MB = env.int("ONYX_MAX_UPLOAD_MB", default=25)
# Every other request body. The largest legitimate one is a 32,000-character message: even with
# every character escaped (an emoji is 12 bytes as a JSON escape pair or as %XX form encoding)
# that is under 400 KB. Refused at the ASGI edge before Django reads it (onyx_site/body_limits.py).
ONYX_MAX_REQUEST_KB = env.int("ONYX_MAX_REQUEST_KB", default=1024)
if ONYX_MAX_REQUEST_KB < 64 or ONYX_MAX_UPLOAD_MB < 1:
    raise ImproperlyConfigured(
        "ONYX_MAX_REQUEST_KB must be at least 64 and ONYX_MAX_UPLOAD_MB at least 1."
    )
ONYX_MAX_REQUEST_BYTES = ONYX_MAX_REQUEST_KB * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = ONYX_MAX_REQUEST_BYTES
ONYX_USER_QUOTA_MB = env.int("ONYX_USER_QUOTA_MB", default=1024)
# Uploads larger than this go to a temporary file instead of memory while they arrive.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
SERVESTATIC_USE_FINDERS = DEBUG
SERVESTATIC_ADD_HEADERS_FUNCTION = add_security_headers

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Production hardening -------------------------------------------------------

# Every page: scripts, styles, images and connections (the /ws/ socket too) only from this
# site; no inline script or style (our templates have none), no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the admin's and Swagger UI's icons
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_flag("ONYX_SSL_REDIRECT", default=True)
    # A load balancer's health checks speak plain HTTP to the process.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("ONYX_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from any client. The
    # scheme is the ASGI scope's, which uvicorn takes from X-Forwarded-Proto only when the
    # connection comes from a proxy in FORWARDED_ALLOW_IPS (as it does the client's address).

# Baseline views for `make bench` (bench/): never on in a real deployment.
ONYX_BENCH_BASELINES = env_flag("ONYX_BENCH_BASELINES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # One line per job start and end is too much at INFO; failures still show.
        "procrastinate": {"level": "WARNING"},
        # The list-based layer (a test uses it) says a full channel dropped a message only at
        # INFO: make it visible.
        "channels_redis": {"level": "INFO"},
    },
}

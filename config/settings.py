"""Settings for the catch-and-sighting platform.

This is the one place that reads the environment. With nothing set, the platform runs on the
embedded default: GeoDjango on SQLite + SpatiaLite, photos on the local filesystem and Celery
tasks run in-process. Production sets DATABASE_URL (postgis://), CELERY_BROKER_URL (redis://)
and AWS_STORAGE_BUCKET_NAME (S3 through django-storages). A `.env` file is read only when asked:
DJANGO_READ_DOT_ENV=1 reads the one in the project root (scripts/serve writes it and asks), and
DJANGO_ENV_FILE names another.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from botocore.config import Config as BotoConfig
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A file left on a server must not change its settings unless the deployment says so.
if "DJANGO_ENV_FILE" in os.environ or env.bool("DJANGO_READ_DOT_ENV", default=False):
    env.read_env(env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env")))

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Required: no default secret exists, so a deployment cannot forget to set one.
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

ROOT_URLCONF = env.str("DJANGO_ROOT_URLCONF", default="config.urls")
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "storages",
    "axes",
    "csp",
    # Project apps, lowest layer first: regulations owns species and places, projects group them
    # with people, classifier keeps each project's models, sightings ties them together.
    "regulations",
    "projects",
    "classifier",
    "sightings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

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
                "sightings.web.context_processors.roles",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A connection broken by a database restart is noticed before a request uses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    DATABASES["default"]["ENGINE"] = "config.spatialite"  # Django's, with a schema fix (its docstring)
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
SPATIALITE_LIBRARY_PATH = env.str("SPATIALITE_LIBRARY_PATH", default="mod_spatialite")

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing: django-axes (a maintained, widely used lockout library that hooks into every
# authenticate() call, the admin's log-in included) counts failures per user name and per client and
# refuses further attempts, the right password too, until the cool-off ends. The answer is the same
# whether or not the user name exists. API tokens never pass through authenticate(): unaffected.
AUTHENTICATION_BACKENDS = [
    "sightings.web.limits.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "sightings.project_permissions.ProjectRoleBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "sightings.web.limits.client_ip"
AXES_LOCKOUT_CALLABLE = "sightings.web.limits.login_locked_out"
# Successful log-ins are not recorded (that log would keep every user's addresses).
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "sightings-web:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- E-mail: password reset links ---------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587; the default writes mails to the log.
_email = {key: value for key, value in env.email_url("EMAIL_URL", default="consolemail://").items() if value}
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Catch log <noreply@localhost>")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# --- Static files and photos ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
# Photos are private: there is deliberately no MEDIA_URL route; they are served only through
# short-lived signed URLs (sightings.photos).
MEDIA_URL = "/media/"
SIGNED_URL_MAX_AGE = env.int("SIGNED_URL_MAX_AGE", default=600)
# The platform's public address: permanent links in exports (the Darwin Core Archive's photos) start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default=None)
if AWS_STORAGE_BUCKET_NAME:
    DEFAULT_STORAGE = {
        "BACKEND": "sightings.s3_storage.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_S3_REGION_NAME,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_MAX_AGE,
            "file_overwrite": False,
            "signature_version": "s3v4",
            # Fail fast when the store is down: the request answers 503, the task retries later.
            "client_config": BotoConfig(
                signature_version="s3v4",
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=20),
                retries={"max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
            ),
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
# Production serves hashed, compressed static files that `collectstatic` wrote.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Uploads ----------------------------------------------------------------------------------
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=15 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
# One deadline for fetching a photo_url, every redirect and every byte included.
PHOTO_URL_DEADLINE_SECONDS = env.float("PHOTO_URL_DEADLINE_SECONDS", default=15.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "sightings.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "sightings.strict_filters.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sightings.api.openapi.ContractAutoSchema",
    "EXCEPTION_HANDLER": "sightings.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
        # Sign-up attempts per client (sightings.web.limits.SignUpRateThrottle, the web sign-up page).
        "signup": env.str("SIGNUP_THROTTLE", default="10/hour"),
    },
    # Reverse proxies in front of the app that append the client to X-Forwarded-For. With 0 the header
    # is ignored and the client is REMOTE_ADDR: otherwise any client could pick its own throttle key.
    # django-axes finds the client the same way (sightings.web.limits.client_ip).
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Catch and sighting platform API",
    "DESCRIPTION": "Submit catches, read identifications, regulations and warnings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Web --------------------------------------------------------------------------------------
TILE_URL = env.str("TILE_URL", default="")  # e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=False)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery closes a worker's database connections around every task unless this is set: a new
# PostgreSQL session per sighting cost about a third of the worker's time. With it, a connection
# serves this many tasks, and config.celery_app applies CONN_MAX_AGE and the health checks
# around each task as Django does around each request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# A task not acknowledged within this time is delivered again: it must exceed the longest task's
# time limit (background exports allow an hour). Classifications lost with a killed worker come
# back sooner through the periodic re-queue job.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=75 * 60),
    # How often a worker looks for such tasks: every interval x throttle seconds (kombu's 10 x 10).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    # Publishing fails at once when the broker is down (the re-queue job catches up later);
    # the worker's own reconnection follows CELERY_BROKER_CONNECTION_MAX_RETRIES.
    "max_retries": 0,
}
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-sightings": {
        "task": "sightings.tasks.sightings_requeue_stuck",
        "schedule": timedelta(seconds=env.int("REQUEUE_STUCK_EVERY_SECONDS", default=120)),
    },
    "sweep-orphaned-photos": {
        "task": "sightings.tasks.photos_orphaned_sweep",
        "schedule": timedelta(hours=6),
    },
}
# Sightings pending longer than this are queued again by the periodic job.
SIGHTING_PENDING_REQUEUE_AFTER = timedelta(
    seconds=env.int("SIGHTING_PENDING_REQUEUE_AFTER_SECONDS", default=300)
)

# --- Projects ---------------------------------------------------------------------------------
# The project of submissions that name none (created on first use; migrations put older data there).
DEFAULT_PROJECT_SLUG = env.str("DEFAULT_PROJECT_SLUG", default="fish")
# Each web process keeps what a submission needs of a project (whether it is open, accepts
# submissions, records in listed regions) this long; a change made in another process takes effect
# within it (in the same process, at once). 0 reads the project on every submission.
PROJECT_CACHE_SECONDS = env.float("PROJECT_CACHE_SECONDS", default=10.0)

# Candidate individuals: each process checks a gallery for new or changed sightings at most this
# often (a sighting reaches other processes' candidates within it), and reads it whole this often.
GALLERY_RECHECK_SECONDS = env.float("GALLERY_RECHECK_SECONDS", default=5.0)
GALLERY_RELOAD_SECONDS = env.float("GALLERY_RELOAD_SECONDS", default=3600.0)

# --- Classifier -------------------------------------------------------------------------------
# Intra-op threads of the ONNX Runtime session in each worker process: processes x threads
# should not exceed the cores.
CLASSIFIER_INTRA_OP_THREADS = env.int("CLASSIFIER_INTRA_OP_THREADS", default=0)
CLASSIFIER_TOP_K = env.int("CLASSIFIER_TOP_K", default=5)
# A worker on PostgreSQL classifies up to this many pending sightings per transaction (1: one each).
CLASSIFY_BATCH_SIZE = env.int("CLASSIFY_BATCH_SIZE", default=16)
# Threads per worker process that read, decode and publish a batch's photos while it waits on
# storage or the model (they never touch the database).
CLASSIFY_BATCH_THREADS = env.int("CLASSIFY_BATCH_THREADS", default=4)
# An answer is "uncertain: A or B" (and goes to the moderators first) when its calibrated top score
# is below this, or the second score is within the margin of it. On the team data's out-of-fold
# scores 0.5 / 0.3 flag 5 % of the photos, right 59 % of the time, against 95.5 % for the rest.
CLASSIFIER_UNCERTAIN_BELOW = env.float("CLASSIFIER_UNCERTAIN_BELOW", default=0.5)
CLASSIFIER_UNCERTAIN_MARGIN = env.float("CLASSIFIER_UNCERTAIN_MARGIN", default=0.3)
# `train_classifier --verified` takes its photos from this callable (classifier.datasets.Example items).
CLASSIFIER_VERIFIED_SOURCE = "sightings.services.retraining.verified_examples"

# --- Export ---------------------------------------------------------------------------------
# Above this many rows an export runs as a background job (POST /api/v1/exports/jobs/).
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=50_000)

# --- Security ---------------------------------------------------------------------------------
HSTS_PRELOAD_MIN_SECONDS = 365 * 24 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is all but irreversible, and the preload list wants a year and the subdomains: only
    # when asked for, and only then.
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    if SECURE_HSTS_PRELOAD and (
        SECURE_HSTS_SECONDS < HSTS_PRELOAD_MIN_SECONDS or not SECURE_HSTS_INCLUDE_SUBDOMAINS
    ):
        raise ImproperlyConfigured(
            f"DJANGO_SECURE_HSTS_PRELOAD needs DJANGO_SECURE_HSTS_SECONDS >= {HSTS_PRELOAD_MIN_SECONDS} "
            "(a year) and DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS on."
        )


def _origin(url):
    parts = urlsplit(url.replace("{s}.", "*."))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


# Content-Security-Policy of every page (django-csp): scripts, styles and everything else from this
# site only, no inline code. Images may also come from the photo store's signed URLs and the tile
# server; CSP_IMG_SRC adds origins (a CDN in front of the bucket, say).
_photo_origins = []
if AWS_STORAGE_BUCKET_NAME and AWS_S3_ENDPOINT_URL:
    _photo_origins = [_origin(AWS_S3_ENDPOINT_URL)]
elif AWS_STORAGE_BUCKET_NAME:
    _photo_origins = [f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com"]
    if AWS_S3_REGION_NAME:
        _photo_origins.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    # The region admin's map widget is Django's: OpenLayers from its CDN with an inline script (staff only).
    "EXCLUDE_URL_PREFIXES": ["/admin/regulations/region/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [
            SELF,
            "data:",
            "blob:",
            *[origin for origin in [*_photo_origins, _origin(TILE_URL)] if origin],
            *env.list("CSP_IMG_SRC", default=[]),
        ],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

SILENCED_SYSTEM_CHECKS = env.list(
    "DJANGO_SILENCED_SYSTEM_CHECKS",
    # Debian 12 ships GDAL 3.6. Spatial references here come from the code and from GeoJSON files
    # that administrators import, never from anonymous users. HSTS preloading (security.W021) is a
    # deliberate choice of the deployment (DJANGO_SECURE_HSTS_PRELOAD), not a default.
    default=["gis.W001", "security.W021"],
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}

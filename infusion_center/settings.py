"""Settings for the infusion center app, read from the environment.

One module for every mode: development defaults are safe to run locally, and
``DJANGO_MODE=production`` turns on the deployment hardening that
``manage.py check --deploy`` asks for. See README.md for every variable.
"""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

MODE = env.str("DJANGO_MODE", default="development")
IS_PRODUCTION = MODE == "production"

DEBUG = env.bool("DEBUG", default=not IS_PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="" if IS_PRODUCTION else "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop",
)
if IS_PRODUCTION and not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set in production mode.")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "accounts",
    "audit",
    "chairs",
    "patients",
    "scheduling",
    "treatment",
    "frontdesk",
    "reminders",
    "booking_templates",
    "setup",
    "insights",
    "waitlist",
    "fhir_r4",
    "webhooks",
    "regimens",
    "chairside",
]

MIDDLEWARE = [
    # Compress pages and htmx partials (the board refresh and the arrivals list are polled every
    # 20-30 s); Django masks the CSRF token per response, which is what BREACH needs.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "accounts.sessions.SlidingSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "infusion_center.middleware.LoginRequiredMiddleware",
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "audit.middleware.PatientAccessAuditMiddleware",
    # Axes must be last: it turns a locked-out login into a clear refusal.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "infusion_center.urls"
WSGI_APPLICATION = "infusion_center.wsgi.application"
ASGI_APPLICATION = "infusion_center.asgi.application"

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
                "infusion_center.context_processors.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# PostgreSQL is the only database: the schema relies on range types and
# exclusion constraints. Without DATABASE_URL the project starts its own.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from infusion_center import localdb

    DATABASES = {"default": localdb.database_settings()}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "infusion_center.auth_backend.CachedPermissionsBackend",  # Django's ModelBackend, permissions cached
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 15 idle minutes: every request pushes the expiry forward, written to the
# session table once it has moved by more than SESSION_REFRESH_SECONDS (accounts.sessions).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=60)
SESSION_ENGINE = "accounts.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Repeated failed logins lock the user name they were tried for, from every address, for a while.
# Never per address alone: a whole clinic behind one NAT address must not be locked out by whoever
# types made-up names. Each entry is a lockout of its own (entries are OR-ed; a list inside is AND-ed):
# the user name, and the user name from one address (the pair's count is what the attempt log shows).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_VERBOSE = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Second factor (TOTP, django-otp): users with these roles must set it up before reaching any page
# ("superuser" stands for Django superusers); everyone else may turn it on at /accounts/security/.
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["center_admin", "superuser"])
MFA_ISSUER = env.str("MFA_ISSUER", default="Infusion Center")
MFA_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = MFA_ISSUER
# API tokens (not affected by the second factor) expire this many days after they were issued.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=30)

# Content-Security-Policy: everything from this site only; scripts need a file under static/ or the
# request's nonce. Style attributes stay allowed (the chair board positions items with them) but
# <style> elements do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".local" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # keeps WhiteNoise quiet in development
# Bootstrap's CSS and JS come from the bootstrap-wrapper wheel (served as /static/bootstrap/…).
_bootstrap = importlib.util.find_spec("bootstrap_wrapper")
if _bootstrap and _bootstrap.origin:
    STATICFILES_DIRS.append(("bootstrap", Path(_bootstrap.origin).parent.parent / "bootstrap"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="US")
PHONENUMBER_DEFAULT_FORMAT = "E164"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "infusion_center.api_parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "infusion_center.api_common.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Infusion Center API",
    "DESCRIPTION": "Chairs, patients, the slot planner and appointments of an infusion center.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API documents JSON bodies only: form and multipart bodies are still read (older clients), but
    # they cannot say "this is a boolean, not the text 'True'", so the schema does not offer them.
    "PARSER_WHITELIST": ["infusion_center.api_parsers.DepthLimitedJSONParser", "rest_framework.parsers.JSONParser"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "infusion_center.api_schema.document_shared_answers",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ChairKindEnum": "chairs.models.ChairKind",
        "ChairFeatureEnum": "chairs.models.ChairFeature",
        "AuthorizationStageEnum": "treatment.models.Stage",
        "PeerToPeerOutcomeEnum": "treatment.models.PeerToPeerOutcome",
        "MedicationOutcomeEnum": "treatment.models.MedicationOutcome",
        "DocumentKindEnum": "treatment.models.DocumentKind",
        "OfferChannelEnum": "waitlist.models.OfferChannel",
        "WeekdayEnum": "chairs.models.Weekday",
    },
}

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport,
# which needs no server (fine for one machine, not for production).
REDIS_URL = env.str("REDIS_URL", default="")
# The cache behind infusion_center.versioned_cache (planner input, permissions, availability):
# Redis when REDIS_URL is set, shared by every web process; the process's memory otherwise.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}
}
CELERY_QUEUE_DIR = BASE_DIR / ".local" / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".local" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Reminders wait in the outbox table; this hands the due ones to send tasks (no long ETAs).
    "reminders-dispatch": {
        "task": "reminders.dispatch_due_reminders",
        "schedule": env.float("REMINDERS_DISPATCH_SECONDS", default=60.0),
    },
    # Webhook deliveries wait in their outbox too; this sends the due ones (first tries and retries).
    "webhooks-dispatch": {
        "task": "webhooks.dispatch_due_deliveries",
        "schedule": env.float("WEBHOOKS_DISPATCH_SECONDS", default=30.0),
    },
    "scheduling-purge-idempotency-keys": {"task": "scheduling.purge_idempotency_keys", "schedule": 3600.0},
    # Waitlist offers: expire unanswered ones, offer the next patients, retry after quiet hours.
    "waitlist-advance": {"task": "waitlist.advance", "schedule": env.float("WAITLIST_ADVANCE_SECONDS", default=60.0)},
    # Nightly: rebuild every center's booking templates from its recent bookings (issue 15).
    "booking-templates-nightly": {
        "task": "booking_templates.build_all_templates",
        "schedule": crontab(hour=env.int("BOOKING_TEMPLATES_HOUR_UTC", default=7), minute=15),
    },
    # Prior authorizations (issue 22): release tentative holds not approved in time; remind staff of due steps.
    "treatment-release-due-holds": {"task": "treatment.release_due_holds", "schedule": 3600.0},
    "treatment-remind-staff": {
        "task": "treatment.remind_staff_of_authorization_steps",
        "schedule": crontab(hour=env.int("AUTHORIZATION_REMINDERS_HOUR_UTC", default=12), minute=0),
    },
    # Nightly: yesterday into the insights' slot summary (views store what is missing themselves).
    "insights-store-past-days": {
        "task": "insights.store_past_days",
        "schedule": crontab(hour=env.int("INSIGHTS_SUMMARY_HOUR_UTC", default=7), minute=45),
    },
}
# Waitlist offers: how long a patient has to answer (minutes; sooner when the time is within 24 h),
# and how many patients are offered one freed time at once.
WAITLIST_OFFER_MINUTES = env.float("WAITLIST_OFFER_MINUTES", default=30.0)
WAITLIST_SOON_OFFER_MINUTES = env.float("WAITLIST_SOON_OFFER_MINUTES", default=15.0)
WAITLIST_OFFERS_AT_ONCE = env.int("WAITLIST_OFFERS_AT_ONCE", default=3)
# A tentative hold of a first dose is released this many days before its date unless approved.
AUTHORIZATION_HOLD_RELEASE_DAYS = env.int("AUTHORIZATION_HOLD_RELEASE_DAYS", default=3)
# Booking templates: weeks of bookings they are built from, and CP-SAT's limits per weekday: WORK is
# deterministic time (the same template for the same bookings, whatever the machine's load), SECONDS
# a wall-clock safety cap so that a starved nightly build still ends (a solve it stops is logged).
BOOKING_TEMPLATE_WEEKS = env.int("BOOKING_TEMPLATE_WEEKS", default=8)
BOOKING_TEMPLATE_WORK = env.float("BOOKING_TEMPLATE_WORK", default=5.0)
BOOKING_TEMPLATE_SECONDS = env.float("BOOKING_TEMPLATE_SECONDS", default=60.0)
# How long the API remembers an Idempotency-Key's first response.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
# A reminder left "sending" longer than this (worker lost mid-send) is marked "unknown", never resent blindly.
REMINDERS_SENDING_LEASE_SECONDS = env.int("REMINDERS_SENDING_LEASE_SECONDS", default=300)
# A row "queued" this long (its send task lost: broker restarted, publish failed) is handed over again.
REMINDERS_REQUEUE_SECONDS = env.int("REMINDERS_REQUEUE_SECONDS", default=600)

# Email: console in development; SMTP (or any Django backend) through EMAIL_URL.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reminders@infusion-center.example")
# SMS: "development" records messages in the database; "twilio" sends them.
SMS_BACKEND = env.str("SMS_BACKEND", default="development")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://localhost:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

"""Settings shared by every environment. Everything that differs comes from the
environment through django-environ; see README.md for the full list."""

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only-key-do-not-use")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    # Second factor (issue 13): django-otp (TOTP, recovery codes, throttling,
    # the per-request "verified" state) with django-otp-webauthn (passkeys on
    # django-otp's device model). Not django-allauth's MFA: allauth would
    # replace our login, invitation and password-reset flows; these plug a
    # second step after the login we have (tracker/mfa/).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "tracker",
    "followup",
    "fhirapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy and Cross-Origin-Resource-Policy, static files too.
    "config.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: every response but a static file is "no-store".
    "config.headers.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Her language once she is known; staff pages in English (tracker/i18n.py).
    "tracker.middleware.UserLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # request.user.is_verified(), then the gate: staff (and survivors who
    # turned it on) pass their second factor before any other page.
    "django_otp.middleware.OTPMiddleware",
    "tracker.mfa.gate.SecondFactorMiddleware",
    "tracker.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute lifetime; her list of sessions. After the
    # messages, so a session that timed out says so on the login page.
    "tracker.session_policy.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "tracker.context_processors.nav",
                "tracker.context_processors.care_team",
                "followup.context_processors.notices",
            ],
        },
    },
]

# With no DATABASE_URL the app runs on an embedded SQLite file (make run).
DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" on lock upgrades inside transactions.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection is checked before it is reused (after a PostgreSQL restart the
# old one is dead); web requests and Celery tasks both re-arm the check.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tracker.User"
LOGIN_URL = "login"
# A refused form gets our page (in her language), not Django's "403 Forbidden".
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on for staff through the hospital's OpenID Connect provider
# (mozilla-django-oidc; tracker/sso.py). Off until OIDC_RP_CLIENT_ID and
# OIDC_OP_ISSUER are set; the endpoints come from the issuer's discovery
# document unless named here. Passwords keep working (ModelBackend first).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "tracker.sso.StaffOIDCBackend",
]
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
# Where logout offers to end the provider's session too (else discovery's end_session_endpoint).
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_SCOPES = env("OIDC_RP_SCOPES", default="openid email")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
OIDC_VERIFY_SSL = True
# The library waits forever by default; a hung provider must not hold a worker.
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_CREATE_USER = False
SSO_BUTTON_LABEL = env("SSO_BUTTON_LABEL", default="")

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# The FHIR interface (fhirapi/): the base of our own canonical URIs (code
# systems, the check-in Questionnaire, identifier systems). A stable name,
# not necessarily a page that answers: systems store codes under it.
FHIR_CANONICAL_BASE = env("FHIR_CANONICAL_BASE", default="https://followup.example.org/fhir")

# Invites are signed tokens that expire after this many seconds and work once.
INVITE_MAX_AGE = 60 * 60 * 24 * 7

# The languages her pages, emails and texts come in (tracker/i18n.py).
# Signed in, a survivor reads her own setting and staff read English;
# before signing in, the browser's language decides (LocaleMiddleware).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date, time and number formats per language (config/formats/):
# 12-hour times in English, 24-hour and the decimal comma in Spanish.
FORMAT_MODULE_PATH = ["config.formats"]
# The language cookie: the switcher's choice before signing in, and hers
# after she signs out (tracker.middleware), so the login page that says
# "you were signed out" is in her language. No script reads it.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# None where static/ is served as it is (local.py, test.py).
STATIC_ROOT: Path | None = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email. EMAIL_URL (e.g. smtp+tls://user:pass@host:587) wins over the parts.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    # Only for the file-based backend (integration tests read mail from here).
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
# A hung mail server must not hold a worker: seconds per SMTP operation.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Follow-up <no-reply@followup.local>")
# Absolute links in emails (invite, reminders) are built from this.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Celery. With no CELERY_BROKER_URL the worker and beat use kombu's filesystem
# transport, which needs no server (make run on a bare machine).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = BASE_DIR / "var" / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # Its exchange tables: kombu's default is ./control, in the checkout.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection after every task
# unless told to reuse it: a new PostgreSQL connection costs more than a
# whole delivery (bench/README.md). Reconnect every 100 tasks instead.
CELERY_DB_REUSE_MAX = 100
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# Follow-up. Texts: "console", "file:///path", or a provider class path.
SMS_BACKEND = env("SMS_BACKEND", default="console")
FOLLOWUP_MAX_TRIES = env.int("FOLLOWUP_MAX_TRIES", default=5)
FOLLOWUP_RETRY_BASE_SECONDS = env.int("FOLLOWUP_RETRY_BASE_SECONDS", default=60)
# Seconds a text provider may take (passed to its send() as timeout=).
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=10)
# One delivery task: a soft limit ends a hung send as a failed attempt, the
# hard limit kills the worker process if even that does not return.
FOLLOWUP_SEND_SOFT_LIMIT = env.int("FOLLOWUP_SEND_SOFT_LIMIT", default=20)
FOLLOWUP_SEND_HARD_LIMIT = env.int("FOLLOWUP_SEND_HARD_LIMIT", default=30)
# A message queued (task lost?) or sending (worker died?) this long goes back
# to pending. Emergency messages sooner: the fast sweep checks them every few
# seconds. A send outlives its task's hard limit only if its worker died, so
# the sending timeouts stay above FOLLOWUP_SEND_HARD_LIMIT (no second send
# while the first may still be talking to the provider).
FOLLOWUP_QUEUED_TIMEOUT = env.int("FOLLOWUP_QUEUED_TIMEOUT", default=120)
FOLLOWUP_SENDING_TIMEOUT = env.int("FOLLOWUP_SENDING_TIMEOUT", default=300)
FOLLOWUP_URGENT_QUEUED_TIMEOUT = env.int("FOLLOWUP_URGENT_QUEUED_TIMEOUT", default=10)
FOLLOWUP_URGENT_SENDING_TIMEOUT = env.int("FOLLOWUP_URGENT_SENDING_TIMEOUT", default=35)
# /healthz calls the sweep stale (HTTP 503) after this long.
FOLLOWUP_SWEEP_STALE_SECONDS = env.int("FOLLOWUP_SWEEP_STALE_SECONDS", default=180)
# /healthz answers 503 when a due message has waited this long unsent. In
# normal running one waits at most a sweep (60 s); three allow one missed.
FOLLOWUP_DELIVERY_STALE_SECONDS = env.int("FOLLOWUP_DELIVERY_STALE_SECONDS", default=180)
# Bearer token for /metrics (Prometheus); unset, /metrics answers 404.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Content Security Policy (django-csp): everything from our own origin, no inline
# script. Chart.js and Bootstrap are served from static/, never a CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Second factor (tracker/mfa/). Wrong codes wait 1, 2, 4, 8 ... seconds
# before the next try (per device, django-otp's throttling).
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Follow-up")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# The Django admin never shows an app's key, its QR code or recovery codes:
# a superuser can remove a person's devices, not borrow them.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys. The relying party is the site's host name (browsers refuse an IP
# address: on a laptop passkeys work at http://localhost:8000, not 127.0.0.1).
# A passkey is a second factor only, never a login without the password:
# the password step keeps lockout and the invitation/reset flows in one place.
_site = urlparse(SITE_URL)
_site_host = "localhost" if _site.hostname in (None, "127.0.0.1", "::1") else _site.hostname
_site_origin = f"{_site.scheme}://{_site_host}" + (f":{_site.port}" if _site.port else "")
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default=_site_host)
OTP_WEBAUTHN_RP_NAME = env("WEBAUTHN_RP_NAME", default="Follow-up")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ALLOWED_ORIGINS", default=[_site_origin])
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# Sessions (tracker/session_policy.py). Signed out after this long without a
# request of hers (background refreshes such as the queue's do not count),
# and in any case this long after signing in. A staff session cookie ends
# with the browser. The warning comes this many seconds before the idle end.
SESSION_IDLE_SECONDS_STAFF = env.int("SESSION_IDLE_MINUTES_STAFF", default=15) * 60
SESSION_IDLE_SECONDS_SURVIVOR = env.int("SESSION_IDLE_MINUTES_SURVIVOR", default=30) * 60
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_MAX_HOURS", default=12) * 60 * 60
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=120)
# Her last activity is written (session and list of sessions) at most this often.
SESSION_ACTIVITY_WRITE_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Set by Django's SecurityMiddleware (its default, written here to be seen).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# config/headers.py: no other site may embed our responses (images, scripts,
# pages) in its own, and the browser features the app never uses are off.
# Passkeys (WebAuthn) are allowed for this site only.
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# Health data never goes to logs: log records carry ids and event names only.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Paths in Django's request logs lose their tokens and query strings
    # (config/access_log.py; gunicorn's access log: gunicorn.conf.py).
    "filters": {"redact_urls": {"()": "config.access_log.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["redact_urls"]},
        "django.server": {"filters": ["redact_urls"], "handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Lockout and throttling (issue 13; tracker/security/).
# django-axes counts failed logins in PostgreSQL, per account (the email, as
# a keyed hash) and per address, each on its own (tracker/security/lockout.py):
# a few failures make each further try wait LOGIN_WAIT_SECONDS, then the
# account or address is locked out for AXES_COOLOFF_TIME. A try refused
# meanwhile is not counted and does not extend the lockout, so a stranger
# cannot keep her out for good; a good login forgets her failures, and so
# does choosing a new password through the emailed link. Its backend comes
# first: it refuses a locked-out login before any password is checked.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += [
    # Every 403 is a security event (tracker/security/events.py).
    "tracker.security.middleware.SecurityEventMiddleware",
    # Turns axes' refusal into the login page's lockout message; axes asks to be last.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    *vars().get("AUTHENTICATION_BACKENDS", ["django.contrib.auth.backends.ModelBackend"]),
]
AXES_HANDLER = "tracker.security.lockout.LoginAttemptHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own, not the pair
AXES_USERNAME_FORM_FIELD = "username"  # Django's login form names the email field "username"
AXES_USERNAME_CALLABLE = "tracker.security.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "tracker.security.identity.client_address"
AXES_FAILURE_LIMIT = 5  # failures for one email: locked out
LOGIN_WAIT_AFTER_FAILURES = 3  # failures for one email: each next try waits
LOGIN_ADDRESS_FAILURE_LIMIT = 30  # higher for an address: a hospital's staff may share one
LOGIN_ADDRESS_WAIT_AFTER_FAILURES = 10
LOGIN_WAIT_SECONDS = 30
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_COOLOFF_TIME = LOGIN_LOCKOUT_MINUTES / 60  # axes reads a float as hours
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tracker.security.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Axes' own log of every successful login would keep emails and addresses
# for ever; the sessions list and our security events cover what we need.
AXES_DISABLE_ACCESS_LOG = True
# The client's address: X-Forwarded-For is believed only when the deployment
# says how many proxies of its own stand in front (tracker/security/identity.py).
# 0: the connection's address. Production requires it to be set.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Password reset and invitation acceptance: (requests, per seconds), counted
# in the cache below (tracker/security/throttle.py).
SECURITY_THROTTLES = {
    "password_reset.address": (10, 60 * 60),
    "password_reset.email": (3, 60 * 60),
    "invitation.address": (30, 15 * 60),
    "invitation.token": (10, 15 * 60),
    # The FHIR token endpoint (fhirapi/views.py): a backend client needs a
    # token every five minutes; an address may hold several clients.
    "fhir_token.address": (120, 60),
    "fhir_token.client": (30, 60),
}
# The throttles' counters must be seen by every web process: one process
# (make run) may keep them in memory; production shares a cache (production.py).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Failed logins, lockouts and refused pages (no health data, no passwords,
# an unknown account's email masked).
LOGGING["loggers"]["security"] = {"level": "INFO"}
# Axes' own lines repeat them (its data masked) and note every login: warnings only.
LOGGING["loggers"]["axes"] = {"level": "WARNING"}

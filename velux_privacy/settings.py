"""The one settings module: every value comes from the environment, with safe local defaults.

Production differs from development only in values (README.md lists every variable). Unsafe
defaults (a development SECRET_KEY, RECEIPT_HASH_KEY) exist only while DEBUG is on; a
malformed value raises ImproperlyConfigured.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (made by `make` from .env.example) is read when present; real environment
# variables win over it. Production sets variables and ships no .env.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)


_BOOLEANS = {
    **dict.fromkeys(("true", "1", "yes", "on"), True),
    **dict.fromkeys(("false", "0", "no", "off"), False),
}


def _env_bool(name: str, default: bool) -> bool:
    # Strict, unlike env.bool, which reads every unknown word ("maybe", "treu") as false.
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value not in _BOOLEANS:
        raise ImproperlyConfigured(f"{name} must be true or false")
    return _BOOLEANS[value]


def _env_int(name: str, default: int) -> int:
    try:
        return env.int(name, default=default)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be a whole number") from error


def _url_scheme(url: str) -> str:
    """The scheme of `scheme://…`, lower-cased; empty when the value has no `://`."""
    scheme, separator, _ = url.partition("://")
    return scheme.lower() if separator else ""


def _env_url(name: str, schemes: tuple[str, ...]) -> str:
    """An optional URL (empty when unset) whose scheme is one of `schemes`."""
    url = env.str(name, default="")
    if url and _url_scheme(url) not in schemes:
        expected = ", ".join(f"{scheme}://" for scheme in schemes)
        raise ImproperlyConfigured(f"{name} must be a URL starting with one of {expected}")
    return url


def _env_database(name: str, default: str) -> dict:
    # env.db only warns on an unknown URL and returns {}, which Django fills with its dummy
    # backend; a scheme django-environ does not know would be taken as an ENGINE path.
    url = env.str(name, default=default)
    try:
        config = env.db_url_config(url) if _url_scheme(url) in env.DB_SCHEMES else {}
    except ValueError:  # e.g. a port that is not a number
        config = {}
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} is not a valid database URL")
    return config


def _env_email(name: str, default: str) -> dict:
    try:
        return env.email_url(name, default=default)
    except (ImproperlyConfigured, ValueError) as error:
        raise ImproperlyConfigured(f"{name} is not a valid e-mail URL") from error


def _required_secret(name: str, development_default: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = _required_secret("SECRET_KEY", "django-insecure-development-only-key")
# Keyed hash of a normalised e-mail in deletion receipts and logs (DESIGN.md): proof without data.
RECEIPT_HASH_KEY = _required_secret("RECEIPT_HASH_KEY", "development-only-receipt-key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # modeltranslation must come before the admin it patches.
    "modeltranslation",
    # django.contrib.admin, with a site that asks staff for a second factor.
    "velux_privacy.admin_site.PrivacyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's form templates, for FORM_RENDERER (the portal's own field templates).
    "django.forms",
    "allauth",
    "allauth.account",
    # Staff sign in with a second factor: TOTP and recovery codes (velux_privacy.middleware).
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    # Triggers that keep the append-only tables so in SQL (velux_privacy.appendonly).
    "pgtrigger",
    "velux_privacy",
    "subjects",
    "consent",
    "dsr_requests",
    "retention",
    # The customer privacy centre: pages, accounts, the portal's design (on top of the rest).
    "centre",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "velux_privacy.middleware.StaffSessionMiddleware",
    "consent.middleware.GlobalPrivacyControlMiddleware",
    "velux_privacy.middleware.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "velux_privacy.urls"
WSGI_APPLICATION = "velux_privacy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "consent.context_processors.reconsent",
            ],
        },
    },
]

DATABASES = {"default": _env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", _env_int("CONN_MAX_AGE", 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Prepared statements for the few statements that ask for them (subjects.compiled: the
    # data map's counts and pages, planned once per connection instead of on every page).
    # Django's own queries never are: its client-side binding cursor does not prepare.
    # Off (false) behind a pooler that cannot keep them (PgBouncer before 1.21 in
    # transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _env_url("REDIS_URL", ("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Passed to redis-py's connection pool: a Redis that never answers fails a request
            # (and /healthz) in 2 s; redis-py's own 5 s would outlast Docker's 5 s check.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What templates render the same for every page in a language (the head's links, the
# navigation, the footer, the language list: `{% cache %}` in templates/base.html): kept in
# each process, which renders them once, since asking Redis would cost more than rendering.
# Only texts and links of the code live here, never anybody's data; a deploy starts afresh.
CACHES["template_fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "template-fragments",
    "TIMEOUT": None,
}

AUTH_USER_MODEL = "velux_privacy.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions live in velux_privacy.LoginSession, keyed by login (velux_privacy.sessions).
SESSION_ENGINE = "velux_privacy.sessions"
# Customers: Django's two weeks. Staff, who can read all personal data: until the browser
# closes, and at most this long after signing in (velux_privacy.middleware).
STAFF_SESSION_SECONDS = _env_int("STAFF_SESSION_SECONDS", 8 * 3600)
LOGIN_URL = "account_login"
# Customers land on their data; staff on the admin (centre.accounts.AccountAdapter).
LOGIN_REDIRECT_URL = "centre:my_data"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "centre.accounts.AccountAdapter"
# A person is named by their name or e-mail address on pages and in e-mails, never "Login #27".
ACCOUNT_USER_DISPLAY = "centre.accounts.user_display"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# One sign-in address per login, changed by confirming the new one (the old one is told).
ACCOUNT_CHANGE_EMAIL = True
# Sign-in by a code e-mailed to the address, instead of the password.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
# The same answer whether or not an address has an account: sign-up, password reset and
# sign-in by code all say "we sent you an e-mail"; the e-mail says what applies.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
# Tell the person when their password or sign-in address changes.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth prefixes subjects with "[site name]" (the host name here) unless told otherwise.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Every sensitive step is limited (allauth's cache-based limits; REDIS_URL shares them
# between processes): per client address (ip), per e-mail address (key), per login (user).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip,50/h/ip",
    "request_login_code": "20/m/ip,3/m/key,10/h/key",
    "reset_password": "20/m/ip,5/m/key,10/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    # The request forms without an account: each e-mails the address typed (centre.views).
    "rights_request_intake": "10/m/ip,50/h/ip,5/h/key",
}
ACCOUNT_FORMS = {
    name: f"centre.forms.{form}"
    for name, form in {
        "login": "LoginForm",
        "signup": "SignupForm",
        "reset_password": "ResetPasswordForm",
        "reset_password_from_key": "ResetPasswordKeyForm",
        "request_login_code": "RequestLoginCodeForm",
        "confirm_login_code": "ConfirmLoginCodeForm",
        "change_password": "ChangePasswordForm",
        "set_password": "SetPasswordForm",
        "change_email": "ChangeEmailForm",
        "add_email": "AddEmailForm",
        "reauthenticate": "ReauthenticateForm",
    }.items()
}
# Every form renders with the portal's templates (templates/forms/, GOV.UK patterns).
FORM_RENDERER = "centre.forms.PortalFormRenderer"
# allauth's rate limits (failed sign-ins) key on the client's address. Behind the TLS proxy
# REMOTE_ADDR is the proxy's, shared by every client, so allauth must read X-Forwarded-For
# past this many proxies of ours; never more than we run, as the rest is the client's to forge.
BEHIND_TLS_PROXY = _env_bool("BEHIND_TLS_PROXY", False)
ALLAUTH_TRUSTED_PROXY_COUNT = _env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 1 if BEHIND_TLS_PROXY else 0)
# Second factor (allauth.mfa): staff must enrol at their first sign-in and use it at each.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "VELUX privacy"

# Internationalisation: the site exists in Dutch (default), French, German and English.
LANGUAGE_CODE = "nl"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("de", _("German")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
MODELTRANSLATION_DEFAULT_LANGUAGE = "nl"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("nl", "en")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Exports and other private files: outside any public URL, served only through views that
# check the owner (DESIGN.md). Never under STATIC_ROOT.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var/private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# e.g. smtp+tls://user:password@host:587, filemail:///path, consolemail:// (the default).
vars().update(_env_email("EMAIL_URL", "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="VELUX Belgium <privacy@velux.be>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without a broker every task runs eagerly in-process; status lives in the database,
# so no result backend is configured (DESIGN.md).
CELERY_BROKER_URL = _env_url(
    "CELERY_BROKER_URL",
    ("redis", "rediss", "redis+socket", "sentinel", "amqp", "amqps", "pyamqp", "sqs", "memory"),
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("exports"), Queue("retention")]
# Heavy work on its own queue: a big export never delays a notification.
CELERY_TASK_ROUTES = {"dsr_requests.tasks.export_execute_task": {"queue": "exports"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The beat schedule as data, each entry citing its policy clause (crontab in Europe/Brussels,
# CELERY_TIMEZONE); the retention jobs add theirs.
CELERY_BEAT_SCHEDULE: dict = {
    # Expired sessions still say who was signed in: deleted every night (§6, data minimisation).
    "sessions-clear-expired": {
        "task": "velux_privacy.tasks.sessions_clear_expired_task",
        "schedule": crontab(hour=3, minute=10),
        "options": {"queue": "retention"},
    },
    # GDPR Art. 17: what an erasure kept back for a reason that ends (an open order, a
    # contract in force, a legal hold) is erased once the reason has ended.
    "erasures-pending-finish": {
        "task": "retention.tasks.erasures_pending_finish_task",
        "schedule": crontab(hour=2, minute=30),
        "options": {"queue": "retention"},
    },
    # Web requests nobody confirmed from the address: deleted once their link expired
    # (§5: data of a person who may never have asked; DESIGN.md, intake by confirmed e-mail).
    "rights-requests-expire-unconfirmed": {
        "task": "dsr_requests.tasks.rights_request_intake_expire_task",
        "schedule": crontab(hour=3, minute=20),
        "options": {"queue": "retention"},
    },
    # GDPR Art. 19: recipients not answering a notice are reminded every 5 days; at 14 days
    # the notice goes to the DPO. Files of answers whose notice is gone are deleted.
    "recipient-notices-follow-up": {
        "task": "dsr_requests.tasks.recipient_notices_follow_up_task",
        "schedule": crontab(hour=9, minute=15),
        "options": {"queue": "retention"},
    },
    # Documents of requests erased through the data map (set-based, no file deletion there).
    "rights-requests-sweep-files": {
        "task": "dsr_requests.tasks.attachment_files_sweep_task",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": "retention"},
    },
    # Access and portability exports (§5, GDPR Art. 15 and 20): the file goes once its
    # download link expired (EXPORT_LINK_DAYS), and any file no export row holds any more.
    "rights-requests-expire-exports": {
        "task": "dsr_requests.tasks.exports_expire_task",
        "schedule": crontab(hour=3, minute=40),
        "options": {"queue": "retention"},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The session of an allauth sign-in only: DRF's default Basic authentication would check
    # passwords without allauth's limit on failed attempts.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "velux-privacy API",
    "VERSION": "1",
    # Swagger UI from the installed sidecar package, not a CDN: the CSP allows only 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Statutory retention of orders (subjects/privacy.py keeps them, anonymised, this long). Each
# counts from 1 January after the year a record belongs to; the longer that applies wins:
# - accounting documents: 7 years, Art. III.88 of the Code of Economic Law (WER), from the
#   year of delivery;
# - invoices (an invoiced order): 10 years, Art. 60 §4 of the VAT Code (WBTW), from the year
#   of the invoice, since 1 January 2023 (law of 20 November 2022; 7 years before).
ACCOUNTING_RETENTION_YEARS = _env_int("ACCOUNTING_RETENTION_YEARS", 7)
VAT_RETENTION_YEARS = _env_int("VAT_RETENTION_YEARS", 10)
# Policy §6: without a request, data goes after two years without activity on the website.
INACTIVITY_ERASURE_MONTHS = _env_int("INACTIVITY_ERASURE_MONTHS", 24)

# Consent (consent/): the portal's public address, for links in e-mails built by tasks (the
# one-click unsubscribe of RFC 8058 needs https in production: check --deploy, consent.W001);
# where people may also write to unsubscribe; the key of the Do Not Call Me list's hashes
# (changing it means importing the list again); sites that may load the cookie banner.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
UNSUBSCRIBE_MAILTO = env.str("UNSUBSCRIBE_MAILTO", default="privacy@velux.be")
DO_NOT_CALL_HASH_KEY = env.str("DO_NOT_CALL_HASH_KEY", default="") or RECEIPT_HASH_KEY
CONSENT_BANNER_ORIGINS = env.list("CONSENT_BANNER_ORIGINS", default=[])
# Tests: transactional tests restore the database by saving its rows again, which the consent
# ledger's append-only triggers refuse; they re-seed the consent register themselves
# (tests/consent/conftest.py, consent_register).
TEST_NON_SERIALIZED_APPS = ["consent"]
# Rights requests (dsr_requests): how long a confirmation link is valid (an unconfirmed web
# request is deleted then), and the largest document staff may add to a request.
RIGHTS_REQUEST_CONFIRMATION_DAYS = _env_int("RIGHTS_REQUEST_CONFIRMATION_DAYS", 7)
RIGHTS_REQUEST_ATTACHMENT_MAX_MB = _env_int("RIGHTS_REQUEST_ATTACHMENT_MAX_MB", 10)
# How long the signed link to follow a request without an account works (acknowledgement
# e-mail, confirmation page): long enough for a request extended to three months.
RIGHTS_REQUEST_FOLLOW_DAYS = _env_int("RIGHTS_REQUEST_FOLLOW_DAYS", 180)
# How long the download link of an access or portability export works once released; the
# file is deleted after that (dsr_requests.tasks.exports_expire_task).
EXPORT_LINK_DAYS = _env_int("EXPORT_LINK_DAYS", 7)
# GDPR Art. 19 notices to recipients (dsr_requests.recipient_notices): how long the link in
# the e-mail to a recipient's privacy contact is valid, reminders, escalation to the DPO, and
# the largest file a recipient may attach to the answer.
RECIPIENT_NOTICE_LINK_DAYS = _env_int("RECIPIENT_NOTICE_LINK_DAYS", 30)
RECIPIENT_NOTICE_REMINDER_DAYS = _env_int("RECIPIENT_NOTICE_REMINDER_DAYS", 5)
RECIPIENT_NOTICE_ESCALATION_DAYS = _env_int("RECIPIENT_NOTICE_ESCALATION_DAYS", 14)
RECIPIENT_NOTICE_FILE_MAX_MB = _env_int("RECIPIENT_NOTICE_FILE_MAX_MB", 5)
# GDPR Art. 18(3): the person is told before a restriction is lifted; it ends this many days
# after the notice (at least one).
RESTRICTION_LIFT_NOTICE_DAYS = max(1, _env_int("RESTRICTION_LIFT_NOTICE_DAYS", 14))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    # Off only for a local stack without TLS (docker-compose.yml).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = _env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Error reports never show what was posted (names, addresses, messages): every value hidden.
DEFAULT_EXCEPTION_REPORTER_FILTER = "velux_privacy.reporting.NoPostedDataFilter"

# Logs carry ids, never personal data (STYLE.md §5).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

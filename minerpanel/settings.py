"""MinerPanel settings: everything from environment variables, with embedded defaults.

`make run` needs none of them. DATABASE_URL (PostgreSQL) and REDIS_URL
(channels_redis) switch to the scale-out setup.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MINERPANEL_VAR", BASE_DIR / "var"))


def envbool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def envfloat(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [v.strip() for v in value.split(",") if v.strip()]


def private(path, mode):
    """Only this account may read var/ (0700) and the database (0600): they hold the secret key and rig secrets."""
    try:
        if mode == 0o700:
            path.mkdir(parents=True, exist_ok=True)
        else:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, mode))
        path.chmod(mode)
    except PermissionError:  # not ours (a shared directory): leave it as it is
        pass


def local_secret_key():
    """SECRET_KEY from the environment; else read from the file SECRET_KEY_FILE names (kept away from
    var/, so a backup of the database does not carry the key its rig secrets are encrypted with);
    else generated once into var/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    named = os.environ.get("SECRET_KEY_FILE")
    path = Path(named) if named else VAR_DIR / "secret_key"
    if not path.exists() and not named:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.write_text(secrets.token_urlsafe(50))
    try:
        key = path.read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"SECRET_KEY_FILE={path}: {exc.strerror} (move var/secret_key there: the rig "
                                   "secrets are encrypted with it)") from None
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: it must hold the secret key")
    return key


SECRET_KEY = local_secret_key()
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "minerpanel",
    "rigs",
    "custompages",
    "watch",
    "farm",
    "automation",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "minerpanel.urls"
ASGI_APPLICATION = "minerpanel.asgi.application"

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
                "minerpanel.context.custom_pages",
                "minerpanel.context.attention",
                "minerpanel.context.panel",
                "watch.context.alerts",
            ],
        },
    },
]

private(VAR_DIR, 0o700)  # whatever the database: var/ holds the secret key and the cache

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    # A pool per process hands connections out (psycopg_pool; DB_POOL_MAX connections at most): to the
    # web's request threads (minerpanel/http_handler.py), the pollers, the pushes' renders. DB_POOL=0: no
    # pool; each thread then keeps its own connection for DB_CONN_MAX_AGE seconds. (Before the request
    # threads, Django gave every request a thread of its own and every page view started a PostgreSQL
    # server process: most of PostgreSQL's CPU under benchload --web.)
    pooled = envbool("DB_POOL", True)
    DATABASES = {"default": dj_database_url.parse(
        os.environ["DATABASE_URL"], conn_max_age=0 if pooled else int(envfloat("DB_CONN_MAX_AGE", 600)))}
    if pooled:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1, "max_size": int(os.environ.get("DB_POOL_MAX", "20")), "timeout": 30}
else:
    SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "minerpanel.sqlite3"))
    if str(SQLITE_PATH) != ":memory:":
        private(SQLITE_PATH, 0o600)  # created here so SQLite (and its -wal, -shm) never make it world-readable
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # 32 kB pages (a new database's; an older one keeps its 4 kB, see docs/deploy.md): a rig's
            # snapshot, about 7 kB of JSON, is not split over a chain of pages, and a round writes
            # fewer and larger pages (benchpoll: about 16 µs less of the poller's CPU per rig than 4 kB)
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA page_size=32768; PRAGMA journal_mode=WAL;"},
            # kept by the web's request threads (minerpanel/http_handler.py) between requests: opening one
            # (its PRAGMAs, Django's functions) cost about a fifth of a small page's CPU
            "CONN_MAX_AGE": int(envfloat("DB_CONN_MAX_AGE", 600)),
        }
    }

# Small facts the poller's process tells the web's (the last scheduled discovery) and the farm tables as
# drawn for every viewer (rigs/web/drawn.py): in Redis when REDIS_URL is set, so web processes on several
# machines share them; else files in var/, shared by the processes of one machine without a server.
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "minerpanel",
                          "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": os.environ.get("CACHE_DIR", str(VAR_DIR / "cache")),
                          "OPTIONS": {"MAX_ENTRIES": 2000}}}  # (drawn tables: pages × tables × views of them)

# A socket's wait for a message is a blocking BZPOPMIN of channels_redis (5 s); since redis-py 8 a read
# times out after 5 s by default, which ended every idle WebSocket consumer with a TimeoutError every 5 s
# and lost the pushes in between (redis/redis-py#4091, django/channels_redis#422). A read may take the
# wait and some: a dead Redis is still noticed.
REDIS_READ_TIMEOUT = float(os.environ.get("REDIS_READ_TIMEOUT", "30"))
if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8's pools stop at 100 connections, one per operation in flight: a crowd of sockets
            # joining at once failed past the 100th (benchload --web). Redis takes 10,000 clients.
            "CONFIG": {"hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": REDIS_READ_TIMEOUT,
                                  "socket_connect_timeout": 5, "max_connections": 1000}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["minerpanel.auth.ThrottledBackend"]  # one throttle for every login form
LOGIN_URL = "login"
CSRF_FAILURE_VIEW = "rigs.web.views.csrf_failure"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# No inline script or style anywhere (htmx is configured not to inject its indicator style).
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"], "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}}
# HTTPS=true when a TLS proxy fronts the panel (README, "Behind a reverse proxy"): Secure cookies, HSTS,
# and the proxy's X-Forwarded-Proto trusted to tell HTTPS requests.
HTTPS = envbool("HTTPS", False)
# The header a reverse proxy sets to the client's address (X-Real-IP), read by `serve`; empty: the peer's address.
PROXY_ADDRESS_HEADER = os.environ.get("PROXY_ADDRESS_HEADER", "")
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(envfloat("HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)

# miner.php's $readonly: no privileged control for anyone.
READONLY = envbool("READONLY", False)
# Auto-refresh: the site default and the choices a user may pick (0 = off).
REFRESH_DEFAULT = int(envfloat("REFRESH_DEFAULT", 10))
REFRESH_CHOICES = [0, 5, 10, 30, 60, 300]
REFRESH_CHANGEABLE = envbool("REFRESH_CHANGEABLE", True)  # miner.php's $changerefresh
DATETIME_FORMAT_HEADER = os.environ.get("DATETIME_FORMAT_HEADER", "Y-m-d H:i:s T")
# miner.php's $dfmt: Django (PHP-like) date format of dates in table cells; empty: "15:04:05 02-Dec"
DATETIME_FORMAT_CELLS = os.environ.get("DATETIME_FORMAT_CELLS", "")
PANEL_TITLE = os.environ.get("PANEL_TITLE", "MinerPanel")[:80]  # miner.php's $title
NOTIFY = envbool("NOTIFY", True)                      # ask rigs `notify` ($notify)
CHECK_LAST_SHARE = envbool("CHECK_LAST_SHARE", True)  # mark late last shares ($checklastshare)
POOL_INPUTS = envbool("POOL_INPUTS", True)            # add-pool and priority forms ($poolinputs)
RIG_TOTALS = envbool("RIG_TOTALS", True)              # totals on a rig's page ($rigtotals)
FORCE_RIG_TOTALS = envbool("FORCE_RIG_TOTALS", False)  # ... even for one row ($forcerigtotals)
# Rows a farm table shows at once (rigs/web/paging.py): a table of up to TABLE_ROWS rows is shown whole,
# as miner.php does; a longer one shows the rows of rigs needing attention first, TABLE_ROWS a page.
TABLE_ROWS = max(10, int(envfloat("TABLE_ROWS", 100)))
# Ready rows (rigs/web/ready.py): the farm tables are written by the poller's side, once per batch.
# A custom page section grouped or sorted across rigs is computed over the whole farm at most every
# READY_GLOBAL_EVERY seconds (0: the poll interval), and at most every 4 times what its last computation
# took (custompages/across.py SHARE), by one poller process; a custom page nobody viewed for READY_IDLE seconds
# stops being kept (its next view builds it again); the totals kept by differences are added up
# afresh every READY_EXACT_EVERY seconds.
READY_GLOBAL_EVERY = envfloat("READY_GLOBAL_EVERY", 0)
READY_IDLE = envfloat("READY_IDLE", 3600)
READY_EXACT_EVERY = envfloat("READY_EXACT_EVERY", 60)
# A custom page's table no poller keeps yet (a page not viewed for READY_IDLE, or just edited) is built by
# the view itself on farms of up to READY_BUILD_IN_VIEW rigs; on larger ones the view asks the poller's
# side for it and says it is being prepared (building 10,000 rigs' rows took the web process a minute).
READY_BUILD_IN_VIEW = int(os.environ.get("READY_BUILD_IN_VIEW", "2000"))
# Rigs whose rows turned (stale with no newer poll) a view writes again before it reads, the longest turned
# first, at most this many (about 2 ms each): a dead poller is noticed, an overloaded one costs no view minutes.
READY_TURNED_PER_VIEW = int(os.environ.get("READY_TURNED_PER_VIEW", "100"))

# Threads of a web process that run requests (minerpanel/http_handler.py): requests waiting on a rig
# (a command, a test of its address) or on the database past this many wait for a free one.
WEB_THREADS = int(envfloat("WEB_THREADS", 8))

# --- rigs and the poller
POLL_INTERVAL = envfloat("POLL_INTERVAL", 10.0)        # seconds between rounds
POLL_CONCURRENCY = int(envfloat("POLL_CONCURRENCY", 256))  # rigs asked at once
POLL_BACKLOG = int(envfloat("POLL_BACKLOG", 2000))  # rigs polled and not stored yet, at most (their replies in memory)
POLL_LEASE = envfloat("POLL_LEASE", 0)  # seconds a pollrigs holds its shard unrenewed; 0: max(30, 3 intervals)
RIG_CONNECT_TIMEOUT = envfloat("RIG_CONNECT_TIMEOUT", 2.0)
RIG_TIMEOUT = envfloat("RIG_TIMEOUT", 5.0)              # total deadline per request
RIG_MAX_REPLY = int(envfloat("RIG_MAX_REPLY", 4 * 1024 * 1024))
STALE_AFTER = envfloat("STALE_AFTER", 0)                # 0: three poll intervals
# SECTION.Field never stored, as miner.php's $hidefields, e.g. "POOL.User,POOL.URL"
HIDE_FIELDS = envlist("HIDE_FIELDS", [])
# Rig health (rigs/readings/health.py); temperatures can be set per rig
TEMP_WARN = envfloat("TEMP_WARN", 80.0)
TEMP_ERROR = envfloat("TEMP_ERROR", 90.0)
# the hottest chip (the ASIC drivers' `Chip Temp`), every kind: above what healthy machines run at (MicroBT's
# own API v3 example of a working M30S++ reads 100.3 °C), below where the firmwares stop their boards
TEMP_CHIP_WARN = envfloat("TEMP_CHIP_WARN", 105.0)
TEMP_CHIP_ERROR = envfloat("TEMP_CHIP_ERROR", 115.0)
HEALTH_HASHRATE_SHARE = envfloat("HEALTH_HASHRATE_SHARE", 0.8)  # below this share of its recent median: a warning
HEALTH_HW_PCT = envfloat("HEALTH_HW_PCT", 1.0)            # hardware errors, % of all results
HEALTH_REJECT_PCT = envfloat("HEALTH_REJECT_PCT", 5.0)    # rejected shares, %
# The built-in simulator under `make run` when no rig is configured.
DEMO_RIGS = envbool("DEMO_RIGS", True)
DEMO_BASE_PORT = int(envfloat("DEMO_BASE_PORT", 24280))  # below the kernel's ephemeral ports (32768+)
EMBEDDED_POLLER = envbool("EMBEDDED_POLLER", True)
# Rig discovery, miner.php's $mcast*: DISCOVERY=mcast also runs it on a schedule.
DISCOVERY = os.environ.get("DISCOVERY", "")
if DISCOVERY not in ("", "mcast"):
    raise ValueError(f"DISCOVERY is 'mcast' or empty, not {DISCOVERY!r}")
DISCOVERY_INTERVAL = envfloat("DISCOVERY_INTERVAL", 600)  # seconds between scheduled discoveries
MCAST_ADDR = os.environ.get("MCAST_ADDR", "224.0.0.75")
MCAST_PORT = int(envfloat("MCAST_PORT", 4028))
MCAST_CODE = os.environ.get("MCAST_CODE", "FTW")
MCAST_LISTEN_PORT = int(envfloat("MCAST_LISTEN_PORT", 4027))
MCAST_TIMEOUT = envfloat("MCAST_TIMEOUT", 1.5)
MCAST_RETRIES = int(envfloat("MCAST_RETRIES", 0))
MCAST_EXPECT = int(envfloat("MCAST_EXPECT", 0))  # warn when fewer rigs answer

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusals": {"()": "minerpanel.logs.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"},
                 "requests": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"daphne": {"level": "WARNING"}, "django.channels.server": {"level": "WARNING"},
                "django.request": {"handlers": ["requests"], "propagate": False},
                "django.security": {"handlers": ["requests"], "propagate": False}},
}

# History, alerts, notifications, metrics (issue 13)
HISTORY = envbool("HISTORY", True)
HISTORY_1M_HOURS = envfloat("HISTORY_1M_HOURS", 48)     # 1-minute points kept
HISTORY_15M_DAYS = envfloat("HISTORY_15M_DAYS", 60)     # 15-minute roll-ups kept
HISTORY_1H_DAYS = envfloat("HISTORY_1H_DAYS", 730)      # 1-hour roll-ups kept
ALERTS = envbool("ALERTS", True)
NOTIFY_RETRIES = int(envfloat("NOTIFY_RETRIES", 5))     # tries after the first
NOTIFY_BACKOFF = envfloat("NOTIFY_BACKOFF", 30)         # seconds before the first retry, doubling
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")    # /metrics with "Authorization: Bearer <token>"
METRICS_ALLOW = envlist("METRICS_ALLOW", ["127.0.0.1/32", "::1/128"])  # ... or from these networks

# Sites, racks, the rack map and maintenance (farm/)
FARM_CSV_MAX_BYTES = int(envfloat("FARM_CSV_MAX_BYTES", 5 * 1024 * 1024))  # a placement CSV larger is refused
FARM_CSV_MAX_ROWS = int(envfloat("FARM_CSV_MAX_ROWS", 100_000))             # ... and one with more lines
MAP_PUSH_GAP = envfloat("MAP_PUSH_GAP", 5)           # seconds between two live pushes of the rack map, at least
MAP_WALL_SECONDS = int(envfloat("MAP_WALL_SECONDS", 30))  # a wall screen (/map/?wall=1) shows each site this long

# Automation, curtailment, price feeds, energy (issue 26 §3-5, 7): the defaults of the one "Automation
# settings" row (the admin edits it; these apply until it is first saved)
AUTOMATION_ENABLED = envbool("AUTOMATION_ENABLED", False)      # the global switch: off until an operator turns it on
AUTOMATION_DRY_RUN = envbool("AUTOMATION_DRY_RUN", True)       # when on: only record what the rules would do
AUTOMATION_MAX_PER_HOUR = int(envfloat("AUTOMATION_MAX_PER_HOUR", 3))   # actions per rig per hour, at most
AUTOMATION_SITE_PERCENT = envfloat("AUTOMATION_SITE_PERCENT", 10)       # % of a site's rigs acted on at once
AUTOMATION_COOLDOWN_MINUTES = envfloat("AUTOMATION_COOLDOWN_MINUTES", 15)  # after each action on a rig
AUTOMATION_IN_POLLER = envbool("AUTOMATION_IN_POLLER", True)   # on the lead poller's rounds (else: `automate`)
PRICE_FEED_TIMEOUT = envfloat("PRICE_FEED_TIMEOUT", 10)        # seconds for one price feed request, all in
PRICE_FEED_MAX_BYTES = int(envfloat("PRICE_FEED_MAX_BYTES", 1024 * 1024))  # a longer reply is refused
ENERGY_CURRENCY = os.environ.get("ENERGY_CURRENCY", "USD")     # the tariffs' and price feeds' currency, as shown

"""Configuration, read from ``MUTUALAID_*`` environment variables with defaults."""

from __future__ import annotations

import os


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"MUTUALAID_{name}", default)


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    """``DATABASE_URL`` (also read as ``MUTUALAID_DATABASE_URL``); SQLite by default."""
    url = os.environ.get("DATABASE_URL") or _env("DATABASE_URL") or "sqlite:///mutualaid.sqlite"
    # Heroku-style URLs and plain ``postgresql://`` go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    #: Signs sessions, CSRF tokens and emailed links. Required outside debug and tests; the
    #: ``mutualaid`` console script (the embedded setup) makes one in the instance folder instead.
    SECRET_KEY = _env("SECRET_KEY")
    #: Keep a generated key in ``instance/secret_key`` (mode 0600) when none is set.
    SECRET_KEY_FROM_INSTANCE = False
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: Seconds a page form stays valid (its CSRF token's lifetime): four hours, long enough for
    #: someone who types slowly or is interrupted; an expired form says so and keeps nothing.
    WTF_CSRF_TIME_LIMIT = int(_env("CSRF_SECONDS", "14400") or 14400)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", False)
    MAX_CONTENT_LENGTH = 1024 * 1024

    #: Lifetime of the emailed links: confirming an address, and choosing a new password.
    VERIFY_EMAIL_HOURS = int(_env("VERIFY_EMAIL_HOURS", "72") or 72)
    RESET_PASSWORD_MINUTES = int(_env("RESET_PASSWORD_MINUTES", "60") or 60)
    #: Days after a need is closed (fulfilled, cancelled, expired) before its address is erased.
    RETENTION_DAYS = int(_env("RETENTION_DAYS", "90") or 90)
    #: Lifetime of an API bearer token, in hours.
    TOKEN_HOURS = int(_env("TOKEN_HOURS", "24") or 24)
    #: Start the APScheduler jobs inside the web process (the embedded default).
    SCHEDULER_ENABLED = _bool("SCHEDULER", False)
    #: Minutes between scheduled matching runs for every group.
    MATCHING_INTERVAL_MINUTES = int(_env("MATCHING_INTERVAL_MINUTES", "15") or 15)
    #: Seconds between outbox deliveries.
    OUTBOX_INTERVAL_SECONDS = int(_env("OUTBOX_INTERVAL_SECONDS", "60") or 60)

    #: Seconds after which a run with no sign of life (SQLite), or a run still queued, is marked
    #: abandoned (on PostgreSQL a running run is abandoned as soon as its process is gone).
    MATCHING_LOCK_SECONDS = int(_env("MATCHING_LOCK_SECONDS", "900") or 900)
    #: Where runs started from a page or the API are processed: ``thread`` (a pool in the web
    #: process) or ``inline`` (in the request); see mutualaid/executor.py.
    RUN_EXECUTOR = _env("RUN_EXECUTOR", "thread")
    RUN_WORKERS = int(_env("RUN_WORKERS", "2") or 2)
    #: Delivery attempts before a mail is marked failed, and the first retry delay (doubling).
    #: The defaults retry 1, 2, 4 ... 32 minutes apart, then hourly: 36 attempts over ~30 hours.
    MAIL_MAX_ATTEMPTS = int(_env("MAIL_MAX_ATTEMPTS", "36") or 36)
    MAIL_BACKOFF_SECONDS = int(_env("MAIL_BACKOFF_SECONDS", "60") or 60)
    MAIL_BACKOFF_CAP_SECONDS = int(_env("MAIL_BACKOFF_CAP_SECONDS", "3600") or 3600)
    #: Argon2id cost parameters (argon2-cffi's defaults: RFC 9106 low-memory profile).
    ARGON2_TIME_COST = int(_env("ARGON2_TIME_COST", "3") or 3)
    ARGON2_MEMORY_COST = int(_env("ARGON2_MEMORY_COST", "65536") or 65536)

    #: Cache of rendered page fragments (the coordinator's lists): each worker process keeps its
    #: own in memory, unless a Redis URL is given, which every worker then shares. Entries are
    #: keyed by their group's data version, so a write never leaves a stale one in use.
    CACHE_TYPE = "RedisCache" if _env("CACHE_REDIS_URL") else "SimpleCache"
    CACHE_REDIS_URL = _env("CACHE_REDIS_URL")
    CACHE_KEY_PREFIX = _env("CACHE_KEY_PREFIX", "mutualaid:")
    CACHE_DEFAULT_TIMEOUT = int(_env("CACHE_SECONDS", "300") or 300)
    CACHE_THRESHOLD = 2000  # entries of the in-memory cache

    #: Rate limits (Flask-Limiter syntax; see web/limits.py). Counters in memory unless a Redis
    #: URL is given, which every worker then shares.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_LIMIT_PER_ADDRESS = _env("LOGIN_LIMIT_PER_ADDRESS", "30 per minute;300 per hour")
    LOGIN_LIMIT_PER_ACCOUNT = _env("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
    REGISTER_LIMIT_PER_ADDRESS = _env("REGISTER_LIMIT_PER_ADDRESS", "10 per hour;50 per day")
    REGISTER_LIMIT_PER_ACCOUNT = _env("REGISTER_LIMIT_PER_ACCOUNT", "3 per hour;10 per day")
    #: Asking for a reset link, and using one (or changing a password, or erasing an account).
    RESET_LIMIT_PER_ADDRESS = _env("RESET_LIMIT_PER_ADDRESS", "10 per hour;50 per day")
    RESET_LIMIT_PER_ACCOUNT = _env("RESET_LIMIT_PER_ACCOUNT", "3 per hour;10 per day")

    #: Mail: with no SMTP host, mail is written to ``MAIL_FILE_DIR`` instead.
    SMTP_HOST = _env("SMTP_HOST")
    SMTP_PORT = int(_env("SMTP_PORT", "25") or 25)
    SMTP_USER = _env("SMTP_USER")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    MAIL_FROM = _env("MAIL_FROM", "mutualaid <no-reply@mutualaid.invalid>")
    MAIL_FILE_DIR = _env("MAIL_FILE_DIR", "outbox")
    BASE_URL = _env("BASE_URL", "http://127.0.0.1:5000")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
    SQLALCHEMY_DATABASE_URI = database_url() if os.environ.get("DATABASE_URL") else "sqlite://"
    WTF_CSRF_ENABLED = False
    SCHEDULER_ENABLED = False
    # Runs finish before the request answers (202 all the same); tests of the thread pool and
    # of served apps choose ``thread``.
    RUN_EXECUTOR = "inline"
    # The suite logs in from one address many times a second; tests/test_rate_limits.py turns
    # the limits on with small figures.
    RATELIMIT_ENABLED = False
    # Cheap hashing: the tests check behaviour, not the strength of the hash.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024

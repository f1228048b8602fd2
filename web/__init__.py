"""The Flask application: JSON API under ``/api/v1`` and server-rendered pages."""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from flask import Flask, request

from mutualaid import audit, freshness
from mutualaid.config import Config
from mutualaid.extensions import (
    cache,
    configure_sqlite,
    db,
    intend_to_write,
    login_manager,
    migrate,
)

MIGRATIONS_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations"
)


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` is a config class or a mapping of overrides (tests)."""
    app = Flask(__name__, template_folder="pages/templates", static_folder="pages/static")
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    _require_secret_key(app)
    _engine_cache(app)
    if not os.path.isabs(app.config["MAIL_FILE_DIR"]):  # beside the default SQLite file
        app.config["MAIL_FILE_DIR"] = os.path.join(app.instance_path, app.config["MAIL_FILE_DIR"])

    db.init_app(app)
    cache.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    with app.app_context():
        audit.install(db.session.session_factory.class_)
        freshness.install(db.session.session_factory.class_)
        configure_sqlite(db.engine)

    from flask_wtf.csrf import CSRFProtect

    csrf = CSRFProtect(app)

    login_manager.init_app(app)
    login_manager.login_view = "pages.login"
    login_manager.login_message = "Please log in to continue."

    from . import auth, errors, security

    auth.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    from . import api
    from .pages import bp as pages_bp

    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, never cookies
    api.init_app(app)
    app.register_blueprint(pages_bp)

    from mutualaid import executor

    executor.init_app(app)

    from . import cli, limits

    limits.init_app(app)
    cli.init_app(app)

    @app.get("/healthz")
    def healthz():
        import sqlalchemy as sa

        db.session.execute(sa.text("SELECT 1"))
        return {"status": "ok"}

    _install_transaction_boundary(app)

    if app.config.get("SCHEDULER_ENABLED"):
        from mutualaid import scheduler

        scheduler.start_in_process(app)
    return app


def _engine_cache(app: Flask) -> None:
    """Keep the matching engine's compiled code in ``instance/numba-cache``.

    The engine compiles its core with numba on first use and caches the machine code on disk;
    under the instance folder every run after the first loads it (no compilation), and a
    read-only installation still has a writable cache. An explicit ``NUMBA_CACHE_DIR`` wins.
    numba reads the setting when the engine's module is first imported, which the app does
    only inside a matching run, after this.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    path = os.path.join(app.instance_path, "numba-cache")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:  # numba keeps its own default locations
        return
    os.environ["NUMBA_CACHE_DIR"] = path
    numba = sys.modules.get("numba")
    if numba is not None:  # already imported: its configuration has read the environment
        numba.config.CACHE_DIR = path


#: Keys that were once defaults or examples: anyone can sign a session cookie with them.
_KNOWN_KEYS = frozenset({"dev-only-change-me", "change-me", "secret", "dev", "test"})
_MIN_KEY_LENGTH = 32
_HOW_TO_MAKE_A_KEY = (
    "Set MUTUALAID_SECRET_KEY to a long random value, for example the output of "
    "python3 -c 'import secrets; print(secrets.token_hex(32))'."
)


class InsecureSecretKey(RuntimeError):
    """The app would sign sessions with a missing or guessable key."""


def _require_secret_key(app: Flask) -> None:
    """Refuse to start without a real signing key, outside debug and tests.

    A guessable key lets anyone forge a session cookie for any account, the admin's included.
    The ``mutualaid`` console script (the embedded setup) sets ``SECRET_KEY_FROM_INSTANCE``: a
    random key is made once and kept in ``instance/secret_key``, readable by its owner only.
    """
    key = app.config.get("SECRET_KEY")
    if app.testing or app.debug:
        if not key:
            app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if key:
        if key in _KNOWN_KEYS or len(key) < _MIN_KEY_LENGTH:
            raise InsecureSecretKey(
                f"MUTUALAID_SECRET_KEY is too easy to guess (at least {_MIN_KEY_LENGTH} random "
                f"characters are needed). {_HOW_TO_MAKE_A_KEY}"
            )
        return
    if app.config.get("SECRET_KEY_FROM_INSTANCE"):
        app.config["SECRET_KEY"] = _instance_key(os.path.join(app.instance_path, "secret_key"))
        return
    raise InsecureSecretKey(f"MUTUALAID_SECRET_KEY is not set. {_HOW_TO_MAKE_A_KEY}")


def _instance_key(path: str) -> str:
    """The key kept at ``path``, made (mode 0600) on first use."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as f:
            key = f.read().strip()
        if len(key) < _MIN_KEY_LENGTH:
            raise InsecureSecretKey(
                f"{path} holds no usable key; delete it to make a new one."
            ) from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def _install_transaction_boundary(app: Flask) -> None:
    """One transaction per request: commit a successful response, roll back anything else."""

    def _declare_writes():
        intend_to_write(request.method not in ("GET", "HEAD", "OPTIONS"))

    # First of all: the hooks before it (who is asking, for the audit trail) read the
    # database, and on SQLite the transaction's kind is decided by its first statement.
    app.before_request_funcs.setdefault(None, []).insert(0, _declare_writes)

    from .errors import is_unavailable, unavailable_response

    @app.after_request
    def _commit(response):
        try:
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except Exception as exc:  # the connection was lost at the commit: nothing was saved
            if not is_unavailable(exc):
                raise
            _rollback_quietly()
            return unavailable_response()
        return response

    @app.teardown_request
    def _rollback(exc):
        if exc is not None:
            _rollback_quietly()
        intend_to_write(False)

    def _rollback_quietly() -> None:
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; the pool replaces it on next checkout
            app.logger.debug("Rollback failed", exc_info=True)

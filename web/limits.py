"""Rate limits on the doors that take a password or make an account (Flask-Limiter).

Each limited view is limited twice: per client address, and per account (the email in the form or
JSON body), the second counting failed attempts only, so a person who types their password right
is never slowed by someone guessing at it. A limited request answers 429 with ``Retry-After``.

Counters live in memory by default (one process); set ``MUTUALAID_RATELIMIT_STORAGE_URI`` to a
Redis URL (``redis://127.0.0.1:6379/0``) so that every worker shares them. Behind a reverse proxy,
set ``MUTUALAID_PROXY_HOPS`` so the client address is the one the proxy saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: endpoint -> (per-address config key, per-account config key or None)
LIMITED_VIEWS: dict[str, tuple[str, str | None]] = {
    "pages.login": ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT"),
    "api.token": ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT"),
    "pages.register": ("REGISTER_LIMIT_PER_ADDRESS", "REGISTER_LIMIT_PER_ACCOUNT"),
    "api.register": ("REGISTER_LIMIT_PER_ADDRESS", "REGISTER_LIMIT_PER_ACCOUNT"),
    # Asking for a reset link, using one, and every other door that takes a password.
    "pages.forgot_password": ("RESET_LIMIT_PER_ADDRESS", "RESET_LIMIT_PER_ACCOUNT"),
    "api.request_reset": ("RESET_LIMIT_PER_ADDRESS", "RESET_LIMIT_PER_ACCOUNT"),
    "pages.reset_password": ("RESET_LIMIT_PER_ADDRESS", None),
    "api.reset_password": ("RESET_LIMIT_PER_ADDRESS", None),
    "pages.account_password": ("RESET_LIMIT_PER_ADDRESS", None),
    "api.change_password": ("RESET_LIMIT_PER_ADDRESS", None),
    "pages.delete_account": ("RESET_LIMIT_PER_ADDRESS", None),
    "api.erase_me": ("RESET_LIMIT_PER_ADDRESS", None),
}


def _account_key() -> str:
    """The account an attempt is about: the email it names, else the client address."""
    email: Any = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if isinstance(email, str) and email.strip():
        return "account:" + email.strip().casefold()[:254]
    return "address:" + get_remote_address()


TOO_MANY = (
    "Too many attempts from here or for this account. Wait a little (see Retry-After) "
    "and try again."
)


def _failed(response: Response) -> bool:
    return response.status_code >= 400


def init_app(app: Flask) -> Limiter:
    """Attach a limiter of this app's own and wrap the limited views (call after the blueprints)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        headers_enabled=True,
        key_prefix="mutualaid",
    )
    for endpoint, (per_address, per_account) in LIMITED_VIEWS.items():
        view: Callable[..., Any] = app.view_functions[endpoint]  # KeyError: a renamed view
        view = limiter.limit(
            app.config[per_address], scope=per_address.lower(), error_message=TOO_MANY
        )(view)
        if per_account:
            view = limiter.limit(
                app.config[per_account],
                key_func=_account_key,
                deduct_when=_failed,
                scope=per_account.lower(),
                error_message=TOO_MANY,
            )(view)
        app.view_functions[endpoint] = view
    app.extensions["mutualaid.limiter"] = limiter  # the app holds only a weak reference to it
    return limiter

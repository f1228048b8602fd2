"""Every error in one shape: ``{code, status, message, errors}`` for the API; pages for browsers."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from mutualaid.errors import DomainError
from mutualaid.extensions import db

from ._messages import flatten_messages

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, code: str, message: str, errors: dict | None = None):
    if wants_json():
        body = {"code": code, "status": status, "message": message, "errors": errors or {}}
        return jsonify(body), status
    return render_template(
        "error.html", status=status, message=message, errors=errors or {}
    ), status


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")


def _is_contention(exc: DBAPIError) -> bool:
    """SQLite's busy timeout ran out, or PostgreSQL broke a deadlock or lock wait: safe to retry."""
    if "database is locked" in str(exc.orig):
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40P01", "40001", "55P03"}


#: PostgreSQL's codes for a connection lost or refused: the server shut down, restarted, or
#: terminated the session; too many connections; the database is starting up.
_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300"}


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached, or dropped the connection: busy, try again (503)."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or _is_contention(exc):
        return True
    state = getattr(exc.orig, "sqlstate", None) or ""
    if state.startswith("08") or state in _UNAVAILABLE_STATES:
        return True
    # psycopg names no state when the socket itself failed (refused, closed, reset)
    return (
        isinstance(exc, OperationalError)
        and not state
        and type(exc.orig).__module__.startswith("psycopg")
    )


def unavailable_response():
    """503 with ``Retry-After``: nothing was saved, and the client may try again."""
    message = "The service is busy; nothing was saved. Try again in a moment."
    try:
        body, status = error_response(503, "busy", message)
    except Exception:  # a page that needs the database (the logged-in user) cannot render
        body, status = f"<!doctype html><title>Busy</title><p>{message}</p>", 503
    response = make_response(body, status)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


#: Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5


def _validation_messages(exc: HTTPException) -> dict[str, list[str]] | None:
    """The field messages of a request that a schema refused (webargs' 422), else ``None``.

    webargs files them under the part of the request they came from (``{"json": {...}}``);
    the clients have always had them by field path alone.
    """
    data = getattr(exc, "data", None)
    if not isinstance(data, dict) or "messages" not in data:
        return None
    by_location = data["messages"]
    return flatten_messages(
        list(by_location.values()) if isinstance(by_location, dict) else by_location
    )


def domain_error(exc: DomainError):
    _rollback_quietly()
    return error_response(exc.status, exc.code, exc.message, exc.errors)


def validation_error(exc: ValidationError):
    _rollback_quietly()
    return error_response(
        422, "validation_error", "The request has invalid fields.", flatten_messages(exc.messages)
    )


def http_error(exc: HTTPException):
    """Werkzeug's and webargs' HTTP errors (the API's :class:`~web.api.Api` uses this one too)."""
    _rollback_quietly()
    status = exc.code or 500
    original = getattr(exc, "original_exception", None)
    if status == 500 and original is not None and is_unavailable(original):
        return unavailable_response()
    field_errors = _validation_messages(exc)
    if field_errors is not None:
        return error_response(
            status, "validation_error", "The request has invalid fields.", field_errors
        )
    message = exc.description or exc.name
    if (
        status == 400
        and request.is_json is False
        and "Failed to decode JSON" in (exc.description or "")
    ):
        message = "The request body is not valid JSON."
    body, status = error_response(status, _slug(exc.name), message)
    response = make_response(body, status)
    allowed = getattr(exc, "valid_methods", None)
    if allowed:  # 405 must say what is allowed (RFC 9110)
        response.headers["Allow"] = ", ".join(allowed)
    return response


def csrf_error(exc: CSRFError):
    """A page form refused for its CSRF token; an expired one is explained kindly."""
    if "expired" not in (exc.description or "") or wants_json():
        return http_error(exc)
    db.session.rollback()
    hours = max(1, int(current_app.config.get("WTF_CSRF_TIME_LIMIT") or 3600) // 3600)
    back = urlsplit(request.referrer or "")
    again = (
        back.path
        if back.netloc == request.host and back.path.startswith("/") and back.path != request.path
        else request.path
        if request.url_rule is not None and "GET" in (request.url_rule.methods or ())
        else url_for("pages.home")
    )
    return render_template("form_expired.html", hours=hours, again=again), 400


def busy(exc: DBAPIError):
    _rollback_quietly()
    if not is_unavailable(exc):
        return unexpected(exc)
    log.warning("Database unavailable on %s %s: %s", request.method, request.path, exc.orig)
    return unavailable_response()


def _rollback_quietly() -> None:
    """Roll back; with the connection gone, the rollback itself may fail, and that is fine."""
    try:
        db.session.rollback()
    except Exception:
        log.debug("Rollback after a lost connection failed", exc_info=True)


def unexpected(exc: Exception):
    _rollback_quietly()
    if any(is_unavailable(e) for e in (exc, exc.__cause__, exc.__context__) if e is not None):
        log.warning("Database unavailable on %s %s: %r", request.method, request.path, exc)
        return unavailable_response()
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(
        500, "internal_error", "Something went wrong on our side; nothing was saved."
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(ValidationError, validation_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(DBAPIError, busy)
    app.register_error_handler(PoolTimeout, busy)
    app.register_error_handler(Exception, unexpected)

"""Every error in one shape: ``{code, status, message, errors}`` for the API; pages for browsers."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
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


def _is_contention(exc: OperationalError) -> bool:
    """SQLite's busy timeout ran out, or PostgreSQL broke a deadlock or lock wait: safe to retry."""
    if "database is locked" in str(exc.orig):
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40P01", "40001", "55P03"}


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
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, exc.errors)


def validation_error(exc: ValidationError):
    db.session.rollback()
    return error_response(
        422, "validation_error", "The request has invalid fields.", flatten_messages(exc.messages)
    )


def http_error(exc: HTTPException):
    """Werkzeug's and webargs' HTTP errors (the API's :class:`~web.api.Api` uses this one too)."""
    db.session.rollback()
    status = exc.code or 500
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


def busy(exc: OperationalError):
    db.session.rollback()
    if not _is_contention(exc):
        return unexpected(exc)
    body, status = error_response(
        503, "busy", "The service is busy; nothing was saved. Try again in a moment."
    )
    response = make_response(body, status)
    response.headers["Retry-After"] = "5"
    return response


def unexpected(exc: Exception):
    db.session.rollback()
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(
        500, "internal_error", "Something went wrong on our side; nothing was saved."
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error)
    app.register_error_handler(ValidationError, validation_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(OperationalError, busy)
    app.register_error_handler(Exception, unexpected)

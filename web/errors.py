"""Every error in one shape: ``{code, status, message, errors}`` for the API, a page for browsers."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from mutualaid.errors import DomainError
from mutualaid.extensions import db

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
    """SQLite's busy timeout ran out, or PostgreSQL broke a deadlock or a lock wait: safe to retry."""
    if "database is locked" in str(exc.orig):
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40P01", "40001", "55P03"}


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.errors)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        db.session.rollback()
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return error_response(422, "validation_error", "The request has invalid fields.", messages)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        message = exc.description or exc.name
        if (
            status == 400
            and request.is_json is False
            and "Failed to decode JSON" in (exc.description or "")
        ):
            message = "The request body is not valid JSON."
        body, status = error_response(status, _slug(exc.name), message)
        response = make_response(body, status)
        if getattr(exc, "valid_methods", None):  # 405 must say what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    def _busy(exc: OperationalError):
        db.session.rollback()
        if not _is_contention(exc):
            return _unexpected(exc)
        body, status = error_response(
            503, "busy", "The service is busy; nothing was saved. Try again in a moment."
        )
        response = make_response(body, status)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(
            500, "internal_error", "Something went wrong on our side; nothing was saved."
        )

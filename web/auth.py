"""Who is asking: a session cookie for pages, a bearer token for the API."""

from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user

from mutualaid import audit
from mutualaid.errors import Unauthorized
from mutualaid.extensions import db, login_manager
from mutualaid.models import Person
from mutualaid.services import accounts


@login_manager.user_loader
def _load_user(user_id: str) -> Person | None:
    """The session's person, while the session's version is the account's current one.

    A session names ``"<id>:<version>"`` (:meth:`Person.get_id`). Logging out, changing the
    password, deactivation and erasure raise the account's version, so every cookie issued
    before is refused from then on, wherever it was copied to.
    """
    person_id, _, version = user_id.partition(":")
    try:
        person = db.session.get(Person, int(person_id)) if len(person_id) < 12 else None
        wanted = int(version)
    except ValueError:
        return None
    if person is None or not person.is_active_account or person.session_version != wanted:
        return None
    return person


def api_token() -> str | None:
    """The bearer token the request carries, if any."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def api_user() -> Person | None:
    """The person named by the request's bearer token, if any and valid."""
    if "api_user" not in g:
        token = api_token()
        g.api_user = accounts.person_for_token(token) if token else None
    return g.api_user


def require_api_user() -> Person:
    person = api_user()
    if person is None:
        raise Unauthorized(
            "Log in: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token."
        )
    return person


def init_app(app: Flask) -> None:
    @app.before_request
    def _set_actor():
        person = None
        if request.path.startswith("/api/"):
            person = api_user()
        elif current_user.is_authenticated:
            person = current_user
        audit.set_actor(person.id if person is not None else None)

    @app.teardown_request
    def _clear_actor(exc):
        audit.set_actor(None)  # a thread serves many requests; the actor is this one's only

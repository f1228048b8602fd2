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
    try:
        person = db.session.get(Person, int(user_id))
    except ValueError:
        return None
    return person if person is not None and person.is_active_account else None


def api_user() -> Person | None:
    """The person named by the request's bearer token, if any and valid."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        person = None
        if header[:7].lower() == "bearer ":
            person = accounts.person_for_token(header[7:].strip())
        g.api_user = person
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

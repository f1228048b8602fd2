"""Accounts and bearer tokens."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import current_app

from mutualaid.models import Person
from mutualaid.schemas import PersonSchema, RegisterSchema, TokenRequestSchema, TokenSchema
from mutualaid.services import accounts

from . import bp


@bp.post("/auth/register")
@bp.errors(409)
@bp.arguments(RegisterSchema)
@bp.response(201, PersonSchema, description="The new account.")
def register(data: dict[str, Any]) -> Person:
    """Create an account."""
    return accounts.register(data["email"], data["password"], data["name"], data.get("phone"))


@bp.post("/auth/token")
@bp.errors(401)
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema, description="A token.")
def token(data: dict[str, Any]) -> dict[str, Any]:
    """Get a bearer token for an email and password.

    Send it as `Authorization: Bearer <token>` until `expires_at`.
    """
    person = accounts.authenticate(data["email"], data["password"])
    raw, row = accounts.issue_token(person, current_app.config["TOKEN_HOURS"])
    return {"token": raw, "expires_at": row.expires_dt.replace(tzinfo=UTC)}


@bp.get("/me")
@bp.login_required
@bp.response(200, PersonSchema, description="The account.")
def me(person: Person) -> Person:
    """The account of the token's holder."""
    return person

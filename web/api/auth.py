"""Accounts and bearer tokens."""

from __future__ import annotations

from datetime import UTC

from flask import current_app

from mutualaid.schemas import PersonSchema, RegisterSchema, TokenRequestSchema, TokenSchema
from mutualaid.services import accounts

from ..auth import require_api_user
from . import bp
from ._util import body


@bp.post("/auth/register")
def register():
    """Create an account.
    ---
    post:
      tags: [auth]
      requestBody:
        required: true
        content:
          application/json:
            schema: RegisterSchema
      responses:
        201:
          description: The new account.
          content:
            application/json:
              schema: PersonSchema
        400: BadRequest
        409: Conflict
        422: ValidationError
    """
    data = body(RegisterSchema())
    person = accounts.register(data["email"], data["password"], data["name"], data.get("phone"))
    return PersonSchema().dump(person), 201


@bp.post("/auth/token")
def token():
    """Get a bearer token for an email and password.
    ---
    post:
      tags: [auth]
      description: "Send it as `Authorization: Bearer <token>` until `expires_at`."
      requestBody:
        required: true
        content:
          application/json:
            schema: TokenRequestSchema
      responses:
        200:
          description: A token.
          content:
            application/json:
              schema: TokenSchema
        400: BadRequest
        401: Unauthorized
        422: ValidationError
    """
    data = body(TokenRequestSchema())
    person = accounts.authenticate(data["email"], data["password"])
    raw, row = accounts.issue_token(person, current_app.config["TOKEN_HOURS"])
    return TokenSchema().dump(
        {"token": raw, "expires_at": row.expires_dt.replace(tzinfo=UTC)}
    )


@bp.get("/me")
def me():
    """The account of the token's holder.
    ---
    get:
      tags: [auth]
      security: [{bearerAuth: []}]
      responses:
        200:
          description: The account.
          content:
            application/json:
              schema: PersonSchema
        401: Unauthorized
    """
    return PersonSchema().dump(require_api_user())

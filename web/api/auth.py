"""Accounts and bearer tokens: register, confirm the address, log in and out, reset a password."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import current_app

from mutualaid.models import Person
from mutualaid.schemas import RegisterSchema, TokenRequestSchema, TokenSchema
from mutualaid.schemas.accounts import (
    EmailInSchema,
    LinkTokenInSchema,
    MessageSchema,
    PersonSchema,
    ResetInSchema,
)
from mutualaid.services import accounts

from ..auth import api_token
from . import bp


@bp.post("/auth/register")
@bp.arguments(RegisterSchema)
@bp.response(202, MessageSchema, description="The same answer whether or not the email is new.")
def register(data: dict[str, Any]) -> dict[str, str]:
    """Create an account; a link to confirm the address is emailed.

    The answer is the same for an email that already has an account (whose owner is emailed
    instead), so it tells no one who has an account. Log in at once; your needs and offers are
    published once the address is confirmed.
    """
    accounts.register(data["email"], data["password"], data["name"], data.get("phone"))
    return {"message": accounts.REGISTERED}


@bp.post("/auth/verify-email")
@bp.arguments(LinkTokenInSchema)
@bp.response(200, PersonSchema, description="The account, its address confirmed.")
def verify_email(data: dict[str, Any]) -> Person:
    """Confirm an email address with the token from the emailed link (`/verify-email/<token>`)."""
    return accounts.confirm_email(data["token"])


@bp.post("/auth/verify-email/resend")
@bp.login_required
@bp.response(202, MessageSchema, description="A new link was emailed (if still needed).")
def resend_verification(person: Person) -> dict[str, str]:
    """Email a new link to confirm your address."""
    if not person.is_verified:
        accounts.send_verification(person)
    return {"message": "If your address still needed confirming, a new link is on its way."}


@bp.post("/auth/token")
@bp.errors(401)
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema, description="A token.")
def token(data: dict[str, Any]) -> dict[str, Any]:
    """Get a bearer token for an email and password.

    Send it as `Authorization: Bearer <token>` until `expires_at`, or until you revoke it
    (`DELETE /auth/token`).
    """
    person = accounts.authenticate(data["email"], data["password"])
    raw, row = accounts.issue_token(person, current_app.config["TOKEN_HOURS"])
    return {"token": raw, "expires_at": row.expires_dt.replace(tzinfo=UTC)}


@bp.delete("/auth/token")
@bp.login_required
@bp.response(204, description="The token no longer works.")
def revoke_token(person: Person) -> None:
    """Log out: revoke the token this request is sent with."""
    row = accounts.token_row(api_token() or "")
    if row is not None:
        accounts.revoke_token(person, row.id)


@bp.post("/auth/password-reset")
@bp.arguments(EmailInSchema)
@bp.response(202, MessageSchema, description="The same answer whether or not the account exists.")
def request_reset(data: dict[str, Any]) -> dict[str, str]:
    """Ask for a link to choose a new password (it works once, within an hour)."""
    accounts.request_password_reset(data["email"])
    return {"message": accounts.RESET_REQUESTED}


@bp.post("/auth/password-reset/confirm")
@bp.arguments(ResetInSchema)
@bp.response(204, description="The password is changed; every session and token has ended.")
def reset_password(data: dict[str, Any]) -> None:
    """Choose a new password with the token from the emailed link (`/password/reset/<token>`)."""
    accounts.reset_password(data["token"], data["password"])

"""Your account: profile, password, tokens, your data (export and erasure); admins deactivate."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from mutualaid.errors import Forbidden, NotFound
from mutualaid.extensions import db
from mutualaid.models import MAX_ID, Person, utcnow
from mutualaid.schemas.accounts import (
    PasswordChangeInSchema,
    PasswordInSchema,
    PersonSchema,
    ProfileInSchema,
    TokenListSchema,
)
from mutualaid.schemas.commitments import AvailabilityInSchema, AvailabilityOutSchema
from mutualaid.services import accounts, commitments, needs_digest, privacy

from ..auth import api_token
from . import bp


@bp.get("/me")
@bp.login_required
@bp.response(200, PersonSchema, description="The account.")
def me(person: Person) -> Person:
    """The account of the token's holder."""
    return person


@bp.patch("/me")
@bp.login_required
@bp.arguments(ProfileInSchema)
@bp.response(200, PersonSchema, description="The account, changed.")
def update_me(data: dict[str, Any], person: Person) -> Person:
    """Change your name, phone or email, or opt in to the daily digest of new needs.

    A new email is emailed a link, and changes once it is confirmed; until then `email` is the
    old one. The answer is the same whether or not another account has the new address.
    `needs_digest: true` emails you once a day the new needs your offers could take.
    """
    wanted = data.pop("needs_digest", None)
    accounts.update_profile(person, data)
    if wanted is not None:
        needs_digest.set_needs_digest(person, wanted)
    return person


@bp.get("/me/availability")
@bp.login_required
@bp.response(200, AvailabilityOutSchema, description="Your pause and weekly limit.")
def get_availability(person: Person) -> dict[str, Any]:
    """Your pause (away until a day) and your weekly limit, across all your offers."""
    return commitments.limits_view(person, utcnow().date())


@bp.patch("/me/availability")
@bp.login_required
@bp.arguments(AvailabilityInSchema)
@bp.response(200, AvailabilityOutSchema, description="Your pause and weekly limit, changed.")
def update_availability(data: dict[str, Any], person: Person) -> dict[str, Any]:
    """Pause until a day (a holiday) or set a weekly limit: at most N tasks or H hours a week.

    They hold across all your offers and groups: matching proposes nothing that clashes with
    them, and approval refuses (409) what would. `null` clears either. A pause in the past or a
    limit below 1 is a 422 naming the field, and nothing changes.
    """
    today = utcnow().date()
    commitments.set_limits(person, data, today)
    return commitments.limits_view(person, today)


@bp.post("/me/password")
@bp.login_required
@bp.arguments(PasswordChangeInSchema)
@bp.response(204, description="Changed; every other session and token has ended.")
def change_password(data: dict[str, Any], person: Person) -> None:
    """Change your password: every session and every other token ends; this token goes on."""
    row = accounts.token_row(api_token() or "")
    accounts.change_password(
        person, data["current_password"], data["password"], row.id if row else None
    )


@bp.get("/me/tokens")
@bp.login_required
@bp.response(200, TokenListSchema, description="Your tokens that still work.")
def list_tokens(person: Person) -> dict[str, Any]:
    """Your bearer tokens that still work, newest first."""
    current = accounts.token_row(api_token() or "")
    return {
        "items": [
            {
                "id": row.id,
                "created_at": row.created_dt,
                "expires_at": row.expires_dt,
                "current": current is not None and row.id == current.id,
            }
            for row in accounts.active_tokens(person)
        ]
    }


@bp.delete("/me/tokens/<int:token_id>")
@bp.login_required
@bp.response(204, description="The token no longer works.")
def revoke_token_by_id(token_id: int, person: Person) -> None:
    """Revoke one of your tokens."""
    accounts.revoke_token(person, token_id)


@bp.get("/me/export")
@bp.login_required
@bp.response(200, description="Everything held about you, as JSON.")
def export_me(person: Person) -> Response:
    """Download everything we hold about you (your right of access)."""
    response = jsonify(privacy.export(person))
    response.headers["Content-Disposition"] = 'attachment; filename="mutualaid-my-data.json"'
    return response


@bp.post("/me/erase")
@bp.login_required
@bp.arguments(PasswordInSchema)
@bp.response(204, description="The account and its personal data are erased.")
def erase_me(data: dict[str, Any], person: Person) -> None:
    """Delete your account: your personal data is erased at once (your right to erasure).

    Your open needs are cancelled and your live matches ended, and the other side of an agreed
    match is told. Matches stay, anonymised, so group totals stand.
    """
    privacy.erase_account(person, data["password"])


def _person(person_id: int, actor: Person) -> Person:
    if not actor.is_admin:  # before the lookup: a stranger learns nothing about ids
        raise Forbidden("Only an admin can deactivate an account.")
    found = db.session.get(Person, person_id) if 0 < person_id <= MAX_ID else None
    if found is None:
        raise NotFound("No such person.")
    return found


@bp.post("/people/<int:person_id>/deactivate")
@bp.login_required
@bp.errors(403)
@bp.response(200, PersonSchema, description="The account, deactivated.")
def deactivate(person_id: int, person: Person) -> Person:
    """Deactivate an account (admins): it cannot log in, and its tokens stop working."""
    target = _person(person_id, person)
    return accounts.set_active(target, person, False)


@bp.post("/people/<int:person_id>/reactivate")
@bp.login_required
@bp.errors(403)
@bp.response(200, PersonSchema, description="The account, active again.")
def reactivate(person_id: int, person: Person) -> Person:
    """Reactivate an account (admins)."""
    target = _person(person_id, person)
    return accounts.set_active(target, person, True)

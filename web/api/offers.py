"""Offers: volunteers' time. Every response goes through ``services.visibility``."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas import (
    CredentialInSchema,
    OfferInSchema,
    OfferOutSchema,
    OfferPageSchema,
    OfferPatchSchema,
    OfferQuerySchema,
)
from mutualaid.services import offers as offers_svc
from mutualaid.services.visibility import offer_view

from ..auth import require_api_user
from . import bp


@bp.post("/offers")
@bp.login_required
@bp.arguments(OfferInSchema)
@bp.response(201, OfferOutSchema, dumped=True, description="The offer, in full.")
def post_offer(data: dict[str, Any]) -> dict[str, Any]:
    """Offer time.

    The volunteer joins every group named. Credential skills count once a coordinator verifies them.
    """
    person = require_api_user()
    return offer_view(offers_svc.post_offer(person, data), person)


@bp.get("/offers")
@bp.login_required
@bp.arguments(OfferQuerySchema, location="query")
@bp.response(200, OfferPageSchema, dumped=True, description="One page of offers.")
def list_offers(args: dict[str, Any]) -> dict[str, Any]:
    """List offers, newest first.

    In full for the volunteer and the coordinators of the offer's groups; otherwise the public part.
    """
    person = require_api_user()
    page = offers_svc.list_offers(person, **args)
    return {
        "items": [offer_view(o, person) for o in page],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@bp.get("/offers/<int:offer_id>")
@bp.login_required
@bp.response(200, OfferOutSchema, dumped=True, description="The offer.")
def get_offer(offer_id: int) -> dict[str, Any]:
    """Show an offer."""
    person = require_api_user()
    return offer_view(offers_svc.get_offer(offer_id), person)


def _manager(person: Person, offer_id: int) -> None:
    offers_svc.require_manager(offers_svc.get_offer(offer_id), person)


@bp.patch("/offers/<int:offer_id>")
@bp.login_required(check=_manager)  # 403 before the body is judged (422)
@bp.arguments(OfferPatchSchema)
@bp.response(200, OfferOutSchema, dumped=True, description="The changed offer.")
@bp.errors(403)
def update_offer(data: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Change an offer (the volunteer or a coordinator of its groups)."""
    person = require_api_user()
    offer = offers_svc.update_offer(offers_svc.get_offer(offer_id), person, data)
    return offer_view(offer, person)


@bp.delete("/offers/<int:offer_id>")
@bp.login_required
@bp.response(200, OfferOutSchema, dumped=True, description="The withdrawn offer.")
@bp.errors(403)
def withdraw_offer(offer_id: int) -> dict[str, Any]:
    """Withdraw an offer (the volunteer or a coordinator of its groups).

    The offer is kept, inactive.
    """
    person = require_api_user()
    offer = offers_svc.withdraw_offer(offers_svc.get_offer(offer_id), person)
    return offer_view(offer, person)


def _exists(person: Person, offer_id: int) -> None:
    offers_svc.get_offer(offer_id)


@bp.post("/offers/<int:offer_id>/credentials")
@bp.login_required(check=_exists)  # 404 before the body is judged (422)
@bp.arguments(CredentialInSchema)
@bp.response(200, OfferOutSchema, dumped=True, description="The offer with its credentials.")
@bp.errors(403)
def verify_credential(data: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Verify a credential of an offer (a coordinator of one of its groups).

    Marks a credential skill the offer claims (such as `dbs-checked`) as verified until
    `expires_on`.
    """
    person = require_api_user()
    offer = offers_svc.get_offer(offer_id)
    offers_svc.verify_credential(offer, data["skill"], person, data["expires_on"])
    return offer_view(offer, person)

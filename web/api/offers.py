"""Offers: volunteers' time. Every response goes through ``services.visibility``."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas import CredentialInSchema
from mutualaid.schemas.offers import (
    OfferInSchema,
    OfferOutSchema,
    OfferPageSchema,
    OfferPatchSchema,
    OfferQuerySchema,
)
from mutualaid.services import offers as offers_svc
from mutualaid.services.visibility import offer_view, published_offer

from . import bp, page_of


@bp.post("/offers")
@bp.login_required
@bp.arguments(OfferInSchema)
@bp.response(201, OfferOutSchema, dumped=True, description="The offer, in full.")
def post_offer(data: dict[str, Any], person: Person) -> dict[str, Any]:
    """Offer time.

    The volunteer joins every group named. Credential skills count once a coordinator verifies
    them.
    """
    return offer_view(offers_svc.post_offer(person, data), person)


@bp.get("/offers")
@bp.login_required
@bp.arguments(OfferQuerySchema, location="query")
@bp.response(200, OfferPageSchema, dumped=True, description="One page of offers.")
def list_offers(args: dict[str, Any], person: Person) -> dict[str, Any]:
    """List offers, newest first.

    In full for the volunteer and the coordinators of the offer's groups; otherwise the public
    part.
    """
    return page_of(offers_svc.list_offers(person, **args), lambda offer: offer_view(offer, person))


@bp.get("/offers/<int:offer_id>")
@bp.login_required
@bp.response(200, OfferOutSchema, dumped=True, description="The offer.")
def get_offer(person: Person, offer_id: int) -> dict[str, Any]:
    """Show an offer."""
    return offer_view(published_offer(offers_svc.get_offer(offer_id), person), person)


def _may_change(person: Person, offer_id: int) -> None:
    offers_svc.require_manager(offers_svc.get_offer(offer_id), person)


@bp.patch("/offers/<int:offer_id>")
@bp.login_required(check=_may_change)  # 403 before the body is judged (422)
@bp.arguments(OfferPatchSchema)
@bp.response(200, OfferOutSchema, dumped=True, description="The changed offer.")
def update_offer(data: dict[str, Any], person: Person, offer_id: int) -> dict[str, Any]:
    """Change an offer (the volunteer or a coordinator of its groups)."""
    offer = offers_svc.update_offer(offers_svc.get_offer(offer_id), person, data)
    return offer_view(offer, person)


@bp.delete("/offers/<int:offer_id>")
@bp.login_required
@bp.errors(403)
@bp.response(200, OfferOutSchema, dumped=True, description="The withdrawn offer.")
def withdraw_offer(person: Person, offer_id: int) -> dict[str, Any]:
    """Withdraw an offer (the volunteer or a coordinator of its groups).

    The offer is kept, inactive.
    """
    return offer_view(offers_svc.withdraw_offer(offers_svc.get_offer(offer_id), person), person)


@bp.post("/offers/<int:offer_id>/credentials")
@bp.login_required(check=lambda person, offer_id: offers_svc.get_offer(offer_id))
@bp.arguments(CredentialInSchema)
@bp.response(200, OfferOutSchema, dumped=True, description="The offer with its credentials.")
def verify_credential(data: dict[str, Any], person: Person, offer_id: int) -> dict[str, Any]:
    """Verify a credential of an offer (a coordinator of one of its groups).

    Marks a credential skill the offer claims (such as `dbs-checked`) as verified until
    `expires_on`. An offer that does not exist is said (404) before the body is judged.
    """
    offer = offers_svc.get_offer(offer_id)
    offers_svc.verify_credential(offer, data["skill"], person, data["expires_on"])
    return offer_view(offer, person)

"""Offers: volunteers' time. Every response goes through :mod:`mutualaid.services.visibility`."""

from __future__ import annotations

from mutualaid.schemas import CredentialInSchema, OfferInSchema, OfferPatchSchema, OfferQuerySchema
from mutualaid.services import offers as offers_svc
from mutualaid.services.visibility import offer_view

from ..auth import require_api_user
from . import bp
from ._util import body, query


@bp.post("/offers")
def post_offer():
    """Offer time.
    ---
    post:
      tags: [offers]
      security: [{bearerAuth: []}]
      description: The volunteer joins every group named. Credential skills count once a coordinator verifies them.
      requestBody:
        required: true
        content:
          application/json:
            schema: OfferInSchema
      responses:
        201:
          description: The offer, in full.
          content:
            application/json:
              schema: OfferOutSchema
        400: BadRequest
        401: Unauthorized
        422: ValidationError
    """
    person = require_api_user()
    offer = offers_svc.post_offer(person, body(OfferInSchema()))
    return offer_view(offer, person), 201


@bp.get("/offers")
def list_offers():
    """List offers, newest first.
    ---
    get:
      tags: [offers]
      security: [{bearerAuth: []}]
      description: In full for the volunteer and the coordinators of the offer's groups; otherwise the public part.
      parameters:
        - in: query
          schema: OfferQuerySchema
      responses:
        200:
          description: One page of offers.
          content:
            application/json:
              schema: OfferPageSchema
        401: Unauthorized
        422: ValidationError
    """
    person = require_api_user()
    page = offers_svc.list_offers(person, **query(OfferQuerySchema()))
    return {
        "items": [offer_view(o, person) for o in page],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@bp.get("/offers/<int:offer_id>")
def get_offer(offer_id: int):
    """Show an offer.
    ---
    get:
      tags: [offers]
      security: [{bearerAuth: []}]
      responses:
        200:
          description: The offer.
          content:
            application/json:
              schema: OfferOutSchema
        401: Unauthorized
        404: NotFound
    """
    person = require_api_user()
    return offer_view(offers_svc.get_offer(offer_id), person)


@bp.patch("/offers/<int:offer_id>")
def update_offer(offer_id: int):
    """Change an offer (the volunteer or a coordinator of its groups).
    ---
    patch:
      tags: [offers]
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: OfferPatchSchema
      responses:
        200:
          description: The changed offer.
          content:
            application/json:
              schema: OfferOutSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        422: ValidationError
    """
    person = require_api_user()
    offer = offers_svc.get_offer(offer_id)
    offers_svc.require_manager(offer, person)  # 403 before the body is judged (422)
    offer = offers_svc.update_offer(offer, person, body(OfferPatchSchema()))
    return offer_view(offer, person)


@bp.delete("/offers/<int:offer_id>")
def withdraw_offer(offer_id: int):
    """Withdraw an offer (the volunteer or a coordinator of its groups).
    ---
    delete:
      tags: [offers]
      security: [{bearerAuth: []}]
      description: The offer is kept, inactive.
      responses:
        200:
          description: The withdrawn offer.
          content:
            application/json:
              schema: OfferOutSchema
        401: Unauthorized
        403: Forbidden
        404: NotFound
    """
    person = require_api_user()
    offer = offers_svc.withdraw_offer(offers_svc.get_offer(offer_id), person)
    return offer_view(offer, person)


@bp.post("/offers/<int:offer_id>/credentials")
def verify_credential(offer_id: int):
    """Verify a credential of an offer (a coordinator of one of its groups).
    ---
    post:
      tags: [offers]
      security: [{bearerAuth: []}]
      description: Marks a credential skill the offer claims (such as `dbs-checked`) as verified until `expires_on`.
      requestBody:
        required: true
        content:
          application/json:
            schema: CredentialInSchema
      responses:
        200:
          description: The offer with its credentials.
          content:
            application/json:
              schema: OfferOutSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        422: ValidationError
    """
    person = require_api_user()
    offer = offers_svc.get_offer(offer_id)
    data = body(CredentialInSchema())
    offers_svc.verify_credential(offer, data["skill"], person, data["expires_on"])
    return offer_view(offer, person)

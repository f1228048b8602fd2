"""Volunteers choose: browse open needs, claim one, and preview who could take a need."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas.browse import (
    BrowsePageSchema,
    BrowseQuerySchema,
    PreviewInSchema,
    PreviewSchema,
)
from mutualaid.schemas.matches import MatchOutSchema
from mutualaid.services import browse, claims, groups, matches, preview

from . import bp


@bp.get("/browse/needs")
@bp.login_required
@bp.arguments(BrowseQuerySchema, location="query")
@bp.response(200, BrowsePageSchema, description="The open needs you could look at.")
def browse_needs(args: dict[str, Any], person: Person) -> dict[str, Any]:
    """Browse the open needs of the groups you offer time to.

    Newest first, with the map's points (one per postcode district). Needs are placed at their
    district's centre and their distance from your offer is given in a band; no name, address,
    postcode or contact is included.
    """
    filters = browse.BrowseFilters(
        category=args.get("category"),
        skill=args.get("skill"),
        weekday=args.get("day"),
        within_km=args.get("within_km"),
        offer_id=args.get("offer"),
    )
    return browse.browse_needs(person, filters)


@bp.post("/needs/<int:need_id>/claim")
@bp.login_required
@bp.errors(404, 409, 422)
@bp.response(201, MatchOutSchema, dumped=True, description="Your claim: a proposal.")
def claim_need(person: Person, need_id: int) -> dict[str, Any]:
    """Offer to help with a need ("I can help with this").

    Makes a proposal from you, marked as a claim, that the group's coordinators approve or
    reject like any other; a matching run never removes it. The engine's own rules decide
    whether you could take it: the skills, the distance you travel and your free times (422
    with the reason when not). 409 for your own need, one that is closed or full, one you are
    already helping with or have claimed, or when you have no offer in its group.
    """
    return matches.match_view(claims.claim_need(person, need_id), person)


@bp.post("/needs/preview")
@bp.login_required
@bp.arguments(PreviewInSchema)
@bp.response(200, PreviewSchema, description="How many could help; never who.")
def preview_need(data: dict[str, Any], person: Person) -> dict[str, Any]:
    """Count the volunteers who could take a need before posting it.

    The group's volunteers with the skills, within their travel distance and free at the
    times, as the matching engine decides; a number only.
    """
    group = groups.get_group_by_slug(data["group"], field="group")
    return preview.preview(group, data, person)

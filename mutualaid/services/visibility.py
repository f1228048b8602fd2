"""Who may see what: the one place the privacy rule lives.

A resident's address, exact location, name, email and phone are shown to the need's owner,
the coordinators of its group (and admins), and a volunteer whose match to it is approved or
completed. A volunteer's contact and exact location are shown to the volunteer, the
coordinators of the offer's groups (and admins), and the resident of a need it is approved
(or completed) for. Everyone else sees the public part with coordinates of the district centre.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeGuard

import sqlalchemy as sa

from .. import geo
from ..errors import NotFound
from ..extensions import db
from ..models import HOLDING_MATCH_STATUSES, Match, Need, Offer, Person
from ..schemas import NeedOutSchema, OfferOutSchema
from . import accounts
from .needs import can_manage_need
from .offers import can_manage_offer
from .progress import Progress, progresses

_need_out = NeedOutSchema()
_offer_out = OfferOutSchema()


def _is_person(viewer: Person | None) -> TypeGuard[Person]:
    """Someone logged in (not None, not Flask-Login's anonymous user)."""
    return viewer is not None and getattr(viewer, "id", None) is not None


def _holds_match(*where: sa.ColumnElement[bool]) -> bool:
    """Whether an approved or completed match meets ``where`` (on matches, needs and offers)."""
    match_id = db.session.scalar(
        sa.select(Match.id)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.status.in_(HOLDING_MATCH_STATUSES), *where)
        .limit(1)
    )
    return match_id is not None


def can_see_need_private(need: Need, viewer: Person | None) -> bool:
    """Owner; coordinator of the need's group or admin; volunteer with an approved or completed
    match to it."""
    if not _is_person(viewer):
        return False
    return can_manage_need(need, viewer) or _holds_match(
        Match.need_id == need.id, Offer.volunteer_id == viewer.id
    )


def contact(person: Person) -> dict[str, Any]:
    return {"id": person.id, "name": person.name, "email": person.email, "phone": person.phone}


def public_coordinates(district: str, lat: float, lon: float) -> tuple[float, float]:
    """The district's centre (or the point rounded to about 10 km if the district is unknown)."""
    centre = geo.district_centre(district)
    return centre if centre is not None else (round(lat, 1), round(lon, 1))


def when_view(
    on_date: date | None,
    windows: list[dict],
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> dict[str, Any]:
    if on_date is not None and windows:
        return {"date": on_date, "start": windows[0]["start"], "end": windows[0]["end"]}
    out: dict[str, Any] = {"weekly": list(windows or [])}
    if starts_on is not None and ends_on is not None:
        out["starts_on"], out["ends_on"] = starts_on, ends_on
    return out


def approved_volunteers(need: Need) -> list[Person]:
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(Offer, Offer.volunteer_id == Person.id)
            .join(Match, Match.offer_id == Offer.id)
            .where(Match.need_id == need.id, Match.status.in_(HOLDING_MATCH_STATUSES))
            .order_by(Match.id)
        )
    )


def published_need(need: Need, viewer: Person | None) -> Need:
    """The need, unless its owner's address is unconfirmed and ``viewer`` is not entitled to
    its private part: then it is not there for them (the same 404 as an unknown id)."""
    if not need.requester.is_verified and not can_see_need_private(need, viewer):
        raise NotFound(f"No need {need.id}.")
    return need


def published_offer(offer: Offer, viewer: Person | None) -> Offer:
    """The offer, unless its volunteer's address is unconfirmed and ``viewer`` may not manage it."""
    if not offer.volunteer.is_verified and not can_manage_offer(offer, viewer):
        raise NotFound(f"No offer {offer.id}.")
    return offer


def _location(item: Need | Offer, full_view: bool) -> dict[str, Any]:
    """Where ``item`` is: in full view its postcode and point, else only its district's centre."""
    if full_view:
        return {"full_view": True, "postcode": item.postcode, "lat": item.lat, "lon": item.lon}
    lat, lon = public_coordinates(item.district, item.lat, item.lon)
    return {"full_view": False, "lat": lat, "lon": lon}


def need_view(need: Need, viewer: Person | None) -> dict[str, Any]:
    """The need as ``viewer`` may see it (the API's response body for a need)."""
    return need_views([need], viewer)[0]


@dataclass
class _Facts:
    """What the privacy rule needs to know about a viewer and a list, read once for the list."""

    coordinated: set[int] = field(default_factory=set)  # group ids (every group for an admin)
    holding: set[int] = field(default_factory=set)  # needs or offers the viewer is matched to
    volunteers: dict[int, list[Person]] = field(default_factory=dict)
    progress: dict[int, Progress] = field(default_factory=dict)  # of the needs it manages


def need_views(needs: Sequence[Need], viewer: Person | None) -> list[dict[str, Any]]:
    """:func:`need_view` of each need, the rule's facts read in a few queries for the list
    rather than a few per need."""
    facts = _Facts()
    if _is_person(viewer) and needs:
        ids = [n.id for n in needs]
        facts.coordinated = accounts.coordinated_group_ids(viewer)
        facts.holding = set(
            db.session.scalars(
                sa.select(Match.need_id)
                .join(Offer, Offer.id == Match.offer_id)
                .where(
                    Match.need_id.in_(ids),
                    Match.status.in_(HOLDING_MATCH_STATUSES),
                    Offer.volunteer_id == viewer.id,
                )
            )
        )
        managed = {n.id for n in needs if _manages_need(n, viewer, facts)}
        if managed:
            for need_id, person in db.session.execute(
                sa.select(Match.need_id, Person)
                .join(Offer, Offer.id == Match.offer_id)
                .join(Person, Person.id == Offer.volunteer_id)
                .where(Match.need_id.in_(sorted(managed)), Match.status.in_(HOLDING_MATCH_STATUSES))
                .order_by(Match.id)
            ):
                facts.volunteers.setdefault(need_id, []).append(person)
            facts.progress = progresses(
                [n for n in needs if n.id in managed],
                {i: [p.name for p in people] for i, people in facts.volunteers.items()},
            )
    return [_need_view(n, viewer, facts) for n in needs]


def _manages_need(need: Need, viewer: Person, facts: _Facts) -> bool:
    """:func:`~mutualaid.services.needs.can_manage_need`, from the facts."""
    return need.requester_id == viewer.id or need.group_id in facts.coordinated


def _need_view(need: Need, viewer: Person | None, facts: _Facts) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": need.id,
        "group": need.group.slug,
        "group_name": need.group.name,
        "category": need.category,
        "category_name": need.category_name,
        "title": need.title,
        "description": need.description,
        "skills": [s.slug for s in need.skills],
        "when": when_view(need.on_date, need.windows, need.starts_on, need.ends_on),
        "volunteers_needed": need.volunteers_needed,
        "urgency": need.urgency,
        "remote_ok": need.is_remote_ok,
        "status": need.status,
        "district": need.district,
        "created_at": need.created_dt,
        "expires_at": need.expires_dt,
    }
    manages = _is_person(viewer) and _manages_need(need, viewer, facts)
    full_view = manages or need.id in facts.holding  # see can_see_need_private
    data.update(_location(need, full_view))
    if full_view:
        data.update(
            address=need.address,
            requester=contact(need.requester),
            share_description=need.is_description_public,
        )
        if manages:
            data["volunteers"] = [contact(p) for p in facts.volunteers.get(need.id, [])]
            data["progress"] = facts.progress[need.id].to_dict()
    return _need_out.dump(data)


def offer_view(offer: Offer, viewer: Person | None) -> dict[str, Any]:
    """The offer as ``viewer`` may see it (the API's response body for an offer).

    The resident of a need it is approved for sees the volunteer's name and contact only; where
    the volunteer lives, their note and their checks stay with the volunteer and the coordinators.
    """
    return offer_views([offer], viewer)[0]


def offer_views(offers: Sequence[Offer], viewer: Person | None) -> list[dict[str, Any]]:
    """:func:`offer_view` of each offer, the rule's facts read once for the list."""
    facts = _Facts()
    if _is_person(viewer) and offers:
        facts.coordinated = accounts.coordinated_group_ids(viewer)
        facts.holding = set(  # offers matched to one of the viewer's needs (see below)
            db.session.scalars(
                sa.select(Match.offer_id)
                .join(Need, Need.id == Match.need_id)
                .where(
                    Match.offer_id.in_([o.id for o in offers]),
                    Match.status.in_(HOLDING_MATCH_STATUSES),
                    Need.requester_id == viewer.id,
                )
            )
        )
    return [_offer_view(o, viewer, facts) for o in offers]


def _offer_view(offer: Offer, viewer: Person | None, facts: _Facts) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": offer.id,
        "groups": [g.slug for g in offer.groups],
        "skills": [s.slug for s in offer.skills],
        "district": offer.district,
        "max_travel_km": offer.max_travel_km,
        "availability": offer.availability,
        "capacity": offer.capacity,
        "active": offer.is_active,
        "created_at": offer.created_dt,
    }
    manages = _is_person(viewer) and (  # can_manage_offer, from the facts
        offer.volunteer_id == viewer.id
        or viewer.is_admin
        or bool({g.id for g in offer.groups} & facts.coordinated)
    )
    data.update(_location(offer, manages))
    if manages:
        today = date.today()
        data.update(
            note=offer.note,
            volunteer=contact(offer.volunteer),
            credentials=[
                {
                    "skill": os.skill.slug,
                    "verified": os.verified_dt is not None,
                    "verified_at": os.verified_dt,
                    "expires_on": os.expires_on,
                    "usable": os.is_usable(today),
                    "verified_by_group": os.verified_group.name if os.verified_group else None,
                }
                for os in sorted(offer.offer_skills, key=lambda o: o.skill.slug)
                if os.skill.is_credential
            ],
        )
    elif offer.id in facts.holding:  # the resident of a need it is approved for
        data["volunteer"] = contact(offer.volunteer)
    return _offer_out.dump(data)


# ---- distance before approval ------------------------------------------------------------------

#: Upper bounds (km) of the bands a distance is shown in before a match is approved.
DISTANCE_BANDS = (1, 2, 5, 10, 20)
_SUMMARY_DISTANCE = re.compile(r"^(remote, )?[0-9.]+ k?m away")


def distance_band(km: float | None) -> str | None:
    """'under 1 km', '1-2 km', '2-5 km', '5-10 km', '10-20 km', '20 km or more'."""
    if km is None:
        return None
    low = 0
    for high in DISTANCE_BANDS:
        if km < high:
            return "under 1 km" if low == 0 else f"{low}-{high} km"
        low = high
    return f"{low} km or more"


def sees_exact_distance(
    match: Match, viewer: Person | None, coordinated: set[int] | None = None
) -> bool:
    """The need's group's coordinators (and admins) always; anyone else once it is agreed.

    Before approval, an exact distance from the volunteer's own point (and the score's
    closeness part, from which it can be worked back) would place the resident's home.
    ``coordinated``: the viewer's coordinated group ids, when already read for a list.
    """
    if match.status in HOLDING_MATCH_STATUSES:
        return True
    if coordinated is not None:
        return match.need.group_id in coordinated
    return _is_person(viewer) and accounts.is_coordinator(viewer, match.need.group_id)


def banded_match(data: dict[str, Any]) -> dict[str, Any]:
    """A match's view with its distance in a band, and the score (which carries it) left out."""
    band = distance_band(data.get("distance_km"))
    data = {**data, "distance_km": None, "distance_band": band, "score": None}
    explanation = data.get("explanation")
    if isinstance(explanation, dict):
        explanation = {k: v for k, v in explanation.items() if k not in ("score_parts", "score")}
        explanation["distance_km"] = None
        summary = explanation.get("summary")
        if isinstance(summary, str) and band is not None:
            explanation["summary"] = _SUMMARY_DISTANCE.sub(
                lambda m: f"{m.group(1) or ''}{band} away", summary
            )
        data["explanation"] = explanation
    return data

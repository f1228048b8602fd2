"""Volunteers choose: the open needs of their groups, as a list and as map points.

Nothing here is exact: a need is placed at its postcode district's centre
(:func:`visibility.public_coordinates`), its distance from the volunteer's offer is measured
to that centre and shown in a band (:func:`visibility.distance_band`), and the map has one
point per district with the needs there. No name, address, postcode or contact is read out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import geo
from ..errors import ValidationFailed
from ..extensions import db
from ..models import (
    LIVE_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    Group,
    Match,
    Need,
    Offer,
    Person,
    Skill,
    need_skills,
    utcnow,
)
from . import accounts, visibility

#: The most needs one list shows (the filters narrow it).
BROWSE_LIMIT = 200


@dataclass(frozen=True)
class BrowseFilters:
    """What the volunteer narrows the list to; ``None`` is any."""

    category: str | None = None
    skill: str | None = None
    #: 0 (Monday) to 6: needs with a time on that day of the week.
    weekday: int | None = None
    #: Needs whose district centre lies within this many km of the offer.
    within_km: float | None = None
    #: The volunteer's offer distances are measured from (default: their first active one).
    offer_id: int | None = None


def active_offers(person: Person) -> list[Offer]:
    """The person's active offers, oldest first, with their groups."""
    return list(
        db.session.scalars(
            sa.select(Offer)
            .where(Offer.volunteer_id == person.id, Offer.is_active.is_(True))
            .options(selectinload(Offer.groups))
            .order_by(Offer.id)
        )
    )


def _chosen_offer(offers: list[Offer], offer_id: int | None) -> Offer | None:
    if offer_id is None:
        return offers[0] if offers else None
    for offer in offers:
        if offer.id == offer_id:
            return offer
    raise ValidationFailed.field("offer", "Choose one of your own active offers.")


def _open_needs(group_ids: set[int], person: Person, filters: BrowseFilters, now: datetime) -> Any:
    query = (
        sa.select(Need)
        .where(
            Need.group_id.in_(sorted(group_ids)),
            Need.status.in_(OPEN_NEED_STATUSES),
            sa.or_(Need.on_date.is_(None), Need.on_date >= now.date()),
            sa.or_(Need.ends_on.is_(None), Need.ends_on >= now.date()),
            sa.or_(Need.expires_dt.is_(None), Need.expires_dt > now),
            Need.requester_id != person.id,
            accounts.published(Need.requester_id),
        )
        .options(selectinload(Need.skills), selectinload(Need.group))
        .order_by(Need.created_dt.desc(), Need.id.desc())
    )
    if filters.category is not None:
        query = query.where(Need.category == filters.category)
    if filters.skill is not None:
        query = query.where(
            Need.id.in_(
                sa.select(need_skills.c.need_id)
                .join(Skill, Skill.id == need_skills.c.skill_id)
                .where(Skill.slug == filters.skill)
            )
        )
    return db.session.scalars(query)


def _on_day(need: Need, weekday: int) -> bool:
    return any(w.get("weekday") == weekday for w in need.windows or ())


def _live_claims(person: Person, need_ids: list[int]) -> dict[int, bool]:
    """Need id -> whether the person's live match to it is their own claim."""
    if not need_ids:
        return {}
    rows = db.session.execute(
        sa.select(Match.need_id, Match.is_claim)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            Match.need_id.in_(need_ids),
            Offer.volunteer_id == person.id,
            Match.status.in_(LIVE_MATCH_STATUSES),
        )
    )
    return {n: bool(c) for n, c in rows}


def browse_needs(
    person: Person, filters: BrowseFilters, now: datetime | None = None
) -> dict[str, Any]:
    """The open needs of the groups the person offers time to, coarse, newest first.

    Returns ``{"offer": id or None, "groups": [slug...], "items": [...], "markers": [...],
    "total": n}``; ``items`` are at most :data:`BROWSE_LIMIT`. Raises
    :class:`ValidationFailed` for an offer that is not the person's.
    """
    now = now or utcnow()
    offers = active_offers(person)
    offer = _chosen_offer(offers, filters.offer_id)
    groups: dict[int, Group] = {g.id: g for o in offers for g in o.groups}
    items: list[dict[str, Any]] = []
    total = 0
    if groups:
        for need in _open_needs(set(groups), person, filters, now):
            if filters.weekday is not None and not _on_day(need, filters.weekday):
                continue
            lat, lon = visibility.public_coordinates(need.district, need.lat, need.lon)
            km = geo.haversine_km(offer.lat, offer.lon, lat, lon) if offer else None
            if filters.within_km is not None and km is not None and km > filters.within_km:
                continue
            total += 1
            if len(items) < BROWSE_LIMIT:
                items.append(_item(need, lat, lon, km))
    claims = _live_claims(person, [i["id"] for i in items])
    for item in items:
        item["proposed"] = item["id"] in claims
        item["claimed"] = claims.get(item["id"], False)
    return {
        "offer": offer.id if offer else None,
        "groups": sorted(g.slug for g in groups.values()),
        "items": items,
        "markers": markers(items),
        "total": total,
    }


def _item(need: Need, lat: float, lon: float, km: float | None) -> dict[str, Any]:
    return {
        "id": need.id,
        "title": need.title,
        "category": need.category,
        "category_name": need.category_name,
        "group": need.group.slug,
        "group_name": need.group.name,
        "district": need.district,
        "skills": [s.slug for s in need.skills],
        "when": visibility.when_view(need.on_date, need.windows),
        "volunteers_needed": need.volunteers_needed,
        "urgency": need.urgency,
        "remote_ok": need.is_remote_ok,
        "distance_band": visibility.distance_band(km),
        "lat": lat,
        "lon": lon,
        "created_at": need.created_dt,
    }


def markers(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One map point per district centre: its district and the needs there (id and title)."""
    points: dict[tuple[float, float], dict[str, Any]] = {}
    for item in items:
        key = (item["lat"], item["lon"])
        point = points.setdefault(
            key, {"lat": key[0], "lon": key[1], "district": item["district"], "needs": []}
        )
        point["needs"].append({"id": item["id"], "title": item["title"]})
    return list(points.values())

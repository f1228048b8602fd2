"""Local groups, their areas, and placing postcodes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import geo
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Group, Need, Offer, Person, offer_groups, utcnow
from . import accounts
from .common import by_slugs
from .postcodes import unit_lookup


def resolve_postcode(text: str, field: str = "postcode") -> geo.Place:
    """Place a postcode (unit from the database when imported, else sector or district)."""
    try:
        return geo.resolve(text, unit_lookup=unit_lookup)
    except geo.PostcodeError as exc:
        raise ValidationFailed.field(field, str(exc)) from None


def contains(group: Group, lat: float, lon: float, district: str | None) -> bool:
    """Whether a place lies in the group's area: a listed district, or within its radius."""
    if group.districts:
        return district is not None and district.upper() in {d.upper() for d in group.districts}
    if group.centre_lat is None or group.centre_lon is None or group.radius_km is None:
        return False
    return geo.haversine_km(group.centre_lat, group.centre_lon, lat, lon) <= group.radius_km


def groups_covering(place: geo.Place) -> list[Group]:
    """The groups whose area holds ``place``, by name."""
    return [g for g in list_groups() if contains(g, place.lat, place.lon, place.district)]


def require_in_area(group: Group, place: geo.Place, field: str = "postcode") -> None:
    """A field error when ``place`` is outside the group's area, saying which group covers it."""
    if contains(group, place.lat, place.lon, place.district):
        return
    covering = [g.name for g in groups_covering(place)]
    if not covering:
        help_text = "No group covers it yet."
    elif len(covering) == 1:
        help_text = f"It is in the area of {covering[0]}: choose that group instead."
    else:
        help_text = f"It is in the areas of {', '.join(covering)}: choose one of those instead."
    raise ValidationFailed.field(
        field, f"{place.postcode} is outside the area of {group.name}. {help_text}"
    )


def get_group_by_slug(slug: str, field: str | None = None) -> Group:
    """The group with this slug; :class:`NotFound`, or with ``field`` a field error (input)."""
    group = db.session.scalar(sa.select(Group).where(Group.slug == slug))
    if group is None:
        if field:
            raise ValidationFailed.field(field, f"Unknown group '{slug}'.")
        raise NotFound(f"No group '{slug}'.")
    return group


def groups_by_slugs(slugs: list[str], field: str = "groups") -> list[Group]:
    return by_slugs(Group, slugs, field, "group")


def list_groups(*, archived: bool = False) -> list[Group]:
    """The groups by name: the active ones, or with ``archived`` the archived ones too."""
    query = sa.select(Group).order_by(Group.name, Group.id)
    if not archived:
        query = query.where(Group.archived_dt.is_(None))
    return list(db.session.scalars(query))


def require_open(group: Group, field: str = "group") -> None:
    """A field error when the group is archived (it takes no new needs or offers)."""
    if group.archived_dt is not None:
        raise ValidationFailed.field(
            field, f"{group.name} is archived: it takes no new needs or offers."
        )


def coordinated_groups(person: Person) -> list[Group]:
    """The groups ``person`` coordinates (every group for an admin), archived too, by name."""
    ids = accounts.coordinated_group_ids(person)
    return [g for g in list_groups(archived=True) if g.id in ids]


def districts_of(group: Group) -> list[str]:
    """The districts of the group's needs and of its offers, sorted (for a filter's choices)."""
    needs = sa.select(Need.district).where(Need.group_id == group.id)
    offers = (
        sa.select(Offer.district)
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .where(offer_groups.c.group_id == group.id)
    )
    return sorted(d for d in db.session.scalars(sa.union(needs, offers)) if d)


def require_admin(actor: Person) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an admin can create groups.")


def update_settings(group: Group, actor: Person, data: dict[str, Any]) -> Group:
    """A group's settings for needs over time (its coordinators); ``GroupSettingsInSchema``."""
    accounts.require_coordinator(actor, group)
    errors: dict[str, list[str]] = {}
    for key, low, high in (("weekly_weeks", 1, 52), ("expire_after_days", 1, 365)):
        if key in data and not (low <= int(data[key]) <= high):
            errors[key] = [f"Give from {low} to {high}."]
    if errors:
        raise ValidationFailed("The group's settings are not valid.", errors)
    for key in ("weekly_weeks", "expire_after_days"):
        if key in data:
            setattr(group, key, int(data[key]))
    db.session.flush()
    return group


def _set_area(group: Group, data: dict[str, Any]) -> None:
    """The area in ``data`` (districts, or postcode with radius_km), checked, on ``group``."""
    if data.get("districts"):
        unknown = [d for d in data["districts"] if not geo.known_district(d)]
        if unknown:
            raise ValidationFailed(
                "Unknown districts.",
                {"districts": [f"Unknown postcode district '{d}'." for d in unknown]},
            )
        group.districts = list(data["districts"])
        group.centre_postcode = group.centre_lat = group.centre_lon = group.radius_km = None
    else:
        place = resolve_postcode(data["postcode"])
        group.centre_postcode, group.centre_lat, group.centre_lon = (
            place.postcode,
            place.lat,
            place.lon,
        )
        group.radius_km = float(data["radius_km"])
        group.districts = None


def update_group(group: Group, actor: Person, data: dict[str, Any]) -> Group:
    """A group's name, description and area (admins only); ``data`` is ``GroupInSchema``
    output without the slug, which does not change (links to the group keep working)."""
    require_admin(actor)
    _set_area(group, data)
    group.name = data["name"]
    group.description = data.get("description")
    db.session.flush()
    return group


def set_archived(group: Group, actor: Person, archived: bool) -> Group:
    """Archive a group, or bring it back (admins only). Its needs, offers and matches stay."""
    require_admin(actor)
    if archived and group.archived_dt is None:
        group.archived_dt = utcnow()
    elif not archived:
        group.archived_dt = None
    db.session.flush()
    return group


def create_group(actor: Person, data: dict[str, Any]) -> Group:
    """Create a group (admins only); ``data`` is ``GroupInSchema`` output."""
    require_admin(actor)
    if db.session.scalar(sa.select(Group.id).where(Group.slug == data["slug"])) is not None:
        raise Conflict(
            f"A group with slug '{data['slug']}' already exists.",
            {"slug": [f"A group with slug '{data['slug']}' already exists."]},
        )
    group = Group(name=data["name"], slug=data["slug"], description=data.get("description"))
    _set_area(group, data)
    db.session.add(group)
    db.session.flush()
    return group

"""A group's public page of open needs, for sharing: made only when its coordinators opt in.

What it shows of a need: the kind of help, the postcode district, the day or days, the skills
wanted and how many volunteers. The title and description only when the resident ticked
"share my description publicly" (:attr:`Need.is_description_public`). Never a name, an
address, a full postcode, a contact or an exact point; the map has the group's area and one
point per district centre.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import geo
from ..errors import NotFound
from ..extensions import db
from ..models import OPEN_NEED_STATUSES, Group, Need, Person, utcnow
from . import accounts

#: The most needs the public page lists.
PUBLIC_LIMIT = 100
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def set_needs_public(group: Group, actor: Person, public: bool) -> Group:
    """Publish or withdraw the group's public page (its coordinators, or an admin); flushes."""
    accounts.require_coordinator(actor, group)
    group.is_needs_public = bool(public)
    db.session.flush()
    return group


def public_group(slug: str) -> Group:
    """The group, if its page is published; :class:`NotFound` otherwise (unknown, private or
    archived)."""
    group = db.session.scalar(sa.select(Group).where(Group.slug == slug))
    if group is None or not group.is_needs_public or group.archived_dt is not None:
        raise NotFound(f"No public page for the group '{slug}'.")
    return group


def _days(need: Need) -> str:
    if need.on_date is not None:
        day = need.on_date
        return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
    days = sorted({int(w["weekday"]) for w in need.windows or ()})
    return "Every " + ", ".join(_DAY_NAMES[d] for d in days) if days else "Any day"


def public_needs(group: Group, now: datetime | None = None) -> dict[str, Any]:
    """``{"group", "items", "total", "markers", "area"}``: the page's content, coarse."""
    now = now or utcnow()
    query = (
        sa.select(Need)
        .where(
            Need.group_id == group.id,
            Need.status.in_(OPEN_NEED_STATUSES),
            sa.or_(Need.on_date.is_(None), Need.on_date >= now.date()),
            sa.or_(Need.ends_on.is_(None), Need.ends_on >= now.date()),
            sa.or_(Need.expires_dt.is_(None), Need.expires_dt > now),
            accounts.published(Need.requester_id),
        )
        .options(selectinload(Need.skills))
        .order_by(Need.created_dt.desc(), Need.id.desc())
    )
    needs = list(db.session.scalars(query))
    items = [_item(n) for n in needs[:PUBLIC_LIMIT]]
    counts: dict[str, int] = {}
    for item in items:
        counts[item["district"]] = counts.get(item["district"], 0) + 1
    markers = []
    for district, n in sorted(counts.items()):
        centre = geo.district_centre(district)
        if centre is not None:
            markers.append(
                {
                    "lat": centre[0],
                    "lon": centre[1],
                    "district": district,
                    "needs": [
                        {"title": i["title"] or i["category_name"]}
                        for i in items
                        if i["district"] == district
                    ],
                    "count": n,
                }
            )
    return {
        "group": {"name": group.name, "slug": group.slug, "description": group.description},
        "items": items,
        "total": len(needs),
        "markers": markers,
        "area": area(group),
    }


def _item(need: Need) -> dict[str, Any]:
    shared = need.is_description_public
    return {
        "category": need.category,
        "category_name": need.category_name,
        "district": need.district,
        "days": _days(need),
        "skills": [s.name for s in need.skills],
        "volunteers_needed": need.volunteers_needed,
        "remote_ok": need.is_remote_ok,
        "title": need.title if shared else None,
        "description": (need.description or None) if shared else None,
    }


def area(group: Group) -> dict[str, Any] | None:
    """The group's area for a map: its centre and radius, or its districts' centres."""
    if group.districts:
        points = []
        for district in group.districts:
            centre = geo.district_centre(district)
            if centre is not None:
                points.append({"lat": centre[0], "lon": centre[1], "district": district})
        return {"points": points}
    if group.centre_lat is not None and group.centre_lon is not None and group.radius_km:
        return {"lat": group.centre_lat, "lon": group.centre_lon, "radius_km": group.radius_km}
    return None

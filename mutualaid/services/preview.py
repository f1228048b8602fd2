""" "Who could help": how many of a group's volunteers could take a need being written.

A count only, never who. The engine decides: the group's offers are read as a matching run
reads them (:func:`matching_runs.offer_records`: active, published, with room left, usable
skills), held as arrays, and given with the one need to :func:`matching.candidates`; the
volunteers of its feasible pairs (skill, reach, time) are counted as people.

The arrays are cached per group under a version: the offers' count, newest change and ids,
their approved matches and checked skills, and today's date (a credential may expire
overnight). A changed offer, a new approval or a verification changes the version, and the
next preview reads the group again. The version itself is read again at most every
:data:`RECHECK_SECONDS` per group (a preview is an estimate: a change shows within that time).

Before the engine, the group's offers are narrowed to those that could possibly qualify: with
every skill asked for (from per-skill masks) and, for a need in person, inside a box around it
as wide as the volunteer's own reach plus a margin. Both are bounds, never the rule: an offer
left out could not pass the engine's test, and the engine decides on the rest (a test checks
that the count is the same as on every offer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from time import monotonic
from typing import Any

import numpy as np
import sqlalchemy as sa

from ..extensions import db
from ..models import Group, Match, MatchStatus, Offer, OfferSkill, Person, offer_groups, utcnow
from . import matching_runs
from .groups import require_in_area, resolve_postcode

#: Groups whose offers are kept in memory (least recently used first out).
CACHED_GROUPS = 64
#: Seconds during which a group's cached offers are used without reading their version again.
RECHECK_SECONDS = 10.0
_MINUTES_PER_DAY = 1440
_KM_PER_DEGREE = 111.0  # a little less than the meridian degree (111.2 km): the box is wider


@dataclass(frozen=True, eq=False)
class GroupOffers:
    """A group's offers as the engine's volunteer arrays (:meth:`matching.Instance.from_arrays`)."""

    version: tuple[Any, ...]
    ids: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    skills: tuple[tuple[str, ...], ...]
    max_km: np.ndarray
    capacity: np.ndarray
    person: np.ndarray
    avail_volunteer: np.ndarray
    avail_start: np.ndarray
    avail_end: np.ndarray
    #: Offer ``k``'s availability blocks are ``avail_*[avail_pointer[k]:avail_pointer[k + 1]]``.
    avail_pointer: np.ndarray
    #: Skill slug -> which offers have it (usable).
    skill_masks: dict[str, np.ndarray]
    checked_at: float = 0.0


#: (database, group id) -> the group's offers.
_cache: OrderedDict[tuple[str, int], GroupOffers] = OrderedDict()
_lock = threading.Lock()


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _version(group_id: int, now: datetime) -> tuple[Any, ...]:
    """What changes whenever the group's engine records of offers may have changed: its
    published active offers (count, newest change, ids), their approvals and their checks, in
    one statement over the group's offers."""
    members = (
        sa.select(offer_groups.c.offer_id.label("id"))
        .where(offer_groups.c.group_id == group_id)
        .cte("members")
    )
    offers = (
        sa.select(
            sa.func.count(Offer.id).label("offers"),
            sa.func.max(Offer.updated_dt).label("changed"),
            sa.func.sum(Offer.id).label("ids"),
        )
        .join(members, members.c.id == Offer.id)
        .join(Person, Person.id == Offer.volunteer_id)
        .where(Offer.is_active.is_(True), Person.email_verified_dt.is_not(None))  # published
        .subquery()
    )
    approved = (
        sa.select(
            sa.func.count(Match.id).label("approved"),
            sa.func.max(Match.decided_dt).label("decided"),
        )
        .join(members, members.c.id == Match.offer_id)
        .where(Match.status == MatchStatus.APPROVED)
        .subquery()
    )
    checked = (
        sa.select(
            sa.func.count().label("skills"),
            sa.func.max(OfferSkill.verified_dt).label("verified"),
        )
        .join(members, members.c.id == OfferSkill.offer_id)
        .subquery()
    )
    row = db.session.execute(
        sa.select(offers, approved, checked).select_from(
            offers.join(approved, sa.true()).join(checked, sa.true())
        )
    ).one()
    return (*row, now.date())


def forget_cached_offers() -> None:
    """Empty the cache (tests, whose emptied databases number groups from 1 again)."""
    with _lock:
        _cache.clear()


def group_offers(group_id: int, now: datetime | None = None) -> GroupOffers:
    """The group's offers as arrays, from the cache while its version holds."""
    now = now or utcnow()
    key = (str(db.engine.url), group_id)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and monotonic() - cached.checked_at < RECHECK_SECONDS:
        return cached
    version = _version(group_id, now)
    if cached is not None and cached.version == version:
        with _lock:
            _cache[key] = loaded = replace(cached, checked_at=monotonic())
            _cache.move_to_end(key)
        return loaded
    loaded = _load(group_id, now, version)
    with _lock:
        _cache[key] = loaded
        _cache.move_to_end(key)
        while len(_cache) > CACHED_GROUPS:
            _cache.popitem(last=False)
    return loaded


def _load(group_id: int, now: datetime, version: tuple[Any, ...]) -> GroupOffers:
    records = matching_runs.offer_records(group_id, now)
    owner, start, end = [], [], []
    masks: dict[str, np.ndarray] = {}
    for k, rec in enumerate(records):
        for w in rec["availability"]:
            day = int(w["weekday"]) * _MINUTES_PER_DAY
            owner.append(k)
            start.append(day + _minutes(w["start"]))
            end.append(day + _minutes(w["end"]))
        for slug in rec["skills"]:
            masks.setdefault(slug, np.zeros(len(records), dtype=bool))[k] = True
    owners = np.array(owner, dtype=np.int64)
    return GroupOffers(
        version=version,
        ids=tuple(r["id"] for r in records),
        lat=np.array([r["lat"] for r in records], dtype=np.float64),
        lon=np.array([r["lon"] for r in records], dtype=np.float64),
        skills=tuple(tuple(r["skills"]) for r in records),
        max_km=np.array([r["max_km"] for r in records], dtype=np.float64),
        capacity=np.array([r["capacity"] for r in records], dtype=np.int64),
        person=np.array([r["person"] for r in records], dtype=np.int64),
        avail_volunteer=owners,
        avail_start=np.array(start, dtype=np.int64),
        avail_end=np.array(end, dtype=np.int64),
        avail_pointer=np.searchsorted(owners, np.arange(len(records) + 1)),
        skill_masks=masks,
        checked_at=monotonic(),
    )


def _could_qualify(
    offers: GroupOffers, lat: float, lon: float, skills: list[str], remote_ok: bool
) -> np.ndarray:
    """The offers that could pass the engine's test (a superset: see the module's notes)."""
    keep = np.ones(len(offers.ids), dtype=bool)
    for slug in skills:
        mask = offers.skill_masks.get(slug)
        if mask is None:
            return np.zeros(0, dtype=np.int64)
        keep &= mask
    if not remote_ok:
        reach = offers.max_km / _KM_PER_DEGREE + 0.01  # degrees of latitude, and a margin
        keep &= np.abs(offers.lat - lat) <= reach
        # a degree of longitude is shortest at the box's edge furthest from the equator
        shrink = np.maximum(np.cos(np.radians(np.minimum(abs(lat) + reach, 89.0))), 0.01)
        keep &= np.abs(offers.lon - lon) <= reach / shrink
    return np.flatnonzero(keep)


def count_helpers(
    offers: GroupOffers,
    lat: float,
    lon: float,
    skills: list[str],
    windows: list[dict[str, Any]],
    remote_ok: bool,
    requester_id: int | None = None,
) -> int:
    """How many people (not offers) the engine finds feasible for one need; never the asker."""
    import matching

    if not windows or not offers.ids:
        return 0
    kept = _could_qualify(offers, lat, lon, skills, remote_ok)
    if kept.size == 0:
        return 0
    counts = offers.avail_pointer[kept + 1] - offers.avail_pointer[kept]
    blocks = np.repeat(offers.avail_pointer[kept] - np.cumsum(counts) + counts, counts)
    blocks += np.arange(blocks.size)
    instance = matching.Instance.from_arrays(
        need_ids=("preview",),
        need_lat=[lat],
        need_lon=[lon],
        need_skills=[skills],
        volunteers_needed=[1],
        urgency=[0.5],
        remote_ok=[remote_ok],
        window_need=[0] * len(windows),
        window_start=[int(w["weekday"]) * _MINUTES_PER_DAY + _minutes(w["start"]) for w in windows],
        window_end=[int(w["weekday"]) * _MINUTES_PER_DAY + _minutes(w["end"]) for w in windows],
        volunteer_ids=[offers.ids[k] for k in kept.tolist()],
        volunteer_lat=offers.lat[kept],
        volunteer_lon=offers.lon[kept],
        volunteer_skills=[offers.skills[k] for k in kept.tolist()],
        max_km=offers.max_km[kept],
        capacity=offers.capacity[kept],
        avail_volunteer=np.repeat(np.arange(kept.size), counts),
        avail_start=offers.avail_start[blocks],
        avail_end=offers.avail_end[blocks],
    )
    people = offers.person[kept][matching.candidates(instance).volunteer_index]
    if requester_id is not None:
        people = people[people != requester_id]
    return int(np.unique(people).size)


def preview(group: Group, data: dict[str, Any], asker: Person | None = None) -> dict[str, Any]:
    """``{"volunteers": n, "message": ...}`` for a need being written in ``group``.

    ``data`` as :class:`~mutualaid.schemas.browse.PreviewInSchema` loads it. Raises
    :class:`ValidationFailed` for a postcode that is unknown or outside the group's area.
    """
    place = resolve_postcode(data["postcode"])
    require_in_area(group, place)
    when = data["when"]
    n = count_helpers(
        group_offers(group.id),
        place.lat,
        place.lon,
        list(data.get("skills") or ()),
        list(when["windows"]),
        bool(data.get("remote_ok")),
        getattr(asker, "id", None),
    )
    return {"volunteers": n, "message": message(n, group.name)}


def message(n: int, group_name: str) -> str:
    if n == 0:
        return (
            f"No volunteer in {group_name} could take this yet (skills, distance and times). "
            "You can still post it: coordinators look for help as new volunteers join."
        )
    if n == 1:
        return f"1 volunteer in {group_name} could help with this."
    return f"{n} volunteers in {group_name} could help with this."

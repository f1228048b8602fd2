"""Volunteers' offers of time, and coordinators' verification of their credentials."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..errors import DomainError, Forbidden, ValidationFailed
from ..extensions import db
from ..models import (
    Group,
    Match,
    MatchStatus,
    Offer,
    OfferSkill,
    Person,
    Skill,
    offer_groups,
    utcnow,
)
from . import accounts, locks
from .common import Page, collect_errors, count_matches, get_or_not_found, paginate
from .groups import get_group_by_slug, groups_by_slugs, require_open, resolve_postcode
from .skills import skills_by_slugs


def _resolve(data: dict[str, Any], kept: frozenset[int] = frozenset()) -> dict[str, Any]:
    """Rows for the slugs and a place for the postcode; an archived group only among ``kept``
    (the groups an offer already has)."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for key, resolver in (
        ("groups", groups_by_slugs),
        ("skills", skills_by_slugs),
        ("postcode", resolve_postcode),
    ):
        if key in data:
            try:
                out[key] = resolver(data[key])
            except DomainError as exc:
                collect_errors(errors, exc)
    for group in out.get("groups", []):
        if group.id not in kept:
            try:
                require_open(group, "groups")
            except DomainError as exc:
                collect_errors(errors, exc)
    if errors:
        raise ValidationFailed("The offer has errors.", errors)
    return out


def reference_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the groups, skills and postcode in ``data`` (the fields a schema let
    through), so a form can report them together with the schema's own messages."""
    try:
        _resolve(data)
    except ValidationFailed as exc:
        return dict(exc.errors)
    return {}


def _set_skills(offer: Offer, skills: list[Skill]) -> None:
    """Keep the verification of skills that stay; add new ones unverified."""
    kept = {os.skill_id: os for os in offer.offer_skills}
    offer.offer_skills = [kept.get(skill.id) or OfferSkill(skill=skill) for skill in skills]


def _join_groups(volunteer: Person, groups: list[Group]) -> None:
    for group in groups:
        accounts.ensure_member(volunteer, group)


def post_offer(volunteer: Person, data: dict[str, Any]) -> Offer:
    """Offer time (``OfferInSchema`` output in ``data``); the volunteer joins the groups."""
    resolved = _resolve(data)
    place = resolved["postcode"]
    offer = Offer(
        volunteer_id=volunteer.id,
        postcode=place.postcode,
        district=place.district,
        lat=place.lat,
        lon=place.lon,
        max_travel_km=float(data.get("max_travel_km", 5.0)),
        availability=data["availability"],
        capacity=data.get("capacity", 1),
        is_active=bool(data.get("active", True)),
        note=data.get("note"),
    )
    offer.groups = resolved["groups"]
    _set_skills(offer, resolved.get("skills", []))
    db.session.add(offer)
    _join_groups(volunteer, offer.groups)
    db.session.flush()
    return offer


def can_manage_offer(offer: Offer, actor: Person | None) -> bool:
    """The volunteer, or a coordinator of one of the offer's groups (or an admin)."""
    if actor is None or getattr(actor, "id", None) is None:  # nobody, or not logged in
        return False
    return offer.volunteer_id == actor.id or coordinates_offer(offer, actor)


def coordinates_offer(offer: Offer, person: Person) -> bool:
    """Whether ``person`` is an admin or coordinates one of the offer's groups."""
    return person.is_admin or bool(
        {g.id for g in offer.groups} & accounts.coordinated_group_ids(person)
    )


def require_manager(offer: Offer, actor: Person | None) -> None:
    if not can_manage_offer(offer, actor):
        raise Forbidden(
            "Only the volunteer or the coordinators of the offer's groups can change it."
        )


def can_change_offer(offer: Offer, actor: Person | None, groups: Sequence[Group] = ()) -> bool:
    """The rule for an offer shared between groups: no group's coordinator changes another's.

    The volunteer may change their offer. A coordinator (or an admin) may change it only when
    they coordinate every group it is listed in, and every group it would be moved to: a
    coordinator of group A alone cannot change, withdraw or move an offer that group B also
    relies on, nor move one into group B.
    """
    if actor is None or getattr(actor, "id", None) is None:
        return False
    if offer.volunteer_id == actor.id:
        return True
    mine = accounts.coordinated_group_ids(actor)
    return bool(mine) and {g.id for g in (*offer.groups, *groups)} <= mine


def require_changer(offer: Offer, actor: Person, groups: Sequence[Group] = ()) -> None:
    require_manager(offer, actor)
    if not can_change_offer(offer, actor, groups):
        raise Forbidden(
            "This offer is shared with a group you do not coordinate: only its volunteer (or "
            "a coordinator of every group it is in) can change it."
        )


def update_offer(offer: Offer, actor: Person, data: dict[str, Any]) -> Offer:
    """Change an offer (see :func:`can_change_offer`); ``data``: OfferInSchema."""
    require_manager(offer, actor)
    offer = locks.lock_row(Offer, offer.id)  # an approval counts before the check, or waits
    if "capacity" in data:
        approved = approved_match_count(offer)
        if data["capacity"] < approved:
            raise ValidationFailed.field(
                "capacity",
                f"{approved} matches are already approved; offer at least {approved}.",
            )
    resolved = _resolve(data, frozenset(g.id for g in offer.groups))
    require_changer(offer, actor, resolved.get("groups", []))
    if "groups" in resolved:
        offer.groups = resolved["groups"]
        _join_groups(offer.volunteer, offer.groups)
        # A check verified by a group the offer leaves lapses: nobody there can renew it now.
        kept = {g.id for g in offer.groups}
        for held in offer.offer_skills:
            if held.verified_group_id is not None and held.verified_group_id not in kept:
                held.verified_by_id = held.verified_group_id = held.verified_dt = None
                held.expires_on = None
    if "skills" in resolved:
        _set_skills(offer, resolved["skills"])
    if "postcode" in resolved:
        place = resolved["postcode"]
        offer.postcode, offer.district, offer.lat, offer.lon = (
            place.postcode,
            place.district,
            place.lat,
            place.lon,
        )
    for key in ("max_travel_km", "availability", "capacity", "note"):
        if key in data:
            setattr(offer, key, data[key])
    if "active" in data:
        offer.is_active = bool(data["active"])
    db.session.flush()
    return offer


def approved_match_count(offer: Offer) -> int:
    return count_matches(Match.offer_id == offer.id, Match.status == MatchStatus.APPROVED)


def withdraw_offer(offer: Offer, actor: Person) -> Offer:
    """Withdraw an offer: it stays, inactive, so matches and history keep their volunteer."""
    require_changer(offer, actor)
    offer.is_active = False
    db.session.flush()
    return offer


def get_offer(offer_id: int) -> Offer:
    return get_or_not_found(Offer, offer_id, "offer")


def list_offers(
    viewer: Person | None,
    *,
    group: str | Group | None = None,
    mine: bool = False,
    active: bool | None = None,
    skill: str | None = None,
    district: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page[Offer]:
    """A page of offers, newest first. Show each with :func:`visibility.offer_view`.

    Without ``active``: active offers only (all of them with ``mine``).
    """
    query = sa.select(Offer)
    if group is not None:
        group_row = group if isinstance(group, Group) else get_group_by_slug(group, field="group")
        query = query.where(
            Offer.id.in_(
                sa.select(offer_groups.c.offer_id).where(offer_groups.c.group_id == group_row.id)
            )
        )
    if mine:
        if viewer is None:
            return Page.empty(limit, offset)
        query = query.where(Offer.volunteer_id == viewer.id)
    if active is None and not mine:
        active = True
    if not mine:
        query = query.where(accounts.published(Offer.volunteer_id, viewer))
    if active is not None:
        query = query.where(Offer.is_active.is_(active))
    if skill is not None:
        skill_row = skills_by_slugs([skill], field="skill")[0]
        query = query.where(
            Offer.id.in_(sa.select(OfferSkill.offer_id).where(OfferSkill.skill_id == skill_row.id))
        )
    if district is not None:
        query = query.where(Offer.district == district)
    return paginate(
        query,
        order_by=(Offer.created_dt.desc(), Offer.id.desc()),
        options=(
            selectinload(Offer.volunteer),
            selectinload(Offer.groups),
            selectinload(Offer.offer_skills).selectinload(OfferSkill.skill),
        ),
        limit=limit,
        offset=offset,
    )


def verify_credential(
    offer: Offer, skill_slug: str, coordinator: Person, expires_on: date
) -> OfferSkill:
    """A coordinator of one of the offer's groups verifies a credential (DBS check) until a date.

    The check is credited to that group ("verified by Hackney"); once it is, only that group's
    coordinators (or an admin) can renew it, so no group changes what another group vouched for.
    """
    mine = accounts.coordinated_group_ids(coordinator)
    ours = [g for g in offer.groups if g.id in mine]
    if not ours:
        raise Forbidden(
            "Only a coordinator of one of the offer's groups can verify its credentials."
        )
    skill = skills_by_slugs([skill_slug], field="skill")[0]
    if not skill.is_credential:
        raise ValidationFailed.field(
            "skill", f"'{skill.slug}' is not a credential that needs verifying."
        )
    held = next((os for os in offer.offer_skills if os.skill_id == skill.id), None)
    if held is None:
        raise ValidationFailed.field("skill", f"This offer does not claim '{skill.slug}'.")
    if expires_on <= date.today():
        raise ValidationFailed.field("expires_on", "The expiry date must be in the future.")
    group_id = held.verified_group_id
    if group_id is not None and group_id not in mine:
        by = held.verified_group.name if held.verified_group else "another group"
        raise Forbidden(f"This check was verified by {by}; only its coordinators can change it.")
    if group_id is None or group_id not in {g.id for g in ours}:
        group_id = ours[0].id
    held.verified_by_id, held.verified_dt, held.expires_on = coordinator.id, utcnow(), expires_on
    held.verified_group_id = group_id
    db.session.flush()
    return held


def usable_skills(
    in_group: list[Any], now: datetime
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """Each offer's usable skills, and its credentials that do not count yet (unverified or
    expired): a credential counts only while verified and unexpired (see
    ``OfferSkill.is_usable``). ``in_group``: conditions on ``Offer`` and ``offer_groups``
    (the offers of a group, say); one query for all of them."""
    usable: dict[int, list[str]] = defaultdict(list)
    pending: dict[int, list[str]] = defaultdict(list)
    today = now.date()
    for offer_id, slug, is_credential, verified, expires in db.session.execute(
        sa.select(
            OfferSkill.offer_id,
            Skill.slug,
            Skill.is_credential,
            OfferSkill.verified_dt,
            OfferSkill.expires_on,
        )
        .join(Skill, Skill.id == OfferSkill.skill_id)
        .join(Offer, Offer.id == OfferSkill.offer_id)
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .where(*in_group)
    ):
        ok = not is_credential or (verified is not None and (expires is None or expires >= today))
        (usable if ok else pending)[offer_id].append(slug)
    return usable, pending


def group_skills(group_id: int, now: datetime) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """:func:`usable_skills` of every offer in the group, active or not (a matching run keeps
    those it read): a narrower read, the skills' slugs looked up apart, and whether each
    credential counts (``OfferSkill.is_usable``) asked of the database rather than of each
    row's dates."""
    today = now.date()
    kinds = {
        skill_id: (slug, is_credential)
        for skill_id, slug, is_credential in db.session.execute(
            sa.select(Skill.id, Skill.slug, Skill.is_credential)
        )
    }
    credentials = sorted(skill_id for skill_id, (_, credential) in kinds.items() if credential)
    counts = sa.or_(
        OfferSkill.skill_id.not_in(credentials),
        sa.and_(
            OfferSkill.verified_dt.is_not(None),
            sa.or_(OfferSkill.expires_on.is_(None), OfferSkill.expires_on >= today),
        ),
    )
    usable: dict[int, list[str]] = defaultdict(list)
    pending: dict[int, list[str]] = defaultdict(list)
    for offer_id, skill_id, ok in (
        db.session.connection()
        .execute(
            sa.select(OfferSkill.offer_id, OfferSkill.skill_id, counts).where(
                OfferSkill.offer_id.in_(
                    sa.select(offer_groups.c.offer_id).where(offer_groups.c.group_id == group_id)
                )
            )
        )
        .all()
    ):
        (usable if ok else pending)[offer_id].append(kinds[skill_id][0])
    return usable, pending

"""Posting, changing, cancelling and listing needs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..errors import Conflict, Forbidden, InvalidState, ValidationFailed
from ..extensions import db
from ..models import (
    ACTIVE_NEED_STATUSES,
    CLOSED_NEED_STATUSES,
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    Group,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Offer,
    Person,
    Skill,
    Urgency,
    need_skills,
    utcnow,
)
from . import accounts, commitments, coordinator_alerts, locks
from .common import Page, collect_errors, count_matches, get_or_not_found, paginate
from .groups import get_group_by_slug, require_in_area, require_open, resolve_postcode
from .skills import skills_by_slugs


def _expires(on_date: Any, windows: list[dict]) -> datetime | None:
    if on_date is None:
        return None
    return datetime.combine(on_date, time.fromisoformat(windows[0]["end"]))


def _resolve(data: dict[str, Any], group: Group | None) -> dict[str, Any]:
    """Turn slugs and postcodes in ``data`` into rows and places, collecting every field error."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if "group" in data:
        try:
            out["group"] = group = get_group_by_slug(data["group"], field="group")
            require_open(group)
        except ValidationFailed as exc:
            collect_errors(errors, exc)
    if "skills" in data:
        try:
            out["skills"] = skills_by_slugs(data["skills"])
        except ValidationFailed as exc:
            collect_errors(errors, exc)
    if "postcode" in data:
        try:
            out["place"] = place = resolve_postcode(data["postcode"])
            if group is not None:
                require_in_area(group, place)
        except ValidationFailed as exc:
            collect_errors(errors, exc)
    if errors:
        raise ValidationFailed("The need has errors.", errors)
    return out


def reference_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the group, skills and postcode in ``data`` (the fields a schema let
    through), so a form can report them together with the schema's own messages."""
    try:
        _resolve(data, None)
    except ValidationFailed as exc:
        return dict(exc.errors)
    return {}


def post_need(requester: Person, data: dict[str, Any], *, alert: bool = True) -> Need:
    """Post a need (``NeedInSchema`` output in ``data``); the requester joins the group. An
    urgent need is told to the group's coordinators (unless ``alert`` is false: an import)."""
    resolved = _resolve(data, None)
    group, place = resolved["group"], resolved["place"]
    when = data["when"]
    starts_on, ends_on = _weekly_dates(group, when, None)
    need = Need(
        group_id=group.id,
        requester_id=requester.id,
        category=data["category"],
        title=data["title"],
        description=data.get("description") or "",
        postcode=place.postcode,
        district=place.district,
        lat=place.lat,
        lon=place.lon,
        address=data.get("address"),
        on_date=when["on_date"],
        windows=when["windows"],
        starts_on=starts_on,
        ends_on=ends_on,
        volunteers_needed=data.get("volunteers_needed", 1),
        urgency=data.get("urgency", Urgency.NORMAL),
        is_remote_ok=bool(data.get("remote_ok", False)),
        is_description_public=bool(data.get("share_description", False)),
        status=NeedStatus.OPEN,
        expires_dt=_expires(when["on_date"], when["windows"]),
    )
    need.skills = resolved.get("skills", [])
    db.session.add(need)
    accounts.ensure_member(requester, group)
    db.session.flush()
    if alert and need.urgency == Urgency.HIGH:
        coordinator_alerts.urgent_need(need)
    return need


def _weekly_dates(
    group: Group, when: dict[str, Any], need: Need | None
) -> tuple[date | None, date | None]:
    """A weekly need's first and last day from ``when`` (what it leaves out: as the need had
    them, else today and the group's default length); ``(None, None)`` for a one-off."""
    if when["on_date"] is not None:
        return None, None
    was_weekly = need is not None and need.on_date is None
    starts = when.get("starts_on") or (need.starts_on if was_weekly and need else None)
    ends = when.get("ends_on") or (need.ends_on if was_weekly and need else None)
    return commitments.weekly_dates(
        group,
        starts,
        ends,
        utcnow().date(),
        check_start=when.get("starts_on") is not None,
    )


def can_manage_need(need: Need, actor: Person | None) -> bool:
    """The owner, or a coordinator of the need's group (or an admin)."""
    if actor is None or getattr(actor, "id", None) is None:  # nobody, or not logged in
        return False
    return need.requester_id == actor.id or accounts.is_coordinator(actor, need.group_id)


def is_closed(need: Need) -> bool:
    """A fulfilled, cancelled or expired need can no longer be changed or cancelled."""
    return need.status in CLOSED_NEED_STATUSES


def can_change(need: Need, actor: Person | None) -> bool:
    """Whether ``actor`` may change or cancel the need now."""
    return not is_closed(need) and can_manage_need(need, actor)


def require_manager(need: Need, actor: Person | None) -> None:
    if not can_manage_need(need, actor):
        raise Forbidden(
            "Only the person who posted this need or its group's coordinators can change it."
        )


def holding_match_count(need: Need) -> int:
    return count_matches(Match.need_id == need.id, Match.status.in_(HOLDING_MATCH_STATUSES))


def update_need(need: Need, actor: Person, data: dict[str, Any]) -> Need:
    """Change a need (owner or coordinator). ``data`` is a partial NeedInSchema load.

    The need is locked first (the lock order of :mod:`~mutualaid.services.locks`), so a
    concurrent approval either counts before the check or waits for this change.
    """
    require_manager(need, actor)
    need = locks.lock_row(Need, need.id)
    if is_closed(need):
        raise InvalidState(f"This need is {need.status} and can no longer be changed.")
    if "group" in data and data["group"] != need.group.slug:
        raise ValidationFailed.field(
            "group", "A need cannot move to another group; cancel it and post it there."
        )
    resolved = _resolve({k: v for k, v in data.items() if k != "group"}, need.group)
    if "when" in data:
        dates = _weekly_dates(need.group, data["when"], need)
        when = data["when"]
        first, last = (when["on_date"], when["on_date"]) if when["on_date"] else dates
        _require_volunteers_fit(
            need,
            commitments.Schedule(first, last, commitments.window_tuples(when["windows"])),
            "The time cannot change",
        )
    if "volunteers_needed" in data:
        held = holding_match_count(need)
        if data["volunteers_needed"] < held:
            raise ValidationFailed.field(
                "volunteers_needed",
                f"{held} volunteers are already approved; ask for at least {held}.",
            )
    for key in ("category", "title", "description", "address", "volunteers_needed", "urgency"):
        if key in data:
            setattr(need, key, data[key] if key != "description" else (data[key] or ""))
    if "remote_ok" in data:
        need.is_remote_ok = bool(data["remote_ok"])
    if "share_description" in data:
        need.is_description_public = bool(data["share_description"])
    if "skills" in resolved:
        need.skills = resolved["skills"]
    if "place" in resolved:
        place = resolved["place"]
        need.postcode, need.district, need.lat, need.lon = (
            place.postcode,
            place.district,
            place.lat,
            place.lon,
        )
    if "when" in data:
        need.starts_on, need.ends_on = dates
        need.on_date, need.windows = data["when"]["on_date"], data["when"]["windows"]
        need.expires_dt = _expires(need.on_date, need.windows)
    db.session.flush()
    if "volunteers_needed" in data:
        refresh_need_status(need)
    return need


def _require_volunteers_fit(need: Need, schedule: commitments.Schedule, what: str) -> None:
    """The need's approved volunteers must still fit ``schedule`` (no clash, no pause, within
    their weekly limit): else :class:`Conflict` naming the first that does not. Their offers are
    locked after the need (the lock order)."""
    held = list(
        db.session.scalars(
            sa.select(Match)
            .where(Match.need_id == need.id, Match.status == MatchStatus.APPROVED)
            .order_by(Match.id)
        )
    )
    if not held:
        return
    people = sa.select(Offer.volunteer_id).where(Offer.id.in_([m.offer_id for m in held]))
    locks.lock_ids(
        Offer, db.session.scalars(sa.select(Offer.id).where(Offer.volunteer_id.in_(people)))
    )
    today = utcnow().date()
    for match in held:
        refusal = commitments.why_not_fit(match.offer.volunteer, schedule, today, [match.id])
        if refusal is not None:
            raise Conflict(f"{what}: {refusal.message}")


def extend_need(need: Need, actor: Person, until: date) -> Need:
    """Move a weekly need's last day later (its resident or a coordinator of its group).

    At most one year after its first day. Its approved volunteers go on until the new last day,
    so each must still fit then (no clash, no pause, within their weekly limit): else 409
    naming the clash, and nothing changes.
    """
    require_manager(need, actor)
    need = locks.lock_row(Need, need.id)
    if is_closed(need):
        raise InvalidState(f"This need is {need.status} and can no longer be changed.")
    if need.on_date is not None or need.starts_on is None or need.ends_on is None:
        raise InvalidState(
            "Only a weekly need can be extended; change a one-off need's date instead.",
            {"until": ["Only a weekly need has an end date."]},
        )
    today = utcnow().date()
    if until <= need.ends_on:
        raise ValidationFailed.field(
            "until", f"Give a day after the current last day, {need.ends_on.isoformat()}."
        )
    commitments.weekly_dates(need.group, need.starts_on, until, today, field="", check_start=False)
    extra = commitments.Schedule(
        max(need.ends_on + timedelta(days=1), today),
        until,
        commitments.need_schedule(need).windows,
    )
    _require_volunteers_fit(need, extra, f"The need cannot run until {until.isoformat()}")
    need.ends_on = until
    db.session.flush()
    return need


def cancel_need(need: Need, actor: Person) -> Need:
    """Cancel a need (the row stays) and its proposed or approved matches."""
    require_manager(need, actor)
    need = locks.lock_row(Need, need.id)
    if need.status == NeedStatus.CANCELLED:
        return need
    if is_closed(need):
        raise InvalidState(f"This need is {need.status} and cannot be cancelled.")
    need.status = NeedStatus.CANCELLED
    now = utcnow()
    matches = db.session.scalars(
        sa.select(Match).where(Match.need_id == need.id, Match.status.in_(LIVE_MATCH_STATUSES))
    )
    for match in matches:
        match.status, match.decided_by_id, match.decided_dt = MatchStatus.CANCELLED, actor.id, now
        match.reason = "The need was cancelled."
    db.session.flush()
    return need


def get_need(need_id: int) -> Need:
    return get_or_not_found(Need, need_id, "need")


def list_needs(
    viewer: Person | None,
    *,
    group: str | Group | None = None,
    status: str | None = None,
    category: str | None = None,
    district: str | None = None,
    skill: str | None = None,
    mine: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> Page[Need]:
    """A page of needs, newest first. Show each with :func:`visibility.need_view`.

    Without ``status``: open, partly matched and matched needs (every status with ``mine``).
    """
    query = sa.select(Need)
    if group is not None:
        group_row = group if isinstance(group, Group) else get_group_by_slug(group, field="group")
        query = query.where(Need.group_id == group_row.id)
    if mine:
        if viewer is None:
            return Page.empty(limit, offset)
        query = query.where(Need.requester_id == viewer.id)
    if status is not None:
        query = query.where(Need.status == status)
    elif not mine:
        query = query.where(Need.status.in_(ACTIVE_NEED_STATUSES))
    if not mine:
        query = query.where(accounts.published(Need.requester_id, viewer))
    if category is not None:
        query = query.where(Need.category == category)
    if district is not None:
        query = query.where(Need.district == district)
    if skill is not None:
        query = query.where(
            Need.id.in_(
                sa.select(need_skills.c.need_id)
                .join(Skill, Skill.id == need_skills.c.skill_id)
                .where(Skill.slug == skill)
            )
        )
    return paginate(
        query,
        order_by=(Need.created_dt.desc(), Need.id.desc()),
        options=(
            selectinload(Need.skills),
            selectinload(Need.group),
            selectinload(Need.requester),
        ),
        limit=limit,
        offset=offset,
    )


def refresh_need_status(need: Need) -> Need:
    """Open, partly matched or matched, from its approved and completed matches; closed stay."""
    if is_closed(need):
        return need
    held = holding_match_count(need)
    if held == 0:
        need.status = NeedStatus.OPEN
    elif held < need.volunteers_needed:
        need.status = NeedStatus.PARTLY_MATCHED
    else:
        need.status = NeedStatus.MATCHED
    db.session.flush()
    return need

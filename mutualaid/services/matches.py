"""The decisions on a match: approve, reject, decline, cancel, complete; and needs that expire.

Approval never exceeds an offer's capacity or a need's ``volunteers_needed``, also when two
coordinators approve at once: the need and offer rows are locked (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the request's BEGIN IMMEDIATE lets one writer in at a time) and the slots
recounted inside the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import Group, Match, Need, Offer, OfferSkill, Person, get_row, utcnow
from ..schemas.matches import MatchOutSchema
from . import accounts, notifications, visibility
from .matching_runs import FILLING_STATUSES, OPEN_NEED_STATUSES
from .needs import refresh_need_status

#: The most hours one match can record.
MAX_HOURS = 1000.0
_match_out = MatchOutSchema()
_LOADS = (
    joinedload(Match.need).joinedload(Need.requester),
    joinedload(Match.need).selectinload(Need.skills),
    joinedload(Match.offer).joinedload(Offer.volunteer),
    joinedload(Match.offer).selectinload(Offer.offer_skills).joinedload(OfferSkill.skill),
)


# --- reading ----------------------------------------------------------------------------------


def get_match(match_id: int) -> Match:
    match = get_row(Match, match_id)
    if match is None:
        raise NotFound(f"No match {match_id}.")
    return match


def is_coordinator_of(person: Person | None, match: Match) -> bool:
    return accounts.is_coordinator(person, match.need.group_id)


def is_volunteer_of(person: Person | None, match: Match) -> bool:
    return person is not None and match.offer.volunteer_id == person.id


def is_resident_of(person: Person | None, match: Match) -> bool:
    return person is not None and match.need.requester_id == person.id


def can_view(person: Person | None, match: Match) -> bool:
    """Coordinators of the need's group, the volunteer, and the resident once the match is agreed."""
    if is_coordinator_of(person, match) or is_volunteer_of(person, match):
        return True
    return is_resident_of(person, match) and match.status in ("approved", "completed", "cancelled")


def view_match(person: Person | None, match_id: int) -> Match:
    match = get_match(match_id)
    if not can_view(person, match):
        raise NotFound(f"No match {match_id}.")  # do not confirm that it exists
    return match


def group_queue(person: Person, group: Group, status: str | None = "proposed") -> list[Match]:
    """A group's matches for its coordinators, best first."""
    accounts.require_coordinator(person, group)
    query = (
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group.id)
        .options(*_LOADS)
        .order_by(Match.score.desc(), Match.id)
    )
    if status:
        query = query.where(Match.status == status)
    return list(db.session.scalars(query).unique())


def matches_for_volunteer(person: Person, statuses: Iterable[str] | None = None) -> list[Match]:
    query = (
        sa.select(Match)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Offer.volunteer_id == person.id)
        .options(*_LOADS)
        .order_by(Match.created_dt.desc(), Match.id.desc())
    )
    if statuses:
        query = query.where(Match.status.in_(list(statuses)))
    return list(db.session.scalars(query).unique())


def matches_for_resident(
    person: Person, statuses: Iterable[str] = ("approved", "completed")
) -> list[Match]:
    query = (
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.requester_id == person.id, Match.status.in_(list(statuses)))
        .options(*_LOADS)
        .order_by(Match.created_dt.desc(), Match.id.desc())
    )
    return list(db.session.scalars(query).unique())


def match_view(match: Match, viewer: Person | None) -> dict[str, Any]:
    """The match as ``viewer`` may see it: the need and offer through the privacy rule."""
    return _match_out.dump(
        {
            "id": match.id,
            "status": match.status,
            "score": match.score,
            "distance_km": match.distance_km,
            "explanation": match.explanation,
            "run_id": match.run_id,
            "created_at": match.created_dt,
            "decided_at": match.decided_dt,
            "decided_by": match.decided_by_id,
            "reason": match.reason,
            "hours": match.hours,
            "completed_at": match.completed_dt,
            "need": visibility.need_view(match.need, viewer),
            "offer": visibility.offer_view(match.offer, viewer),
        }
    )


# --- deciding ---------------------------------------------------------------------------------


def _locked(match_id: int) -> tuple[Match, Need, Offer]:
    """The match, its need and its offer, locked for this transaction (need before offer, always)."""
    match = get_match(match_id)
    need = db.session.scalars(
        sa.select(Need)
        .where(Need.id == match.need_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    offer = db.session.scalars(
        sa.select(Offer)
        .where(Offer.id == match.offer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    match = db.session.scalars(
        sa.select(Match)
        .where(Match.id == match_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return match, need, offer


def _lock_in_order(match_ids: list[int]) -> None:
    """Lock every need, then every offer, of these matches, each in id order.

    A single approval locks one need, then one offer; taking many in the same global order
    means a bulk approval and a single one can wait for each other but never deadlock.
    """
    if not match_ids or db.engine.dialect.name != "postgresql":
        return
    pairs = db.session.execute(
        sa.select(Match.need_id, Match.offer_id).where(Match.id.in_(match_ids))
    ).all()
    db.session.execute(
        sa.select(Need.id)
        .where(Need.id.in_({n for n, _ in pairs}))
        .order_by(Need.id)
        .with_for_update()
    ).all()
    db.session.execute(
        sa.select(Offer.id)
        .where(Offer.id.in_({o for _, o in pairs}))
        .order_by(Offer.id)
        .with_for_update()
    ).all()


def _count(*where: object) -> int:
    return db.session.scalar(sa.select(sa.func.count(Match.id)).where(*where)) or 0


def _decide(match: Match, status: str, actor: Person, reason: str | None = None) -> None:
    match.status = status
    match.decided_by_id = actor.id
    match.decided_dt = utcnow()
    if reason is not None:
        match.reason = reason


def _a(word: str) -> str:
    """``word`` with its indefinite article: "a proposed", "an approved"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _require_status(match: Match, allowed: tuple[str, ...], action: str) -> None:
    if match.status not in allowed:
        raise InvalidState(
            f"{_a(match.status).capitalize()} match cannot be {action}.",
            {"status": [f"Only {_a(' or '.join(allowed))} match can be {action}."]},
        )


def approve_match(match_id: int, actor: Person) -> Match:
    """Approve a proposal: reveal both sides to each other and queue an email to each."""
    match = get_match(match_id)
    if not is_coordinator_of(actor, match):
        raise Forbidden("Only the group's coordinators can approve a match.")
    match, need, offer = _locked(match_id)
    _approve_locked(match, need, offer, actor)
    return match


def _approve_locked(match: Match, need: Need, offer: Offer, actor: Person) -> None:
    _require_status(match, ("proposed",), "approved")
    if need.status not in OPEN_NEED_STATUSES:
        raise InvalidState(
            f"The need is {need.status.replace('_', ' ')}; it takes no more volunteers."
        )
    if not offer.is_active:
        raise InvalidState("The volunteer's offer is no longer active.")
    if offer.volunteer_id == need.requester_id:
        raise Conflict("A person cannot be matched to their own need.")
    if (
        _count(Match.need_id == need.id, Match.status.in_(FILLING_STATUSES))
        >= need.volunteers_needed
    ):
        raise Conflict("This need already has all the volunteers it asked for.")
    if _count(Match.offer_id == offer.id, Match.status == "approved") >= offer.capacity:
        raise Conflict("This volunteer has no capacity left for another need.")
    if (
        db.session.scalar(  # a need's volunteers are distinct people, whichever of their offers
            sa.select(Match.id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.need_id == need.id,
                Match.status.in_(FILLING_STATUSES),
                Offer.volunteer_id == offer.volunteer_id,
            )
            .limit(1)
        )
        is not None
    ):
        raise Conflict("This volunteer is already helping with this need (through another offer).")
    _decide(match, "approved", actor)
    db.session.flush()
    refresh_need_status(need)
    notifications.match_approved(match)


def approve_above(
    group: Group, actor: Person, min_score: float
) -> tuple[list[Match], list[tuple[Match, str]]]:
    """Approve the group's proposals scoring at least ``min_score``, best first, skipping what no longer fits.

    Returns the approved matches and the skipped ones with the reason.
    """
    accounts.require_coordinator(actor, group)
    ids = list(
        db.session.scalars(
            sa.select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .where(Need.group_id == group.id, Match.status == "proposed", Match.score >= min_score)
            .order_by(Match.score.desc(), Match.id)
        )
    )
    _lock_in_order(ids)
    approved, skipped = [], []
    for match_id in ids:
        match, need, offer = _locked(match_id)
        try:  # every check comes before the first change, so a refusal leaves nothing to undo
            _approve_locked(match, need, offer, actor)
        except (Conflict, InvalidState) as exc:
            skipped.append((match, exc.message))
        else:
            approved.append(match)
    return approved, skipped


def reject_match(match_id: int, actor: Person, reason: str) -> Match:
    """Reject a proposal; the pair is never proposed again."""
    match = get_match(match_id)
    if not is_coordinator_of(actor, match):
        raise Forbidden("Only the group's coordinators can reject a match.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the match is rejected.")
    match, need, offer = _locked(match_id)
    _require_status(match, ("proposed",), "rejected")
    _decide(match, "rejected", actor, reason[:2000])
    db.session.flush()
    return match


def decline_match(match_id: int, actor: Person, reason: str | None = None) -> Match:
    """The volunteer says no, to a proposal or an approved match; frees the slot and the capacity."""
    match = get_match(match_id)
    if not is_volunteer_of(actor, match):
        raise Forbidden("Only the volunteer can decline a match.")
    match, need, offer = _locked(match_id)
    _require_status(match, ("proposed", "approved"), "declined")
    was_approved = match.status == "approved"
    _decide(match, "declined", actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    if was_approved:
        notifications.match_ended(match, actor)
    return match


def cancel_match(match_id: int, actor: Person, reason: str | None = None) -> Match:
    """Call off an approved match (coordinator, resident or volunteer); the need's slot reopens."""
    match = get_match(match_id)
    if not (
        is_coordinator_of(actor, match)
        or is_volunteer_of(actor, match)
        or is_resident_of(actor, match)
    ):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can cancel a match."
        )
    match, need, offer = _locked(match_id)
    _require_status(match, ("approved",), "cancelled")
    _decide(match, "cancelled", actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    notifications.match_ended(match, actor)
    return match


def complete_match(match_id: int, actor: Person, hours: float) -> Match:
    """Record that the help was given, with the hours it took."""
    match = get_match(match_id)
    if not (
        is_coordinator_of(actor, match)
        or is_volunteer_of(actor, match)
        or is_resident_of(actor, match)
    ):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can complete a match."
        )
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise ValidationFailed.field("hours", "Enter the hours as a number.") from None
    if not (0 < hours <= MAX_HOURS):
        raise ValidationFailed.field("hours", f"Enter between 0 and {MAX_HOURS:g} hours.")
    match, need, offer = _locked(match_id)
    _require_status(match, ("approved",), "completed")
    match.status = "completed"
    match.hours = hours
    match.completed_dt = utcnow()
    db.session.flush()
    refresh_need_status(need)
    _fulfil_if_done(need)
    return match


# --- the need's status ------------------------------------------------------------------------


def _fulfil_if_done(need: Need) -> None:
    """A one-off need whose every slot is completed is fulfilled; a weekly need stays matched until cancelled."""
    if (
        need.on_date is not None
        and need.status == "matched"
        and _count(Match.need_id == need.id, Match.status == "completed") >= need.volunteers_needed
    ):
        need.status = "fulfilled"
        db.session.flush()


def expire_needs(now: datetime | None = None) -> int:
    """One-off needs past their date (or past ``expires_dt``) that are still open expire; their proposals close.

    Weekly needs have no date and stay as they are until cancelled.
    """
    now = now or utcnow()
    today: date = now.date()
    due = db.session.scalars(
        sa.select(Need).where(
            Need.status.in_(OPEN_NEED_STATUSES),
            sa.or_(Need.on_date < today, Need.expires_dt <= now),
        )
    ).all()
    for need in due:
        need.status = "expired"
        for match in db.session.scalars(
            sa.select(Match).where(Match.need_id == need.id, Match.status == "proposed")
        ):
            match.status = "cancelled"
            match.decided_dt = now
            match.reason = "The need expired before the match was decided."
    db.session.flush()
    return len(due)

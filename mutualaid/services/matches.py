"""The decisions on a match: approve, reject, decline, cancel, complete; and needs that expire.

Approval never exceeds an offer's capacity or a need's ``volunteers_needed``, also when two
coordinators approve at once: the need, the offer and the match rows are locked, in that order
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has no row locks, and the request's
``BEGIN IMMEDIATE`` lets one writer in at a time instead), and the slots recounted inside the
transaction. A bulk approval first locks every need, then every offer, each in id order, so it
and a single approval can wait for each other but never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    RESIDENT_MATCH_STATUSES,
    Group,
    Match,
    MatchStatus,
    Need,
    NeedStatus,
    Offer,
    OfferSkill,
    Person,
    utcnow,
)
from ..schemas.matches import MatchOutSchema
from . import accounts, locks, notifications, visibility
from .common import count_matches, get_or_not_found
from .needs import refresh_need_status

#: The most hours one match can record.
MAX_HOURS = 1000.0
#: The statuses from which a match can be moved to each decided status.
DECIDABLE_FROM: dict[MatchStatus, tuple[MatchStatus, ...]] = {
    MatchStatus.APPROVED: (MatchStatus.PROPOSED,),
    MatchStatus.REJECTED: (MatchStatus.PROPOSED,),
    MatchStatus.DECLINED: LIVE_MATCH_STATUSES,
    MatchStatus.CANCELLED: (MatchStatus.APPROVED,),
    MatchStatus.COMPLETED: (MatchStatus.APPROVED,),
}
_match_out = MatchOutSchema()
_LOADS = (
    joinedload(Match.need).joinedload(Need.requester),
    joinedload(Match.need).selectinload(Need.skills),
    joinedload(Match.offer).joinedload(Offer.volunteer),
    joinedload(Match.offer).selectinload(Offer.offer_skills).joinedload(OfferSkill.skill),
)


# --- who may do what --------------------------------------------------------------------------


def is_coordinator_of(person: Person | None, match: Match) -> bool:
    return accounts.is_coordinator(person, match.need.group_id)


def is_volunteer_of(person: Person | None, match: Match) -> bool:
    return person is not None and match.offer.volunteer_id == person.id


def is_resident_of(person: Person | None, match: Match) -> bool:
    return person is not None and match.need.requester_id == person.id


def is_party_to(person: Person | None, match: Match) -> bool:
    """A coordinator of the need's group, the volunteer or the resident."""
    return (
        is_volunteer_of(person, match)
        or is_resident_of(person, match)
        or is_coordinator_of(person, match)
    )


def can_view(person: Person | None, match: Match) -> bool:
    """Coordinators of the need's group, the volunteer, and the resident once it is agreed."""
    if is_coordinator_of(person, match) or is_volunteer_of(person, match):
        return True
    return is_resident_of(person, match) and match.status in RESIDENT_MATCH_STATUSES


def _can_move(match: Match, to: MatchStatus) -> bool:
    return match.status in DECIDABLE_FROM[to]


def can_decline(person: Person | None, match: Match) -> bool:
    return is_volunteer_of(person, match) and _can_move(match, MatchStatus.DECLINED)


def can_cancel(person: Person | None, match: Match) -> bool:
    return is_party_to(person, match) and _can_move(match, MatchStatus.CANCELLED)


def can_complete(person: Person | None, match: Match) -> bool:
    return is_party_to(person, match) and _can_move(match, MatchStatus.COMPLETED)


@dataclass(frozen=True)
class MatchActions:
    """What a person may do with a match now: the buttons a page offers."""

    decline: bool
    cancel: bool
    complete: bool


def actions_for(person: Person | None, match: Match) -> MatchActions:
    return MatchActions(
        decline=can_decline(person, match),
        cancel=can_cancel(person, match),
        complete=can_complete(person, match),
    )


# --- reading ----------------------------------------------------------------------------------


def get_match(match_id: int) -> Match:
    return get_or_not_found(Match, match_id, "match")


def view_match(person: Person | None, match_id: int) -> Match:
    match = get_match(match_id)
    if not can_view(person, match):
        raise NotFound(f"No match {match_id}.")  # do not confirm that it exists
    return match


def group_queue(
    person: Person, group: Group, status: str | None = MatchStatus.PROPOSED
) -> list[Match]:
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
    person: Person, statuses: Iterable[str] = HOLDING_MATCH_STATUSES
) -> list[Match]:
    query = (
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.requester_id == person.id, Match.status.in_(list(statuses)))
        .options(*_LOADS)
        .order_by(Match.created_dt.desc(), Match.id.desc())
    )
    return list(db.session.scalars(query).unique())


def can_see_reason(
    person: Person | None, match: Match, coordinated: set[int] | None = None
) -> bool:
    """A decision's reason: the need's group's coordinators, and whoever gave it (a volunteer's
    own decline). A rejection's reason is the coordinators' internal note. ``coordinated``:
    the person's coordinated group ids, when already read for a list."""
    if person is None or getattr(person, "id", None) is None:
        return False
    if match.decided_by_id == person.id:
        return True
    if coordinated is not None:
        return match.need.group_id in coordinated
    return is_coordinator_of(person, match)


def match_view(match: Match, viewer: Person | None) -> dict[str, Any]:
    """The match as ``viewer`` may see it: the need and offer through the privacy rule; before
    approval the distance in a band (:func:`visibility.sees_exact_distance`)."""
    return match_views([match], viewer)[0]


def match_views(found: list[Match], viewer: Person | None) -> list[dict[str, Any]]:
    """:func:`match_view` of each match, the privacy rule's facts read once for the list."""
    needs = visibility.need_views([m.need for m in found], viewer)
    offers = visibility.offer_views([m.offer for m in found], viewer)
    coordinated = accounts.coordinated_group_ids(viewer) if found else set()
    out = []
    for match, need, offer in zip(found, needs, offers, strict=True):
        data = {
            "id": match.id,
            "status": match.status,
            "score": match.score,
            "distance_km": match.distance_km,
            "distance_band": visibility.distance_band(match.distance_km),
            "explanation": match.explanation,
            "run_id": match.run_id,
            "created_at": match.created_dt,
            "decided_at": match.decided_dt,
            "decided_by": match.decided_by_id,
            "reason": match.reason if can_see_reason(viewer, match, coordinated) else None,
            "hours": match.hours,
            "completed_at": match.completed_dt,
            "need": need,
            "offer": offer,
        }
        if not visibility.sees_exact_distance(match, viewer, coordinated):
            data = visibility.banded_match(data)
        out.append(_match_out.dump(data))
    return out


# --- deciding ---------------------------------------------------------------------------------


def _locked(match_id: int) -> tuple[Match, Need, Offer]:
    """The match, its need and its offer, locked in the global order (need, offer, match).

    :class:`NotFound` if the match is gone, also when a matching run replaced the proposal
    while this transaction waited for its need or offer.
    """
    match = get_match(match_id)
    need = locks.lock_row(Need, match.need_id)
    offer = locks.lock_row(Offer, match.offer_id)
    return locks.lock_row(Match, match_id, "match"), need, offer


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
    locks.lock_in_order(needs={n for n, _ in pairs}, offers={o for _, o in pairs})


def _decide(match: Match, status: MatchStatus, actor: Person, reason: str | None = None) -> None:
    match.status = status
    match.decided_by_id = actor.id
    match.decided_dt = utcnow()
    if reason is not None:
        match.reason = reason


def _a(word: str) -> str:
    """``word`` with its indefinite article: "a proposed", "an approved"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _require_move(match: Match, to: MatchStatus) -> None:
    """InvalidState unless the match can be moved to ``to`` from where it stands."""
    if not _can_move(match, to):
        allowed = " or ".join(DECIDABLE_FROM[to])
        raise InvalidState(
            f"{_a(match.status).capitalize()} match cannot be {to}.",
            {"status": [f"Only {_a(allowed)} match can be {to}."]},
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
    _require_move(match, MatchStatus.APPROVED)
    if need.status not in OPEN_NEED_STATUSES:
        raise InvalidState(
            f"The need is {need.status.replace('_', ' ')}; it takes no more volunteers."
        )
    if not offer.is_active:
        raise InvalidState("The volunteer's offer is no longer active.")
    if offer.volunteer_id == need.requester_id:
        raise Conflict("A person cannot be matched to their own need.")
    if (
        count_matches(Match.need_id == need.id, Match.status.in_(HOLDING_MATCH_STATUSES))
        >= need.volunteers_needed
    ):
        raise Conflict("This need already has all the volunteers it asked for.")
    if (
        count_matches(Match.offer_id == offer.id, Match.status == MatchStatus.APPROVED)
        >= offer.capacity
    ):
        raise Conflict("This volunteer has no capacity left for another need.")
    if (
        db.session.scalar(  # a need's volunteers are distinct people, whichever of their offers
            sa.select(Match.id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.need_id == need.id,
                Match.status.in_(HOLDING_MATCH_STATUSES),
                Offer.volunteer_id == offer.volunteer_id,
            )
            .limit(1)
        )
        is not None
    ):
        raise Conflict("This volunteer is already helping with this need (through another offer).")
    _decide(match, MatchStatus.APPROVED, actor)
    db.session.flush()
    refresh_need_status(need)
    notifications.match_approved(match)


#: Why a bulk approval skipped a proposal that is no longer there.
VANISHED = "The proposal is no longer there: a newer matching run replaced it."


def shown_score(score: float) -> float:
    """A score as pages show it (two decimals): what "at least 0.70" is compared against."""
    return float(f"{score:.2f}")


def proposals_at_least(group: Group, actor: Person, min_score: float) -> list[Match]:
    """The group's proposals whose shown score is at least ``min_score``, best first."""
    accounts.require_coordinator(actor, group)
    floor = shown_score(min_score)
    found = db.session.scalars(
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group.id, Match.status == MatchStatus.PROPOSED)
        .options(*_LOADS)
        .order_by(Match.score.desc(), Match.id)
    ).unique()
    return [m for m in found if shown_score(m.score) >= floor]


def approve_many(
    group: Group, actor: Person, match_ids: list[int]
) -> tuple[list[Match], list[tuple[int, str]]]:
    """Approve these proposals of the group, in the order given, skipping what no longer fits
    or is no longer there.

    Ids of other groups' matches are left alone. Returns the approved matches and the ids of
    the skipped ones with the reason.
    """
    accounts.require_coordinator(actor, group)
    ids = list(
        db.session.scalars(
            sa.select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .where(Need.group_id == group.id, Match.id.in_(match_ids))
        )
    )
    position = {match_id: i for i, match_id in enumerate(match_ids)}
    ids.sort(key=position.__getitem__)
    _lock_in_order(ids)
    approved: list[Match] = []
    skipped: list[tuple[int, str]] = []
    for match_id in ids:
        try:
            match, need, offer = _locked(match_id)
        except NotFound:
            skipped.append((match_id, VANISHED))
            continue
        try:  # every check comes before the first change, so a refusal leaves nothing to undo
            _approve_locked(match, need, offer, actor)
        except (Conflict, InvalidState) as exc:
            skipped.append((match_id, exc.message))
        else:
            approved.append(match)
    return approved, skipped


def approve_above(
    group: Group, actor: Person, min_score: float
) -> tuple[list[Match], list[tuple[int, str]]]:
    """Approve the group's proposals whose shown score is at least ``min_score``, best first,
    skipping what no longer fits or is no longer there (see :func:`approve_many`)."""
    chosen = [m.id for m in proposals_at_least(group, actor, min_score)]
    return approve_many(group, actor, chosen)


def reject_match(match_id: int, actor: Person, reason: str) -> Match:
    """Reject a proposal; the pair is never proposed again."""
    match = get_match(match_id)
    if not is_coordinator_of(actor, match):
        raise Forbidden("Only the group's coordinators can reject a match.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the match is rejected.")
    match, _, _ = _locked(match_id)
    _require_move(match, MatchStatus.REJECTED)
    _decide(match, MatchStatus.REJECTED, actor, reason[:2000])
    db.session.flush()
    return match


def decline_match(match_id: int, actor: Person, reason: str | None = None) -> Match:
    """The volunteer says no, to a proposal or an approved match; frees the slot and the
    capacity."""
    match = get_match(match_id)
    if not is_volunteer_of(actor, match):
        raise Forbidden("Only the volunteer can decline a match.")
    match, need, _ = _locked(match_id)
    _require_move(match, MatchStatus.DECLINED)
    was_approved = match.status == MatchStatus.APPROVED
    _decide(match, MatchStatus.DECLINED, actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    if was_approved:
        notifications.match_ended(match, actor)
    return match


def cancel_match(match_id: int, actor: Person, reason: str | None = None) -> Match:
    """Call off an approved match (coordinator, resident or volunteer); the need's slot reopens."""
    match = get_match(match_id)
    if not is_party_to(actor, match):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can cancel a match."
        )
    match, need, _ = _locked(match_id)
    _require_move(match, MatchStatus.CANCELLED)
    _decide(match, MatchStatus.CANCELLED, actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    notifications.match_ended(match, actor)
    return match


def complete_match(match_id: int, actor: Person, hours: float | str) -> Match:
    """Record that the help was given, with the hours it took."""
    match = get_match(match_id)
    if not is_party_to(actor, match):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can complete a match."
        )
    try:
        hours = float(hours)
    except (TypeError, ValueError):
        raise ValidationFailed.field("hours", "Enter the hours as a number.") from None
    if not (0 < hours <= MAX_HOURS):
        raise ValidationFailed.field("hours", f"Enter between 0 and {MAX_HOURS:g} hours.")
    match, need, _ = _locked(match_id)
    _require_move(match, MatchStatus.COMPLETED)
    match.status = MatchStatus.COMPLETED
    match.hours = hours
    match.completed_dt = utcnow()
    db.session.flush()
    refresh_need_status(need)
    _fulfil_if_done(need)
    return match


# --- the need's status ------------------------------------------------------------------------


def _fulfil_if_done(need: Need) -> None:
    """A one-off need whose every slot is completed is fulfilled; a weekly need stays matched
    until cancelled."""
    if (
        need.on_date is not None
        and need.status == NeedStatus.MATCHED
        and count_matches(Match.need_id == need.id, Match.status == MatchStatus.COMPLETED)
        >= need.volunteers_needed
    ):
        need.status = NeedStatus.FULFILLED
        db.session.flush()


def expire_needs(now: datetime | None = None) -> int:
    """One-off needs past their date (or past ``expires_dt``) that are still open expire; their
    proposals close.

    Weekly needs have no date and stay as they are until cancelled.
    """
    now = now or utcnow()
    today: date = now.date()
    is_due = (
        Need.status.in_(OPEN_NEED_STATUSES),
        sa.or_(Need.on_date < today, Need.expires_dt <= now),
    )
    # The lock order (see locks): the needs, then their proposals, each in id order; what is
    # due is read again under the locks, since an approval may have got there first.
    locks.lock_ids(Need, db.session.scalars(sa.select(Need.id).where(*is_due)))
    due = db.session.scalars(
        sa.select(Need).where(*is_due).order_by(Need.id).execution_options(populate_existing=True)
    ).all()
    proposed = (Match.need_id.in_([n.id for n in due]), Match.status == MatchStatus.PROPOSED)
    locks.lock_ids(Match, db.session.scalars(sa.select(Match.id).where(*proposed)))
    for need in due:
        need.status = NeedStatus.EXPIRED
    for match in db.session.scalars(
        sa.select(Match).where(*proposed).execution_options(populate_existing=True)
    ):
        match.status = MatchStatus.CANCELLED
        match.decided_dt = now
        match.reason = "The need expired before the match was decided."
    db.session.flush()
    return len(due)

"""The decisions on a match: approve, reject, decline, cancel, complete; sessions of weekly help;
needs that expire and weekly help that ends.

Approval never exceeds an offer's capacity or a need's ``volunteers_needed``, also when two
coordinators approve at once: the need, the offer and the match rows are locked, in that order
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has no row locks, and the request's
``BEGIN IMMEDIATE`` lets one writer in at a time instead), and the slots recounted inside the
transaction. The volunteer's time is one: approval locks every offer of the volunteer (not just
the one matched), so that two approvals of one person, in two groups, cannot both pass the check
of clashes and of the weekly limit (:mod:`mutualaid.services.commitments`). A bulk approval
first locks every need, then every offer of every volunteer involved, each in id order, so it and
a single approval can wait for each other but never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    ACTIVE_NEED_STATUSES,
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    RESIDENT_MATCH_STATUSES,
    Group,
    Match,
    MatchSession,
    MatchStatus,
    Need,
    NeedStatus,
    Offer,
    OfferSkill,
    Person,
    SessionStatus,
    utcnow,
)
from ..schemas.matches import MatchOutSchema
from . import accounts, commitments, locks, notifications, visibility
from .common import count_matches, get_or_not_found
from .needs import holding_match_count, refresh_need_status

#: The most hours one session (or one-off match) can record; a session's own length bounds it
#: further (see :func:`_require_hours_within`).
MAX_HOURS = 25.0
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
    """One-off help, by hand (weekly help completes by itself after its last day)."""
    return (
        is_party_to(person, match)
        and _can_move(match, MatchStatus.COMPLETED)
        and match.need.on_date is not None
    )


@dataclass(frozen=True)
class MatchActions:
    """What a person may do with a match now: the buttons a page offers."""

    decline: bool
    cancel: bool
    complete: bool
    #: record a session of weekly help
    session: bool = False
    #: stepping back ends weekly help that has begun
    begun: bool = False


def actions_for(person: Person | None, match: Match) -> MatchActions:
    return MatchActions(
        decline=can_decline(person, match),
        cancel=can_cancel(person, match),
        complete=can_complete(person, match),
        session=can_record_session(person, match),
        begun=has_begun(match),
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
            "claim": match.is_claim,
            "created_at": match.created_dt,
            "decided_at": match.decided_dt,
            "decided_by": match.decided_by_id,
            "reason": match.reason if can_see_reason(viewer, match, coordinated) else None,
            "hours": match.hours,
            "completed_at": match.completed_dt,
            "ended_on": match.ended_on,
            "need": need,
            "offer": offer,
        }
        if not visibility.sees_exact_distance(match, viewer, coordinated):
            data = visibility.banded_match(data)
        out.append(_match_out.dump(data))
    return out


# --- deciding ---------------------------------------------------------------------------------


def _offers_of_volunteers(offer_ids: Iterable[int]) -> set[int]:
    """Every offer of the volunteers behind these offers (their time is one)."""
    people = sa.select(Offer.volunteer_id).where(Offer.id.in_(list(offer_ids)))
    return set(db.session.scalars(sa.select(Offer.id).where(Offer.volunteer_id.in_(people))))


def _locked(match_id: int) -> tuple[Match, Need, Offer]:
    """The match, its need and its offer, locked in the global order (need, offers, match).

    Every offer of the volunteer is locked, in id order, not only the matched one: approvals of
    one person through two offers wait for each other (see the module's docstring).
    :class:`NotFound` if the match is gone, also when a matching run replaced the proposal
    while this transaction waited for its need or offer.
    """
    match = get_match(match_id)
    need = locks.lock_row(Need, match.need_id)
    locks.lock_ids(Offer, _offers_of_volunteers([match.offer_id]))
    offer = locks.lock_row(Offer, match.offer_id)
    return locks.lock_row(Match, match_id, "match"), need, offer


def _lock_in_order(match_ids: list[int]) -> None:
    """Lock every need, then every offer of every volunteer, of these matches, each in id order.

    A single approval locks one need, then its volunteer's offers; taking many in the same
    global order means a bulk approval and a single one can wait for each other but never
    deadlock.
    """
    if not match_ids or db.engine.dialect.name != "postgresql":
        return
    pairs = db.session.execute(
        sa.select(Match.need_id, Match.offer_id).where(Match.id.in_(match_ids))
    ).all()
    locks.lock_in_order(
        needs={n for n, _ in pairs}, offers=_offers_of_volunteers({o for _, o in pairs})
    )


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
    # Their time: a clash with anything they agreed to, in any group; their pause; their limit.
    today = utcnow().date()
    commitments.require_fit(offer.volunteer, need, today)
    _decide(match, MatchStatus.APPROVED, actor)
    if need.on_date is None and need.starts_on is not None and need.starts_on < today:
        match.begins_on = today  # weekly help joined on the way: it holds time from today
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
    if match.is_claim:  # the volunteer asked: they hear the answer (a run's proposal: no mail)
        notifications.claim_rejected(match)
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
    if was_approved:
        _end_if_begun(match, need)
    _decide(match, MatchStatus.DECLINED, actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    if was_approved:
        notifications.match_ended(match, actor)
    return match


def has_begun(match: Match) -> bool:
    """Agreed weekly help whose first day is past: stepping back from it ends it."""
    need = match.need
    return (
        match.status == MatchStatus.APPROVED
        and need.on_date is None
        and need.starts_on is not None
        and need.starts_on < utcnow().date()
    )


def _end_if_begun(match: Match, need: Need) -> None:
    """Stepping back from weekly help that has begun ends it: yesterday was its last day, the
    sessions so far stay, and the time and the capacity are free from today."""
    if has_begun(match):
        match.ended_on = utcnow().date() - timedelta(days=1)


def cancel_match(match_id: int, actor: Person, reason: str | None = None) -> Match:
    """Call off an approved match (coordinator, resident or volunteer); the need's slot reopens.

    Weekly help that has begun ends (its sessions so far stay): see :func:`_end_if_begun`.
    """
    match = get_match(match_id)
    if not is_party_to(actor, match):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can cancel a match."
        )
    match, need, _ = _locked(match_id)
    _require_move(match, MatchStatus.CANCELLED)
    _end_if_begun(match, need)
    _decide(match, MatchStatus.CANCELLED, actor, (reason or "").strip()[:2000] or None)
    db.session.flush()
    refresh_need_status(need)
    notifications.match_ended(match, actor)
    return match


def _hours(value: float | str | None, field: str = "hours") -> float:
    try:
        hours = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed.field(field, "Enter the hours as a number.") from None
    if not (0 < hours <= MAX_HOURS):
        raise ValidationFailed.field(field, f"Enter between 0 and {MAX_HOURS:g} hours.")
    return hours


def _require_hours_within(hours: float, session_minutes: int, field: str = "hours") -> None:
    """Hours reported are bounded by the session's length plus a margin."""
    most = session_minutes / 60 + commitments.HOURS_MARGIN
    if hours > most + 1e-9:
        raise ValidationFailed.field(
            field,
            f"The session lasts {session_minutes / 60:g} hours; report at most {most:g}.",
        )


def complete_match(match_id: int, actor: Person, hours: float | str) -> Match:
    """Record that one-off help was given, with the hours it took (from the need's date on).

    Weekly help is recorded session by session (:func:`record_session`) and completes by itself
    after its last day (:func:`complete_finished`).
    """
    match = get_match(match_id)
    if not is_party_to(actor, match):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can complete a match."
        )
    hours = _hours(hours)
    match, need, _ = _locked(match_id)
    _require_move(match, MatchStatus.COMPLETED)
    if need.on_date is None:
        end = commitments.last_day(match)
        raise InvalidState(
            "Weekly help is recorded session by session, and completes by itself after its last "
            f"day{f' ({commitments.long_date(end)})' if end else ''}; or step back to end it.",
            {"status": ["Only one-off help is completed by hand."]},
        )
    today = utcnow().date()
    if need.on_date > today:
        raise InvalidState(
            f"This help is on {commitments.long_date(need.on_date)}; it can be recorded as done "
            "from that day.",
            {"status": ["Not before the need's date."]},
        )
    windows = commitments.need_schedule(need).windows
    _require_hours_within(hours, sum(end - start for _, start, end in windows))
    match.status = MatchStatus.COMPLETED
    match.hours = hours
    match.completed_dt = utcnow()
    db.session.flush()
    refresh_need_status(need)
    _fulfil_if_done(need)
    return match


def can_record_session(person: Person | None, match: Match) -> bool:
    """Sessions of weekly help that was agreed (also after it ended or completed), by either side
    or a coordinator."""
    if not is_party_to(person, match) or match.need.on_date is not None:
        return False
    if match.status in (MatchStatus.APPROVED, MatchStatus.COMPLETED):
        return True
    return match.ended_on is not None and match.status in (
        MatchStatus.DECLINED,
        MatchStatus.CANCELLED,
    )


def record_session(
    match_id: int, actor: Person, on_date: date, status: str, hours: float | str | None = None
) -> MatchSession:
    """Record one session of weekly help: done (with its hours) or missed.

    The day must be one of the commitment's days, not in the future; hours are bounded by the
    day's windows plus :data:`~mutualaid.services.commitments.HOURS_MARGIN`. Recording a day
    again replaces what was recorded. The match's ``hours`` is the sum of its sessions done.
    """
    match = get_match(match_id)
    if not is_party_to(actor, match):
        raise Forbidden(
            "Only the group's coordinators, the resident or the volunteer can record a session."
        )
    errors: dict[str, list[str]] = {}
    if status not in (SessionStatus.DONE, SessionStatus.MISSED):
        errors["status"] = ["Say whether the session was done or missed."]
    hours_value: float | None = None
    if status == SessionStatus.DONE:
        try:
            hours_value = _hours(hours)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    match, need, _ = _locked(match_id)
    if not can_record_session(actor, match):
        raise InvalidState(
            "Sessions are recorded for weekly help that was agreed.",
            {"status": [f"Not for {_a(match.status)} match."]},
        )
    schedule = commitments.commitment_schedule(match)
    today = utcnow().date()
    minutes = commitments.day_minutes(schedule, on_date)
    if on_date > today:
        errors.setdefault("on_date", []).append("The day is in the future.")
    elif minutes == 0:
        errors.setdefault("on_date", []).append(
            f"No session on {commitments.long_date(on_date)}: the help is "
            f"{notifications.describe_time(need)}."
        )
    if hours_value is not None and minutes and "hours" not in errors:
        try:
            _require_hours_within(hours_value, minutes)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed("The session has errors.", errors)
    session = db.session.scalar(
        sa.select(MatchSession).where(
            MatchSession.match_id == match.id, MatchSession.on_date == on_date
        )
    )
    if session is None:
        session = MatchSession(match_id=match.id, on_date=on_date)
        db.session.add(session)
    session.status = status
    session.hours = hours_value
    session.recorded_by_id = actor.id
    session.recorded_dt = utcnow()
    db.session.flush()
    match.hours = (
        db.session.scalar(
            sa.select(sa.func.sum(MatchSession.hours)).where(
                MatchSession.match_id == match.id, MatchSession.status == SessionStatus.DONE
            )
        )
        or None
    )
    db.session.flush()
    return session


def sessions_of(match: Match) -> list[MatchSession]:
    return list(
        db.session.scalars(
            sa.select(MatchSession)
            .where(MatchSession.match_id == match.id)
            .order_by(MatchSession.on_date)
        )
    )


# --- the need's status ------------------------------------------------------------------------


def _fulfil_if_done(need: Need) -> None:
    """A one-off need whose every slot is completed is fulfilled (a weekly one: see
    :func:`complete_finished`)."""
    if (
        need.on_date is not None
        and need.status == NeedStatus.MATCHED
        and count_matches(Match.need_id == need.id, Match.status == MatchStatus.COMPLETED)
        >= need.volunteers_needed
    ):
        need.status = NeedStatus.FULFILLED
        db.session.flush()


def complete_finished(now: datetime | None = None) -> int:
    """Weekly help past its last day completes, which frees the volunteer's time and capacity;
    a weekly need past its last day with volunteers is fulfilled. Returns the matches completed.

    Lock order (see locks): the needs, then the matches, each in id order.
    """
    now = now or utcnow()
    today = now.date()
    weekly_over = (
        Need.on_date.is_(None),
        Need.ends_on < today,
        Need.status.in_(ACTIVE_NEED_STATUSES),
    )
    approved_over = (
        Match.status == MatchStatus.APPROVED,
        Match.need_id.in_(sa.select(Need.id).where(*weekly_over)),
    )
    need_ids = set(db.session.scalars(sa.select(Need.id).where(*weekly_over)))
    locks.lock_ids(Need, need_ids)
    locks.lock_ids(Match, db.session.scalars(sa.select(Match.id).where(*approved_over)))
    done = 0
    for match in db.session.scalars(
        sa.select(Match).where(*approved_over).execution_options(populate_existing=True)
    ):
        match.status = MatchStatus.COMPLETED
        match.completed_dt = now
        notifications.commitment_finished(match)
        done += 1
    db.session.flush()
    for need in db.session.scalars(
        sa.select(Need)
        .where(Need.id.in_(need_ids), *weekly_over)
        .execution_options(populate_existing=True)
    ):
        if holding_match_count(need) > 0:
            need.status = NeedStatus.FULFILLED
    db.session.flush()
    return done


#: Why a need expired, by cause (the engine's latest reason follows).
_EXPIRED_DATE = "Its date passed before a volunteer was found."
_EXPIRED_END = "Its last day passed before a volunteer was found."


def _expired_unmatched(days: int) -> str:
    return f"No volunteer was found within {days} days."


def expire_needs(now: datetime | None = None) -> int:
    """Needs that expire, with their proposals, and the resident and coordinators told why.

    - a one-off need past its date (or past ``expires_dt``) still open or partly matched;
    - a weekly need past its last day still open;
    - a need still without any volunteer ``expire_after_days`` (the group's setting) after it
      was posted.

    The reason names the cause and, when there is one, the latest matching run's reason.
    """
    now = now or utcnow()
    today: date = now.date()
    groups = {
        gid: days for gid, days in db.session.execute(sa.select(Group.id, Group.expire_after_days))
    }
    stale = sa.or_(
        *(
            sa.and_(
                Need.group_id == gid,
                Need.status == NeedStatus.OPEN,
                Need.created_dt <= now - timedelta(days=days),
            )
            for gid, days in groups.items()
        ),
        sa.false(),
    )
    is_due = (
        Need.status.in_(OPEN_NEED_STATUSES),
        sa.or_(
            Need.on_date < today,
            Need.expires_dt <= now,
            sa.and_(Need.on_date.is_(None), Need.ends_on < today, Need.status == NeedStatus.OPEN),
            stale,
        ),
    )
    # The lock order (see locks): the needs, then their proposals, each in id order; what is
    # due is read again under the locks, since an approval may have got there first.
    locks.lock_ids(Need, db.session.scalars(sa.select(Need.id).where(*is_due)))
    due = db.session.scalars(
        sa.select(Need).where(*is_due).order_by(Need.id).execution_options(populate_existing=True)
    ).all()
    proposed = (Match.need_id.in_([n.id for n in due]), Match.status == MatchStatus.PROPOSED)
    locks.lock_ids(Match, db.session.scalars(sa.select(Match.id).where(*proposed)))
    engine_reasons = _latest_reasons({n.group_id for n in due})
    for need in due:
        need.status = NeedStatus.EXPIRED
        if need.on_date is not None and (
            need.on_date < today or (need.expires_dt is not None and need.expires_dt <= now)
        ):
            why = _EXPIRED_DATE
        elif need.on_date is None and need.ends_on is not None and need.ends_on < today:
            why = _EXPIRED_END
        else:
            why = _expired_unmatched(groups.get(need.group_id, 21))
        notifications.need_expired(need, why, engine_reasons.get(need.id))
    for match in db.session.scalars(
        sa.select(Match).where(*proposed).execution_options(populate_existing=True)
    ):
        match.status = MatchStatus.CANCELLED
        match.decided_dt = now
        match.reason = "The need expired before the match was decided."
    db.session.flush()
    return len(due)


def _latest_reasons(group_ids: Iterable[int]) -> dict[int, str]:
    """The latest successful run's reason for each unmatched need of these groups."""
    from .matching_runs import latest_run

    out: dict[int, str] = {}
    for group_id in sorted(group_ids):
        run = latest_run(group_id)
        for item in (run.unmatched if run is not None else None) or []:
            try:
                out[int(item["need"])] = str(item.get("reason") or "")
            except (KeyError, TypeError, ValueError):
                continue
    return {k: v for k, v in out.items() if v}

"""A volunteer's claim: "I can help with this" proposes them for a need; coordinators decide.

A claim is a proposal (``Match.status == "proposed"``) marked :attr:`Match.is_claim`. The
group's coordinators approve or reject it like a matching run's proposal, and a run never
removes it. Only a feasible claim is made, by the engine's own rules: the need and the
volunteer's offers are read as a run reads them (:func:`matching_runs.need_records`,
:func:`matching_runs.offer_records`), put in a one-need instance and given to
:func:`matching.solve`; when it proposes nobody, its reason code says which rule failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, InvalidState, ValidationFailed
from ..extensions import db
from ..models import (
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    Match,
    MatchStatus,
    Need,
    Offer,
    Person,
    offer_groups,
    utcnow,
)
from . import coordinator_alerts, locks, matching_runs, visibility
from .needs import get_need

#: What a claimer is told when the engine finds them unsuitable, by its reason code.
_WHY_NOT = {
    "no_skill": "This request needs {skills}, and your offer to this group does not include "
    "{them} (a check such as DBS counts once a coordinator has verified it).",
    "out_of_reach": "This request is further away than you said you would travel ({max_km} km).",
    "no_time": "You are not free at the time this request needs: change the times in your "
    "offer if you can help then.",
    "excluded": "A coordinator has already decided about you for this request.",
    "busy": "You are not free then: you already agreed to help at that time, you are at your "
    "weekly limit, or you are away (see your account page).",
    "taken": "Your offer has no room left for another request.",
}


def _offer_ids(person: Person, group_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Offer.id)
            .join(offer_groups, offer_groups.c.offer_id == Offer.id)
            .where(
                offer_groups.c.group_id == group_id,
                Offer.volunteer_id == person.id,
                Offer.is_active.is_(True),
            )
            .order_by(Offer.id)
        )
    )


def _person_matches(need_id: int, person_id: int, statuses: Any) -> list[Match]:
    return list(
        db.session.scalars(
            sa.select(Match)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.need_id == need_id,
                Offer.volunteer_id == person_id,
                Match.status.in_(statuses),
            )
            .order_by(Match.id)
        )
    )


def claim_need(person: Person, need_id: int, now: datetime | None = None) -> Match:
    """Propose ``person`` for the need (a claim), if the engine finds them suitable; flushes.

    Returns the claim. A proposal a run already made for them becomes their claim.
    Raises :class:`Conflict` or :class:`InvalidState` (409) when a claim makes no sense (their
    own need, a closed or full need, already helping or claimed, no offer in the group), and
    :class:`ValidationFailed` (422) when the engine finds them unsuitable, saying why.
    """
    now = now or utcnow()
    need = visibility.published_need(get_need(need_id), person)  # or 404
    if need.requester_id == person.id:
        raise Conflict("This is your own request: you cannot offer to help with it yourself.")
    offer_ids = _offer_ids(person, need.group_id)
    locks.lock_in_order(needs=[need.id], offers=offer_ids)
    db.session.refresh(need)
    if _person_matches(need.id, person.id, HOLDING_MATCH_STATUSES):
        raise Conflict("You are already helping with this request.")
    if need.status not in OPEN_NEED_STATUSES or not matching_runs.need_records(
        need.group_id, now, Need.id == need.id
    ):
        raise InvalidState("This request is no longer looking for volunteers.")
    if not offer_ids:
        raise InvalidState(
            f"You have no active offer in {need.group.name}: offer your time to that group first."
        )
    for live in _person_matches(need.id, person.id, LIVE_MATCH_STATUSES):
        if live.is_claim:
            raise Conflict(
                "You have already offered to help with this request; a coordinator will decide."
            )
        live.is_claim = True  # the run's proposal becomes the volunteer's own
        db.session.flush()
        coordinator_alerts.claim_waiting(need, person)
        return live
    claim = _propose(person, need, offer_ids, now)
    coordinator_alerts.claim_waiting(need, person)
    return claim


def _propose(person: Person, need: Need, offer_ids: list[int], now: datetime) -> Match:
    import matching

    offers = matching_runs.offer_records(need.group_id, now, Offer.id.in_(offer_ids))
    if not offers:
        raise InvalidState(_WHY_NOT["taken"])
    [record] = matching_runs.need_records(need.group_id, now, Need.id == need.id)
    record.pop("requester")
    record["volunteers_needed"] = 1  # is this volunteer suitable, not is the need filled
    decided = matching_runs.decided_pairs(need.group_id)
    instance = {
        "needs": [record],
        "volunteers": offers,
        "exclude": [[record["id"], o["id"]] for o in offers if (need.id, int(o["id"])) in decided],
    }
    result = matching.solve(matching.parse_instance(instance)).to_dict()
    if not result["matches"]:
        code = result["unmatched"][0]["reason_code"] if result["unmatched"] else "taken"
        why = _why_not(code, need, offers)
        raise ValidationFailed(why, {"need": [why]})
    best = result["matches"][0]
    match = Match(
        need_id=need.id,
        offer_id=int(best["volunteer"]),
        status=MatchStatus.PROPOSED,
        score=float(best["score"]),
        distance_km=best.get("distance_km"),
        explanation=best.get("explanation"),
        created_dt=now,
        is_claim=True,
    )
    db.session.add(match)
    db.session.flush()
    return match


def _why_not(code: str, need: Need, offers: list[dict[str, Any]]) -> str:
    names = [s.name for s in need.skills]
    return _WHY_NOT.get(code, _WHY_NOT["taken"]).format(
        skills=" and ".join(names) if names else "a skill",
        them="it" if len(names) == 1 else "them",
        max_km=f"{max(float(o['max_km']) for o in offers):g}",
    )


def claim_state(person: Person, need: Need) -> str | None:
    """What a need's page offers ``person``: ``"can"`` (the button: an open need of a group
    they offer time to, not theirs), ``"claimed"``, ``"proposed"``, ``"helping"``, or ``None``.

    The button is shown without asking the engine; pressing it does (:func:`claim_need`).
    """
    if need.requester_id == person.id:
        return None
    if _person_matches(need.id, person.id, HOLDING_MATCH_STATUSES):
        return "helping"
    live = _person_matches(need.id, person.id, LIVE_MATCH_STATUSES)
    if live:
        return "claimed" if any(m.is_claim for m in live) else "proposed"
    if need.status in OPEN_NEED_STATUSES and _offer_ids(person, need.group_id):
        return "can"
    return None

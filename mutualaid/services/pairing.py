"""Manual pairing: a coordinator picks a volunteer's offer for a need.

Whether the pair is feasible is the engine's answer, not a copy of its rules: the need and the
offer are loaded exactly as a matching run loads them (:func:`matching_runs.load_instance`),
and a one-need, one-offer instance goes through :func:`matching.solve`; its reason for leaving
the need unmatched is the reason given.

Distance is the one soft rule: when the engine's reason is that the volunteer is out of reach,
the pair is tried again with the reach lifted, and if that is feasible a coordinator may pair
them anyway, giving a reason. A missing skill or credential, a time that does not fit, a pair
already decided against, a need that takes no more volunteers or an offer with no capacity
left are never overridden.

A pairing is approved at once through :func:`matches.approve_match` (every check of an approval,
its reveal and its emails), so that the next matching run, which replaces the proposals, keeps
it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

import matching

from ..errors import Conflict, InvalidState, ValidationFailed
from ..extensions import db
from ..models import LIVE_MATCH_STATUSES, Match, MatchStatus, Need, Offer, Person, utcnow
from . import accounts, locks, matches, matching_runs

#: The one rule a coordinator may override.
SOFT_CODES = ("out_of_reach",)
#: A reach no pair on Earth exceeds (km).
_ANY_DISTANCE = 25_000.0


@dataclass
class Feasibility:
    """The engine's answer for one pair."""

    feasible: bool
    reason_code: str | None = None
    reason: str | None = None
    #: Infeasible only for a soft rule (distance): a coordinator may pair them with a reason.
    overridable: bool = False
    score: float | None = None
    distance_km: float | None = None
    explanation: dict[str, Any] = field(default_factory=dict)


def _solve(instance: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = matching.solve(matching.parse_instance(instance)).to_dict()
    return result


def check_pair(person: Person, need: Need, offer: Offer) -> Feasibility:
    """Whether the engine would pair this need and offer, and if not why (coordinators)."""
    accounts.require_coordinator(person, need.group)
    loaded = matching_runs.load_instance(need.group_id, utcnow())
    need_id, offer_id = str(need.id), str(offer.id)
    found_needs = [n for n in loaded.instance["needs"] if n["id"] == need_id]
    found_offers = [o for o in loaded.instance["volunteers"] if o["id"] == offer_id]
    if not found_needs:
        return Feasibility(
            False,
            "need_unavailable",
            "The need takes no more volunteers now: it is not open, has all the volunteers it "
            "asked for, its date has passed, or the person who asked has not confirmed their "
            "email address.",
        )
    if not found_offers:
        return Feasibility(
            False,
            "offer_unavailable",
            "This offer cannot take the need in this group: it is paused, not in the group, has "
            "no capacity left, or its volunteer has not confirmed their email address.",
        )
    instance = {
        "needs": found_needs,
        "volunteers": found_offers,
        "exclude": [e for e in loaded.instance["exclude"] if e == [need_id, offer_id]],
    }
    result = _solve(instance)
    if result["matches"]:
        return _feasible(result["matches"][0])
    left = result["unmatched"][0]
    if left["reason_code"] not in SOFT_CODES:
        return Feasibility(False, left["reason_code"], left["reason"])
    lifted = copy.deepcopy(instance)
    lifted["volunteers"][0]["max_km"] = _ANY_DISTANCE
    again = _solve(lifted)
    if not again["matches"]:  # something else rules it out too: that one cannot be overridden
        other = again["unmatched"][0]
        return Feasibility(False, other["reason_code"], other["reason"])
    answer = _feasible(again["matches"][0], reach_km=float(found_offers[0]["max_km"]))
    answer.feasible = False
    answer.reason_code, answer.reason = left["reason_code"], left["reason"]
    answer.overridable = True
    return answer


def _feasible(found: dict[str, Any], reach_km: float | None = None) -> Feasibility:
    """The engine's pair; with ``reach_km``, found with the reach lifted: no closeness part,
    and the summary says the volunteer's own reach."""
    explanation = dict(found.get("explanation") or {})
    score = float(found["score"])
    if reach_km is not None:
        parts = dict(explanation.get("score_parts") or {})
        score = round(score - float(parts.get("closeness", 0.0)), 4)
        parts["closeness"] = 0.0
        summary = re.sub(
            r"\(of [0-9.]+ km\)", f"(beyond their {reach_km:g} km)", explanation.get("summary", "")
        )
        explanation.update(score_parts=parts, score=score, summary=summary)
    return Feasibility(
        True,
        score=max(score, 0.0001),
        distance_km=found.get("distance_km"),
        explanation=explanation,
    )


def pair(person: Person, need: Need, offer: Offer, override_reason: str | None = None) -> Match:
    """Pair them and approve at once, if the engine finds it feasible, or beyond the volunteer's
    reach with ``override_reason``; else :class:`InvalidState` with the engine's reason."""
    answer = check_pair(person, need, offer)
    reason = (override_reason or "").strip()
    if not answer.feasible:
        if not answer.overridable:
            raise InvalidState(
                f"The engine cannot pair them: {answer.reason}",
                {"offer": [answer.reason or "Not feasible."]},
            )
        if not reason:
            raise ValidationFailed.field(
                "override_reason",
                "The volunteer is out of reach: say why they should be paired anyway.",
            )
    locks.lock_row(Need, need.id)
    locks.lock_row(Offer, offer.id)
    live = db.session.scalar(
        sa.select(Match.id).where(
            Match.need_id == need.id,
            Match.offer_id == offer.id,
            Match.status.in_(list(LIVE_MATCH_STATUSES)),
        )
    )
    if live is not None:
        raise Conflict(
            "This pair is already proposed or approved: decide it from the queue.",
            {"offer": ["Already proposed or approved for this need."]},
        )
    explanation = {
        **answer.explanation,
        "manual": {"by": person.id, "override": reason[:2000] if not answer.feasible else None},
    }
    summary = explanation.get("summary") or ""
    explanation["summary"] = (
        f"Paired by a coordinator beyond the volunteer's reach ({reason[:200]}); {summary}"
        if not answer.feasible
        else f"Paired by a coordinator; {summary}"
    )
    match = Match(
        need_id=need.id,
        offer_id=offer.id,
        status=MatchStatus.PROPOSED,
        score=answer.score or 0.0001,
        distance_km=answer.distance_km,
        explanation=explanation,
    )
    db.session.add(match)
    db.session.flush()
    return matches.approve_match(match.id, person)

"""Matches: the coordinators' queue and every decision on a match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mutualaid.models import HOLDING_MATCH_STATUSES, MatchStatus, Person
from mutualaid.schemas.commitments import SessionInSchema, SessionListSchema, SessionOutSchema
from mutualaid.schemas.matches import (
    ApproveAboveInSchema,
    ApproveAboveOutSchema,
    CompleteInSchema,
    MatchListSchema,
    MatchOutSchema,
    MatchQuerySchema,
    ReasonInSchema,
    RejectInSchema,
)
from mutualaid.services import groups, matches

from . import bp


def _decided(view: Callable) -> Callable:
    """A decision on a match: it answers with the match as it now is, or 403, 409."""
    decided = bp.response(
        200, MatchOutSchema, dumped=True, description="The match after the decision."
    )
    return decided(bp.errors(403, 404, 409)(view))


@bp.get("/matches")
@bp.login_required
@bp.errors(403)
@bp.arguments(MatchQuerySchema, location="query")
@bp.response(200, MatchListSchema, dumped=True, description="The matches.")
def list_matches(args: dict[str, Any], person: Person) -> dict[str, Any]:
    """Matches: a group's queue for its coordinators, or your own.

    With ``group``: the group's matches (by default the proposals), best score first, each
    with the engine's explanation and the need and offer in full; only the group's
    coordinators. Without ``group``: the matches of your offers and the agreed matches of
    your needs, with contacts shown once a match is approved.
    """
    if "group" in args:
        group = groups.get_group_by_slug(args["group"], field="group")
        found = matches.group_queue(person, group, args.get("status", MatchStatus.PROPOSED))
    else:
        statuses = [args["status"]] if "status" in args else None
        mine = {m.id: m for m in matches.matches_for_volunteer(person, statuses)}
        mine.update(
            (m.id, m)
            for m in matches.matches_for_resident(person, statuses or HOLDING_MATCH_STATUSES)
        )
        found = sorted(mine.values(), key=lambda m: (m.created_dt, m.id), reverse=True)
    return {"items": [matches.match_view(m, person) for m in found], "total": len(found)}


@bp.get("/matches/<int:match_id>")
@bp.login_required
@bp.response(200, MatchOutSchema, dumped=True, description="The match.")
def get_match(person: Person, match_id: int) -> dict[str, Any]:
    """One match."""
    return matches.match_view(matches.view_match(person, match_id), person)


@bp.post("/matches/<int:match_id>/approve")
@bp.login_required
@_decided
def approve_match(person: Person, match_id: int) -> dict[str, Any]:
    """Approve a proposed match.

    The group's coordinators. Never exceeds the need's volunteers_needed or the offer's capacity.
    A proposal that a newer matching run replaced is gone: 404.
    Reveals the resident's address and contact to the volunteer and the volunteer's contact to
    the resident, and emails both.
    """
    return matches.match_view(matches.approve_match(match_id, person), person)


@bp.post("/matches/<int:match_id>/reject")
@bp.login_required
@bp.arguments(RejectInSchema)
@_decided
def reject_match(data: dict[str, Any], person: Person, match_id: int) -> dict[str, Any]:
    """Reject a proposed match, with a reason.

    The group's coordinators. The pair is never proposed again.
    """
    return matches.match_view(matches.reject_match(match_id, person, data["reason"]), person)


@bp.post("/matches/<int:match_id>/decline")
@bp.login_required
@bp.arguments(ReasonInSchema, required=False)
@_decided
def decline_match(data: dict[str, Any], person: Person, match_id: int) -> dict[str, Any]:
    """Decline a match (the volunteer).

    The volunteer, for a proposed or approved match. Frees the capacity and reopens the need's
    slot; the pair is never proposed again. The body (a reason) may be left out.
    """
    match = matches.decline_match(match_id, person, data.get("reason"))
    return matches.match_view(match, person)


@bp.post("/matches/<int:match_id>/cancel")
@bp.login_required
@bp.arguments(ReasonInSchema, required=False)
@_decided
def cancel_match(data: dict[str, Any], person: Person, match_id: int) -> dict[str, Any]:
    """Cancel an approved match.

    The group's coordinators, the resident or the volunteer. Frees the capacity and reopens the
    need's slot. The body (a reason) may be left out.
    """
    return matches.match_view(matches.cancel_match(match_id, person, data.get("reason")), person)


@bp.post("/matches/<int:match_id>/complete")
@bp.login_required
@bp.arguments(CompleteInSchema)
@_decided
def complete_match(data: dict[str, Any], person: Person, match_id: int) -> dict[str, Any]:
    """Record one-off help as done, with its hours.

    The group's coordinators, the resident or the volunteer; from the need's date on (before:
    409), with at most the session's length plus an hour. A one-off need is fulfilled once
    every slot is completed. Weekly help is recorded session by session
    (`POST /matches/{id}/sessions`) and completes by itself after its last day (409 here).
    """
    return matches.match_view(matches.complete_match(match_id, person, data["hours"]), person)


@bp.post("/groups/<slug>/matches/approve-above")
@bp.login_required(check=lambda person, slug: groups.get_group_by_slug(slug))
@bp.arguments(ApproveAboveInSchema)
@bp.response(200, ApproveAboveOutSchema, dumped=True, description="What was approved and skipped.")
def approve_matches_above(data: dict[str, Any], person: Person, slug: str) -> dict[str, Any]:
    """Approve every proposal of a group scoring at least min_score.

    The group's coordinators. Best score first; a proposal that no longer fits (the need or the
    volunteer is full by then, or a newer matching run replaced it) is skipped and listed with
    the reason; the others are approved all the same. A group that does not
    exist is said (404) before the body is judged.
    """
    group = groups.get_group_by_slug(slug)
    approved, skipped = matches.approve_above(group, person, data["min_score"])
    return {
        "approved": [matches.match_view(m, person) for m in approved],
        "skipped": [{"match": match_id, "reason": reason} for match_id, reason in skipped],
    }


@bp.get("/matches/<int:match_id>/sessions")
@bp.login_required
@bp.response(200, SessionListSchema, description="The sessions recorded, by day.")
def list_sessions(person: Person, match_id: int) -> dict[str, Any]:
    """The sessions of weekly help, as recorded."""
    return {"items": matches.sessions_of(matches.view_match(person, match_id))}


@bp.post("/matches/<int:match_id>/sessions")
@bp.login_required
@bp.errors(403, 404, 409)
@bp.arguments(SessionInSchema)
@bp.response(201, SessionOutSchema, description="The session as recorded.")
def record_session(data: dict[str, Any], person: Person, match_id: int) -> Any:
    """Record one session of weekly help: done (with its hours) or missed.

    The volunteer, the resident or the group's coordinators, for agreed weekly help (also after
    it ended). The day is one of its days, not ahead; hours at most the session's length plus
    an hour. Recording a day again replaces it. The match's `hours` is the sum of its sessions
    done.
    """
    return matches.record_session(
        match_id, person, data["on_date"], data["status"], data.get("hours")
    )

"""Matches: the coordinators' queue and every decision on a match."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema

from mutualaid.schemas.matches import (
    ApproveAboveInSchema,
    CompleteInSchema,
    MatchQuerySchema,
    ReasonInSchema,
    RejectInSchema,
)
from mutualaid.services import groups, matches

from ..auth import require_api_user
from . import bp
from ._util import body, load, query


def _optional_body(schema: Schema) -> dict[str, Any]:
    """Like :func:`body`, but an empty body is an empty object (the reason is optional)."""
    return body(schema) if request.get_data() else load(schema, {})


@bp.get("/matches")
def list_matches():
    """Matches: a group's queue for its coordinators, or your own.
    ---
    get:
      tags: [matches]
      description: >
        With ``group``: the group's matches (by default the proposals), best score first, each
        with the engine's explanation and the need and offer in full; only the group's
        coordinators. Without ``group``: the matches of your offers and the agreed matches of
        your needs, with contacts shown once a match is approved.
      security: [{bearerAuth: []}]
      parameters: [{in: query, schema: MatchQuery}]
      responses:
        200: {description: The matches., content: {application/json: {schema: MatchList}}}
        403: Forbidden
        422: ValidationError
    """
    person = require_api_user()
    args = query(MatchQuerySchema())
    if "group" in args:
        group = groups.get_group_by_slug(args["group"], field="group")
        found = matches.group_queue(person, group, args.get("status", "proposed"))
    else:
        statuses = [args["status"]] if "status" in args else None
        mine = {m.id: m for m in matches.matches_for_volunteer(person, statuses)}
        mine.update(
            (m.id, m)
            for m in matches.matches_for_resident(person, statuses or ("approved", "completed"))
        )
        found = sorted(mine.values(), key=lambda m: (m.created_dt, m.id), reverse=True)
    return {"items": [matches.match_view(m, person) for m in found], "total": len(found)}


@bp.get("/matches/<int:match_id>")
def get_match(match_id: int):
    """One match.
    ---
    get:
      tags: [matches]
      security: [{bearerAuth: []}]
      responses:
        200: {description: The match., content: {application/json: {schema: MatchOut}}}
        404: NotFound
    """
    person = require_api_user()
    return matches.match_view(matches.view_match(person, match_id), person)


def _decision_doc(summary: str, who: str, body_schema: str | None = None) -> str:
    """The OpenAPI docstring shared by the decisions on one match."""
    lines = [
        summary,
        "---",
        "post:",
        "  tags: [matches]",
        f"  description: {who}",
        "  security: [{bearerAuth: []}]",
    ]
    if body_schema:
        lines.append(f"  requestBody: {{content: {{application/json: {{schema: {body_schema}}}}}}}")
    lines += [
        "  responses:",
        "    200: {description: The match after the decision., content: {application/json: {schema: MatchOut}}}",
        "    401: Unauthorized",
        "    403: Forbidden",
        "    404: NotFound",
        "    409: Conflict",
    ]
    if body_schema:
        lines += ["    400: BadRequest", "    422: ValidationError"]
    return "\n".join(lines) + "\n"


@bp.post("/matches/<int:match_id>/approve")
def approve_match(match_id: int):
    person = require_api_user()
    match = matches.approve_match(match_id, person)
    return matches.match_view(match, person)


approve_match.__doc__ = _decision_doc(
    "Approve a proposed match.",
    "The group's coordinators. Never exceeds the need's volunteers_needed or the offer's capacity. "
    "Reveals the resident's address and contact to the volunteer and the volunteer's contact to the "
    "resident, and emails both.",
)


@bp.post("/matches/<int:match_id>/reject")
def reject_match(match_id: int):
    person = require_api_user()
    data = body(RejectInSchema())
    return matches.match_view(matches.reject_match(match_id, person, data["reason"]), person)


reject_match.__doc__ = _decision_doc(
    "Reject a proposed match, with a reason.",
    "The group's coordinators. The pair is never proposed again.",
    "RejectIn",
)


@bp.post("/matches/<int:match_id>/decline")
def decline_match(match_id: int):
    person = require_api_user()
    data = _optional_body(ReasonInSchema())
    return matches.match_view(matches.decline_match(match_id, person, data.get("reason")), person)


decline_match.__doc__ = _decision_doc(
    "Decline a match (the volunteer).",
    "The volunteer, for a proposed or approved match. Frees the capacity and reopens the need's slot; "
    "the pair is never proposed again.",
    "ReasonIn",
)


@bp.post("/matches/<int:match_id>/cancel")
def cancel_match(match_id: int):
    person = require_api_user()
    data = _optional_body(ReasonInSchema())
    return matches.match_view(matches.cancel_match(match_id, person, data.get("reason")), person)


cancel_match.__doc__ = _decision_doc(
    "Cancel an approved match.",
    "The group's coordinators, the resident or the volunteer. Frees the capacity and reopens the need's slot.",
    "ReasonIn",
)


@bp.post("/matches/<int:match_id>/complete")
def complete_match(match_id: int):
    person = require_api_user()
    data = body(CompleteInSchema())
    return matches.match_view(matches.complete_match(match_id, person, data["hours"]), person)


complete_match.__doc__ = _decision_doc(
    "Record an approved match as done, with its hours.",
    "The group's coordinators, the resident or the volunteer. A one-off need is fulfilled once every slot "
    "is completed; a weekly need stays matched until cancelled.",
    "CompleteIn",
)


@bp.post("/groups/<slug>/matches/approve-above")
def approve_matches_above(slug: str):
    """Approve every proposal of a group scoring at least min_score.
    ---
    post:
      tags: [matches]
      description: >
        The group's coordinators. Best score first; a proposal that no longer fits (the need or the
        volunteer is full by then) is skipped and listed with the reason.
      security: [{bearerAuth: []}]
      requestBody: {content: {application/json: {schema: ApproveAboveIn}}}
      responses:
        200: {description: What was approved and skipped., content: {application/json: {schema: ApproveAboveOut}}}
        403: Forbidden
        422: ValidationError
    """
    person = require_api_user()
    group = groups.get_group_by_slug(slug)
    data = body(ApproveAboveInSchema())
    approved, skipped = matches.approve_above(group, person, data["min_score"])
    return {
        "approved": [matches.match_view(m, person) for m in approved],
        "skipped": [{"match": m.id, "reason": reason} for m, reason in skipped],
    }

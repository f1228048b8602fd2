"""Matching runs: start one for a group now, see how a run went, the needs it left unmatched."""

from __future__ import annotations

from flask import current_app

from mutualaid.services import accounts, groups, matching_runs, visibility

from ..auth import require_api_user
from . import bp


@bp.post("/groups/<slug>/matching-runs")
def start_matching_run(slug: str):
    """Run matching for a group now.
    ---
    post:
      tags: [matching]
      description: >
        Coordinators of the group (and admins). Runs the engine over the group's open needs and
        active offers and writes its proposals; answers when the run is over with the run record
        (``status`` is ``succeeded`` or ``failed`` with its ``error``). Another run for the group
        in progress gives 409 ``run_in_progress``.
      security: [{bearerAuth: []}]
      responses:
        201: {description: The finished run., content: {application/json: {schema: RunOut}}}
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    person = require_api_user()
    group = groups.get_group_by_slug(slug)
    accounts.require_coordinator(person, group)
    run = matching_runs.execute_run(
        group,
        trigger="manual",
        started_by_id=person.id,
        lock_seconds=int(current_app.config.get("MATCHING_LOCK_SECONDS", 900)),
    )
    return matching_runs.run_view(run), 201


@bp.get("/groups/<slug>/matching-runs")
def list_matching_runs(slug: str):
    """The group's latest matching runs, newest first.
    ---
    get:
      tags: [matching]
      security: [{bearerAuth: []}]
      responses:
        200:
          description: Up to 20 runs.
          content: {application/json: {schema: {type: object, properties: {items: {type: array, items: RunOut}}}}}
        403: Forbidden
    """
    person = require_api_user()
    group = groups.get_group_by_slug(slug)
    accounts.require_coordinator(person, group)
    return {"items": [matching_runs.run_view(r) for r in matching_runs.recent_runs(group.id)]}


@bp.get("/matching-runs/<int:run_id>")
def get_matching_run(run_id: int):
    """One matching run: status, counts, timings and unmatched needs.
    ---
    get:
      tags: [matching]
      security: [{bearerAuth: []}]
      responses:
        200: {description: The run., content: {application/json: {schema: RunOut}}}
        403: Forbidden
        404: NotFound
    """
    person = require_api_user()
    run = matching_runs.get_run(run_id)
    accounts.require_coordinator(person, run.group)
    return matching_runs.run_view(run)


@bp.get("/groups/<slug>/unmatched")
def list_unmatched_needs(slug: str):
    """The group's needs the latest run left unmatched, with the engine's reasons.
    ---
    get:
      tags: [matching]
      security: [{bearerAuth: []}]
      responses:
        200:
          description: Needs still open after the latest successful run.
          content:
            application/json:
              schema: {type: object, properties: {run_id: {type: integer, nullable: true},
                                                   items: {type: array, items: UnmatchedNeed}}}
        403: Forbidden
    """
    person = require_api_user()
    group = groups.get_group_by_slug(slug)
    accounts.require_coordinator(person, group)
    run = matching_runs.latest_run(group.id)
    items = [
        {
            "need": u["need"],
            "open_slots": u["open_slots"],
            "reason": u["reason"],
            "reason_code": u["reason_code"],
            "need_detail": visibility.need_view(u["need_record"], person),
        }
        for u in matching_runs.unmatched_needs(group.id)
    ]
    return {"run_id": run.id if run else None, "items": items}

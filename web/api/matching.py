"""Matching runs: start one for a group now, see how a run went, the needs it left unmatched."""

from __future__ import annotations

from typing import Any

from flask import current_app

from mutualaid.models import Group, Person
from mutualaid.schemas.matches import RunListSchema, RunOutSchema, UnmatchedListSchema
from mutualaid.services import accounts, groups, matching_runs, visibility

from . import bp


def _coordinated(person: Person, slug: str) -> Group:
    """The group, for its coordinators (and admins) only."""
    group = groups.get_group_by_slug(slug)
    accounts.require_coordinator(person, group)
    return group


@bp.post("/groups/<slug>/matching-runs")
@bp.login_required
@bp.errors(403, 409)
@bp.response(201, RunOutSchema, dumped=True, description="The finished run.")
def start_matching_run(person: Person, slug: str) -> dict[str, Any]:
    """Run matching for a group now.

    Coordinators of the group (and admins). Runs the engine over the group's open needs and
    active offers and writes its proposals; answers when the run is over with the run record
    (``status`` is ``succeeded`` or ``failed`` with its ``error``). Another run for the group
    in progress gives 409 ``run_in_progress``.
    """
    run = matching_runs.execute_run(
        _coordinated(person, slug),
        trigger="manual",
        started_by_id=person.id,
        lock_seconds=int(current_app.config.get("MATCHING_LOCK_SECONDS", 900)),
    )
    return matching_runs.run_view(run)


@bp.get("/groups/<slug>/matching-runs")
@bp.login_required
@bp.errors(403)
@bp.response(200, RunListSchema, dumped=True, description="Up to 20 runs.")
def list_matching_runs(person: Person, slug: str) -> dict[str, Any]:
    """The group's latest matching runs, newest first."""
    runs = matching_runs.recent_runs(_coordinated(person, slug).id)
    return {"items": [matching_runs.run_view(run) for run in runs]}


@bp.get("/matching-runs/<int:run_id>")
@bp.login_required
@bp.errors(403)
@bp.response(200, RunOutSchema, dumped=True, description="The run.")
def get_matching_run(person: Person, run_id: int) -> dict[str, Any]:
    """One matching run: status, counts, timings and unmatched needs."""
    run = matching_runs.get_run(run_id)
    accounts.require_coordinator(person, run.group)
    return matching_runs.run_view(run)


@bp.get("/groups/<slug>/unmatched")
@bp.login_required
@bp.errors(403)
@bp.response(
    200,
    UnmatchedListSchema,
    dumped=True,
    description="Needs still open after the latest successful run.",
)
def list_unmatched_needs(person: Person, slug: str) -> dict[str, Any]:
    """The group's needs the latest run left unmatched, with the engine's reasons."""
    group = _coordinated(person, slug)
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

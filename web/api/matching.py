"""Matching runs: start one for a group now, see how a run went, the needs it left unmatched."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from mutualaid.executor import executor_for
from mutualaid.extensions import db
from mutualaid.models import LIVE_RUN_STATUSES, Group, Person, RunTrigger
from mutualaid.schemas.matches import RunListSchema, RunOutSchema, UnmatchedListSchema
from mutualaid.services import accounts, groups, matching_runs, reasons, visibility

from . import bp


def _coordinated(person: Person, slug: str) -> Group:
    """The group, for its coordinators (and admins) only."""
    group = groups.get_group_by_slug(slug)
    accounts.require_coordinator(person, group)
    return group


@bp.post("/groups/<slug>/matching-runs")
@bp.login_required
@bp.errors(403, 409)
@bp.response(
    202,
    RunOutSchema,
    dumped=True,
    description="The run, started: `queued` or `running` (already finished with a fast "
    "executor). Poll the URL in `Location` until `status` is `succeeded`, `failed` or "
    "`abandoned`.",
    headers={"Location": {"description": "The run's URL", "schema": {"type": "string"}}},
)
def start_matching_run(person: Person, slug: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Start matching for a group.

    Coordinators of the group (and admins). Records the run and answers at once; the engine
    then runs over the group's open needs and active offers in the background and writes its
    proposals. Another run for the group in progress gives 409 ``run_in_progress``.
    """
    run_id = matching_runs.start_run(
        _coordinated(person, slug),
        trigger=RunTrigger.MANUAL,
        started_by_id=person.id,
        stale_seconds=int(current_app.config.get("MATCHING_LOCK_SECONDS", 900)),
    )
    executor_for(current_app).submit(run_id)
    db.session.expire_all()
    location = url_for("api.get_matching_run", run_id=run_id)
    return matching_runs.run_view(matching_runs.get_run(run_id)), {"Location": location}


@bp.get("/groups/<slug>/matching-runs")
@bp.login_required
@bp.errors(403)
@bp.response(200, RunListSchema, dumped=True, description="Up to 20 runs.")
def list_matching_runs(person: Person, slug: str) -> dict[str, Any]:
    """The group's latest matching runs, newest first.

    A run whose process stopped shows as ``abandoned``.
    """
    group = _coordinated(person, slug)
    matching_runs.reap_abandoned(group.id, _stale_seconds())
    runs = matching_runs.recent_runs(group.id)
    return {"items": [matching_runs.run_view(run) for run in runs]}


@bp.get("/matching-runs/<int:run_id>")
@bp.login_required
@bp.errors(403)
@bp.response(200, RunOutSchema, dumped=True, description="The run.")
def get_matching_run(person: Person, run_id: int) -> dict[str, Any]:
    """One matching run: status, counts, timings and unmatched needs."""
    run = matching_runs.get_run(run_id)
    accounts.require_coordinator(person, run.group)
    if run.status in LIVE_RUN_STATUSES and matching_runs.reap_abandoned(
        run.group_id, _stale_seconds()
    ):
        run = matching_runs.get_run(run_id)
    return matching_runs.run_view(run)


def _stale_seconds() -> int:
    return int(current_app.config.get("MATCHING_LOCK_SECONDS", 900))


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
            "action": reasons.ACTIONS.get(u["reason_code"], ""),
            "free_at": u.get("free_at", []),
            "need_detail": visibility.need_view(u["need_record"], person),
        }
        for u in matching_runs.unmatched_needs(group.id)
    ]
    return {"run_id": run.id if run else None, "items": items}

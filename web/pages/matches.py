"""The matching workflow's pages: the coordinators' queue, decisions, and "My matches"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from mutualaid.errors import DomainError
from mutualaid.executor import executor_for
from mutualaid.extensions import db
from mutualaid.models import (
    LIVE_MATCH_STATUSES,
    LIVE_RUN_STATUSES,
    Group,
    MatchStatus,
    RunTrigger,
    utcnow,
)
from mutualaid.services import accounts, matches, matching_runs, visibility

from . import bp
from ._util import safe_next
from .coordinator import coordinated_group, group_index
from .nav import add_nav_link

add_nav_link("My matches", "pages.my_matches")
add_nav_link(
    "Match queue",
    "pages.match_queue_index",
    lambda person: bool(accounts.coordinated_group_ids(person)),
)


def _back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next")) or default)


def _decide(action: Callable[[], Any], done: str, default: str) -> Response:
    """Run a decision; a refusal is shown as a message on the page the form came from."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        details = [m for messages in exc.errors.values() for m in messages if m not in exc.message]
        flash(" ".join([exc.message, *details]), "error")
    else:
        flash(done, "success")
    return _back(default)


def _queue_items(group: Group, status: MatchStatus) -> list[dict[str, Any]]:
    return [
        matches.match_view(m, current_user)
        for m in matches.group_queue(current_user, group, status)
    ]


@bp.get("/matches/queue")
@login_required
def match_queue_index():
    return group_index("pages.match_queue", "matches/index.html")


@bp.get("/groups/<slug>/matches")
@login_required
def match_queue(slug: str):
    group = coordinated_group(slug)
    matching_runs.reap_abandoned(group.id, _stale_seconds())
    last_run = matching_runs.latest_run(group.id, succeeded=False)
    unmatched = [
        {**u, "need_detail": visibility.need_view(u["need_record"], current_user)}
        for u in matching_runs.unmatched_needs(group.id)
    ]
    return render_template(
        "matches/queue.html",
        group=group,
        proposals=_queue_items(group, MatchStatus.PROPOSED),
        approved=_queue_items(group, MatchStatus.APPROVED),
        unmatched=unmatched,
        last_run=last_run,
        run_live=last_run is not None and last_run.status in LIVE_RUN_STATUSES,
        run_seconds=_seconds_since(last_run.started_dt) if last_run else 0,
        refresh_seconds=REFRESH_SECONDS,
    )


#: How often the queue page reloads itself while a run is live.
REFRESH_SECONDS = 3


def _seconds_since(when: Any) -> int:
    return max(0, int((utcnow() - when).total_seconds()))


@bp.post("/groups/<slug>/matching-runs")
@login_required
def run_matching_now(slug: str):
    """Start a run and go back to the queue at once; the queue shows its progress."""
    group = coordinated_group(slug)
    queue = url_for("pages.match_queue", slug=group.slug)
    try:
        run_id = matching_runs.start_run(
            group,
            trigger=RunTrigger.MANUAL,
            started_by_id=current_user.id,
            stale_seconds=_stale_seconds(),
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(queue, 303)
    executor_for(current_app).submit(run_id)
    flash("Matching started. This page shows its progress and its result.", "success")
    return redirect(queue, 303)


def _stale_seconds() -> int:
    return int(current_app.config.get("MATCHING_LOCK_SECONDS", 900))


@bp.post("/matches/<int:match_id>/approve")
@login_required
def approve_match_page(match_id: int):
    return _decide(
        lambda: matches.approve_match(match_id, current_user),
        "Approved. Both sides can now see each other's contact and have an email on its way.",
        _queue_of(match_id),
    )


@bp.post("/matches/<int:match_id>/reject")
@login_required
def reject_match_page(match_id: int):
    return _decide(
        lambda: matches.reject_match(match_id, current_user, request.form.get("reason", "")),
        "Rejected. This pair will not be proposed again.",
        _queue_of(match_id),
    )


@bp.post("/matches/<int:match_id>/decline")
@login_required
def decline_match_page(match_id: int):
    return _decide(
        lambda: matches.decline_match(match_id, current_user, request.form.get("reason")),
        "Declined. The coordinators will look for someone else.",
        url_for("pages.my_matches"),
    )


@bp.post("/matches/<int:match_id>/cancel")
@login_required
def cancel_match_page(match_id: int):
    return _decide(
        lambda: matches.cancel_match(match_id, current_user, request.form.get("reason")),
        "Cancelled. The need is open again.",
        url_for("pages.my_matches"),
    )


@bp.post("/matches/<int:match_id>/complete")
@login_required
def complete_match_page(match_id: int):
    return _decide(
        lambda: matches.complete_match(match_id, current_user, request.form.get("hours", "")),
        "Recorded as done. Thank you!",
        url_for("pages.my_matches"),
    )


@bp.post("/groups/<slug>/matches/approve-above")
@login_required
def approve_above_page(slug: str):
    group = coordinated_group(slug)
    queue = url_for("pages.match_queue", slug=group.slug)
    try:
        min_score = float(request.form.get("min_score", ""))
        if not 0 <= min_score <= 1e6:
            raise ValueError
    except ValueError:
        flash("Enter the lowest score to approve as a number, for example 0.7.", "error")
        return redirect(queue)
    approved, skipped = matches.approve_above(group, current_user, min_score)
    flash(
        f"Approved {len(approved)} proposals"
        + (f"; skipped {len(skipped)} that no longer fit." if skipped else "."),
        "success",
    )
    return redirect(queue)


def _queue_of(match_id: int) -> str:
    try:  # an id out of the column's range is simply not there
        match = matches.get_match(match_id)
    except DomainError:
        return url_for("pages.match_queue_index")
    return url_for("pages.match_queue", slug=match.need.group.slug)


@bp.get("/matches/mine")
@login_required
def my_matches():
    """The volunteer's matches and the resident's, each with the decisions the person may take."""
    helping = [
        (matches.match_view(m, current_user), matches.actions_for(current_user, m))
        for m in matches.matches_for_volunteer(
            current_user, (*LIVE_MATCH_STATUSES, MatchStatus.COMPLETED)
        )
    ]
    coming = [
        (matches.match_view(m, current_user), matches.actions_for(current_user, m))
        for m in matches.matches_for_resident(current_user)
    ]
    return render_template("matches/mine.html", helping=helping, coming=coming)

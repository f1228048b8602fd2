"""The matching workflow's pages: the coordinators' queue, decisions, and "My matches"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from mutualaid.errors import DomainError, ValidationFailed
from mutualaid.executor import executor_for
from mutualaid.extensions import db
from mutualaid.models import (
    CATEGORIES,
    LIVE_MATCH_STATUSES,
    LIVE_RUN_STATUSES,
    URGENCIES,
    MatchStatus,
    RunTrigger,
    utcnow,
)
from mutualaid.services import matches, matching_runs, queue, reasons, visibility

from . import bp
from ._util import coordinated_ids, form_ids, safe_next
from .coordinator import _page_number, _pager, coordinated_group
from .nav import add_nav_link

add_nav_link("My matches", "pages.my_matches")
add_nav_link(
    "Match queue",
    "pages.match_queue_index",
    lambda person: bool(coordinated_ids()),
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


#: Matches on one page of the queue; the page links to the next.
QUEUE_PAGE_SIZE = 20


@bp.get("/groups/<slug>/matches")
@login_required
def match_queue(slug: str):
    group = coordinated_group(slug)
    matching_runs.reap_abandoned(group.id, _stale_seconds())
    last_run = matching_runs.latest_run(group.id, succeeded=False)
    unmatched = [
        {
            **u,
            "action": reasons.ACTIONS.get(u["reason_code"], ""),
            "need_detail": visibility.need_view(u["need_record"], current_user),
        }
        for u in matching_runs.unmatched_needs(group.id)
    ]
    asked = queue.QueueQuery.from_args(request.args)
    number = _page_number("page")
    found = queue.queue_page(
        current_user,
        group,
        asked,
        limit=QUEUE_PAGE_SIZE,
        offset=(number - 1) * QUEUE_PAGE_SIZE,
    )

    def link(page: int) -> str:
        values: dict[str, Any] = {**asked.args(), "page": page}
        return url_for("pages.match_queue", slug=group.slug, **values)

    return render_template(
        "matches/queue.html",
        group=group,
        asked=asked,
        items=matches.match_views(found.items, current_user),
        found=found,
        pager=_pager(found, number, link),
        counts=queue.status_counts(group),
        sorts=queue.SORTS,
        statuses=queue.QUEUE_STATUSES,
        categories=list(CATEGORIES.items()),
        urgencies=URGENCIES,
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


def _to_my_matches(match_id: int) -> str:
    return url_for("pages.my_matches")


#: What each decision calls, what it says when done, and where it goes back to by default.
_Decision = tuple[Callable[[int, Any], Any], str, Callable[[int], str]]
_DECISIONS: dict[str, _Decision] = {
    "approve": (
        lambda match_id, form: matches.approve_match(match_id, current_user),
        "Approved. Both sides can now see each other's contact and have an email on its way.",
        lambda match_id: _queue_of(match_id),
    ),
    "reject": (
        lambda match_id, form: matches.reject_match(match_id, current_user, form.get("reason", "")),
        "Rejected. This pair will not be proposed again.",
        lambda match_id: _queue_of(match_id),
    ),
    "decline": (
        lambda match_id, form: matches.decline_match(match_id, current_user, form.get("reason")),
        "Declined. The coordinators will look for someone else.",
        _to_my_matches,
    ),
    "cancel": (
        lambda match_id, form: matches.cancel_match(match_id, current_user, form.get("reason")),
        "Cancelled. The need is open again.",
        _to_my_matches,
    ),
    "complete": (
        lambda match_id, form: matches.complete_match(
            match_id, current_user, form.get("hours", "")
        ),
        "Recorded as done. Thank you!",
        _to_my_matches,
    ),
}


@bp.get("/matches/<int:match_id>/<any(decline, cancel):action>")
@login_required
def confirm_end_match(match_id: int, action: str):
    """Ask before stepping back from a match, and let the person say why."""
    match = matches.view_match(current_user, match_id)  # NotFound -> the 404 page
    allowed = matches.can_decline if action == "decline" else matches.can_cancel
    if not allowed(current_user, match):
        abort(403, "This match can no longer be declined or cancelled.")
    title = match.need.title
    if action == "decline":
        question, yes = f"You can't help with “{title}”?", "Yes, I can't do it"
    else:
        question, yes = f"Cancel the match for “{title}”?", "Yes, cancel it"
    agreed = match.status == MatchStatus.APPROVED
    begun = matches.has_begun(match)
    if begun:
        question, yes = f"Step back from the weekly help with “{title}”?", "Yes, step back"
    return render_template(
        "matches/end.html",
        match=match,
        action=action,
        question=question,
        yes=yes,
        consequence=("It is off from today; the sessions so far are kept. " if begun else "")
        + (
            "The other side and the group's coordinators are told, and the coordinators "
            "look for someone else."
            if agreed
            else "The group's coordinators will look for someone else."
        ),
        told="the other side and the coordinators" if agreed else "the coordinators",
    )


@bp.post("/matches/<int:match_id>/session")
@login_required
def record_session_page(match_id: int):
    """Record one session of weekly help: done with its hours, or missed."""
    form = request.form

    def record() -> None:
        try:
            day = date.fromisoformat(form.get("on_date", ""))
        except ValueError:
            raise ValidationFailed.field("on_date", "Give the day as a date.") from None
        matches.record_session(
            match_id, current_user, day, form.get("status", ""), form.get("hours")
        )

    return _decide(record, "Session recorded. Thank you!", _to_my_matches(match_id))


@bp.post("/matches/<int:match_id>/<any(approve, reject, decline, cancel, complete):action>")
@login_required
def decide_match_page(match_id: int, action: str):
    run, done, back = _DECISIONS[action]
    return _decide(lambda: run(match_id, request.form), done, back(match_id))


def _min_score(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if 0 <= value <= 1e6 else None


@bp.get("/groups/<slug>/matches/approve-above")
@login_required
def approve_above_preview(slug: str):
    """What "approve all above" would approve, to check before anyone's address is released."""
    group = coordinated_group(slug)
    min_score = _min_score(request.args.get("min_score"))
    if min_score is None:
        flash("Enter the lowest score to approve as a number, for example 0.7.", "error")
        return redirect(url_for("pages.match_queue", slug=group.slug))
    chosen = matches.proposals_at_least(group, current_user, min_score)
    return render_template(
        "matches/approve_above.html",
        group=group,
        min_score=min_score,
        proposals=[matches.match_view(m, current_user) for m in chosen],
    )


@bp.post("/groups/<slug>/matches/approve-above")
@login_required
def approve_above_page(slug: str):
    """Approve exactly the proposals the coordinator saw on the preview and confirmed."""
    group = coordinated_group(slug)
    queue = url_for("pages.match_queue", slug=group.slug)
    ids = form_ids("match")
    if not ids:
        flash("Nothing was approved: choose the score, check the list, then confirm.", "error")
        return redirect(queue)
    approved, skipped = matches.approve_many(group, current_user, ids)
    flash(
        f"Approved {len(approved)} {'proposal' if len(approved) == 1 else 'proposals'}"
        + (f"; skipped {len(skipped)} that no longer fit." if skipped else "."),
        "success",
    )
    for _, reason in skipped[:10]:  # the volunteer's clash or limit, a full need ...
        flash(f"Skipped: {reason}", "error")
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
    return render_template(
        "matches/mine.html", helping=helping, coming=coming, today=utcnow().date()
    )

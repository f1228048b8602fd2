"""The coordinator's desk: a match's page, notes on needs and matches, CSV exports."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mutualaid.errors import DomainError
from mutualaid.extensions import db
from mutualaid.models import Match, Need
from mutualaid.services import (
    accounts,
    bulk_mail,
    exports,
    imports,
    matches,
    notes,
    pairing,
    queue,
    reports,
    visibility,
)
from mutualaid.services import coordinator_alerts as alerts
from mutualaid.services import groups as group_service
from mutualaid.services import needs as need_service
from mutualaid.services import offers as offer_service
from mutualaid.services import skills as skill_service

from ..downloads import LARGE_UPLOADS, csv_response, init_large_uploads
from . import bp
from . import needs as need_pages
from ._util import form_ids
from .coordinator import _filters as coordinator_filters
from .coordinator import coordinated_group


def notes_for(subject: Need | Match) -> list[Any] | None:
    """The subject's notes for a coordinator of its group; ``None`` (no section) for anyone else."""
    need = subject if isinstance(subject, Need) else subject.need
    if not accounts.is_coordinator(current_user, need.group_id):
        return None
    if isinstance(subject, Need):
        return notes.need_notes(current_user, subject)
    return notes.match_notes(current_user, subject)


@bp.get("/matches/<int:match_id>")
@login_required
def match_detail(match_id: int) -> ResponseReturnValue:
    return _render_match(matches.view_match(current_user, match_id))  # NotFound -> 404 page


def _render_match(match: Match, status: int = 200, **note_state: Any) -> ResponseReturnValue:
    return render_template(
        "matches/detail.html",
        match=matches.match_view(match, current_user),
        group_slug=match.need.group.slug,
        is_coordinator=accounts.is_coordinator(current_user, match.need.group_id),
        notes=notes_for(match),
        note_action=url_for("pages.add_match_note", match_id=match.id),
        **note_state,
    ), status


def _note_fields() -> tuple[dict[str, str], dict[str, Any], dict[str, list[str]]]:
    """The posted note: as entered (to show again), as read, and what is wrong with it."""
    entered = {k: (request.form.get(k) or "") for k in ("kind", "body", "follow_up_on")}
    errors: dict[str, list[str]] = {}
    follow_up_on: date | None = None
    if entered["follow_up_on"].strip():
        try:
            follow_up_on = date.fromisoformat(entered["follow_up_on"].strip())
        except ValueError:
            errors["follow_up_on"] = ["Enter the date to follow up as a date, like 2026-12-24."]
    return (
        entered,
        {"kind": entered["kind"] or "note", "body": entered["body"], "follow_up_on": follow_up_on},
        errors,
    )


def _save_note(add: Any) -> dict[str, list[str]]:
    """Save the posted note through ``add(**fields)``; every problem with it, or none."""
    _, data, errors = _note_fields()
    try:  # called even when the date is wrong, so that every problem is said at once
        add(**data)
    except DomainError as exc:
        db.session.rollback()
        if not exc.errors:
            raise
        for field, messages in exc.errors.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        db.session.rollback()
    return errors


@bp.post("/matches/<int:match_id>/notes")
@login_required
def add_match_note(match_id: int) -> ResponseReturnValue:
    match = matches.view_match(current_user, match_id)
    errors = _save_note(lambda **data: notes.add_match_note(current_user, match, **data))
    if errors:
        return _render_match(match, 422, note_errors=errors, note_form=_note_fields()[0])
    flash("The note is saved.", "success")
    return redirect(url_for("pages.match_detail", match_id=match.id, _anchor="notes-heading"), 303)


@bp.post("/needs/<int:need_id>/notes")
@login_required
def add_need_note(need_id: int) -> ResponseReturnValue:
    need = visibility.published_need(need_service.get_need(need_id), current_user)
    errors = _save_note(lambda **data: notes.add_need_note(current_user, need, **data))
    if errors:
        return need_pages.render_need(need, 422, note_errors=errors, note_form=_note_fields()[0])
    flash("The note is saved.", "success")
    return redirect(url_for("pages.need_detail", need_id=need.id, _anchor="notes-heading"), 303)


@bp.get("/groups/<slug>/export/<any(needs, offers, matches, hours):kind>.csv")
@login_required
def export_csv(slug: str, kind: str) -> ResponseReturnValue:
    """The group's needs, offers, matches or hours as CSV, filtered as on the page it is
    linked from (needs and offers: the coordinator's page; matches: the queue)."""
    if kind in ("matches", "hours"):
        group = coordinated_group(slug)
    else:
        group = group_service.get_group_by_slug(slug)  # NotFound -> the 404 page
    filters: dict[str, Any]
    if kind == "matches":
        filters = {"query": queue.QueueQuery.from_args(request.args)}
    elif kind == "hours":
        filters = {"since": _day("from"), "until": _day("to")}
    else:
        skills = {s.slug for s in skill_service.list_skills()}
        shown = coordinator_filters(request.args, skills)
        filters = {"skill": shown.skill, "district": shown.district}
        if kind == "needs":
            filters.update(category=shown.category, status=shown.status)
        filters = {k: v for k, v in filters.items() if v}
    text = exports.export_csv(kind, current_user, group, **filters)
    return csv_response(text, f"{group.slug}-{kind}.csv")


def _day(name: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, f"Give the “{name}” day as a date, like 2026-11-30.")


#: A file of up to imports.MAX_BYTES, with room for the form around it.
LARGE_UPLOADS["pages.import_csv"] = LARGE_UPLOADS["api.import_csv"] = imports.MAX_BYTES + 65536
bp.record_once(lambda state: init_large_uploads(state.app))


@bp.route("/groups/<slug>/import", methods=["GET", "POST"])
@login_required
def import_csv(slug: str) -> ResponseReturnValue:
    """Check a CSV file of needs or offers (a dry run), or import its valid rows."""
    group = coordinated_group(slug)
    kind = request.form.get("kind") or request.args.get("kind") or "needs"
    state: dict[str, Any] = {
        "group": group,
        "kind": kind if kind in ("needs", "offers") else "needs",
        "required": imports.REQUIRED,
        "fields": imports.FIELDS,
        "max_rows": f"{imports.MAX_ROWS:,}",
        "max_mb": imports.MAX_BYTES // (1024 * 1024),
    }
    if request.method == "GET":
        return render_template("desk/import.html", **state, report=None, mapping=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        report = imports.ImportReport(kind=state["kind"], dry_run=True)
        report.file_problems.append("Choose a CSV file to upload.")
        return render_template(
            "desk/import.html", **state, report=report, filename="—", mapping=None
        ), 422
    dry_run = request.form.get("action") != "import"
    mapping: dict[str, str] | None = None
    if request.form.get("mapped") == state["kind"]:  # the columns chosen for this kind
        fields = imports.FIELDS[state["kind"]]
        mapping = {f: (request.form.get(f"map-{f}") or "")[:300] for f in fields}
    with upload.stream:  # a large upload is a temporary file: closed once read
        data = upload.read()
    report = imports.import_csv(
        state["kind"], current_user, group, data, dry_run=dry_run, mapping=mapping
    )
    if not report.ok:
        db.session.rollback()
    if not dry_run and report.imported:
        flash(f"Imported {report.imported} {report.kind}.", "success")
    status = 422 if report.file_problems else 200
    choices = None
    if report.headers and (mapping or imports.needs_mapping(state["kind"], report.headers)):
        chosen = mapping or imports.guessed_mapping(state["kind"], report.headers)
        choices = {"headers": report.headers, "chosen": chosen}
    return render_template(
        "desk/import.html", **state, report=report, filename=upload.filename, mapping=choices
    ), status


#: The engine's reason codes in words.
REASON_WORDS = {
    "no_skill": "No volunteer with the skill",
    "out_of_reach": "No volunteer within reach",
    "no_time": "No volunteer free then",
    "excluded": "Every pair ruled out",
    "taken": "Volunteers taken by other needs",
    "busy": "Volunteers already committed then",
    "fully_booked": "Suitable volunteers fully booked",
    "unverified": "A credential waiting for verification",
    "helping": "The only suitable people already help",
    "rejected": "Turned down before",
    "own": "Only the resident could help",
    "other_times": "Volunteers free at other times",
    "split": "No one volunteer has every skill",
}


@bp.get("/groups/<slug>/report")
@login_required
def group_report(slug: str) -> ResponseReturnValue:
    """The group's report for a period: charts drawn on the server, each beside its table."""
    group = coordinated_group(slug)
    problems: list[str] = []
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        value = (request.args.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            days[name] = None
            problems.append(f"“{value[:20]}” is not a date: showing the last eight weeks.")
    try:
        span = reports.period(days["from"], days["to"])
    except DomainError as exc:
        problems.extend(m for ms in exc.errors.values() for m in ms)
        span = reports.period(None, None)
    report = reports.build_report(current_user, group, span)
    weekly = [{**w, "week": f"w/c {w['week']:%d %b}"} for w in report["weeks"]]
    for row in report["unmatched_reasons"]:
        row["reason"] = REASON_WORDS.get(row["code"], row["code"])
    status = 422 if problems else 200
    return render_template(
        "desk/report.html", group=group, report=report, weekly=weekly, problems=problems
    ), status


@bp.route("/needs/<int:need_id>/pair", methods=["GET", "POST"])
@login_required
def pair_need(need_id: int) -> ResponseReturnValue:
    """A coordinator pairs a chosen volunteer with the need, as far as the engine allows."""
    need = need_service.get_need(need_id)
    group = coordinated_group(need.group.slug)
    offers = offer_service.list_offers(current_user, group=group, limit=200).items
    chosen = form_ids("offer") if request.method == "POST" else _arg_id("offer")
    chosen_id = chosen[0] if chosen else None
    state: dict[str, Any] = {
        "need": need,
        "offers": visibility.offer_views(offers, current_user),
        "chosen": chosen_id,
        "answer": None,
        "errors": {},
        "override_reason": request.form.get("override_reason", ""),
    }
    if chosen_id is None:
        if request.method == "POST":
            abort(400, "Choose a volunteer.")
        return render_template("desk/pair.html", **state)
    offer = offer_service.get_offer(chosen_id)
    if request.method == "POST":
        try:
            pairing.pair(current_user, need, offer, request.form.get("override_reason"))
        except DomainError as exc:
            db.session.rollback()
            state["errors"] = exc.errors or {"offer": [exc.message]}
            need = need_service.get_need(need_id)
            offer = offer_service.get_offer(chosen_id)
            state["need"] = need
            state["answer"] = pairing.check_pair(current_user, need, offer)
            return render_template("desk/pair.html", **state), 422
        flash("Paired and approved. Both sides can now see each other's contact.", "success")
        return redirect(url_for("pages.need_detail", need_id=need.id), 303)
    state["answer"] = pairing.check_pair(current_user, need, offer)
    return render_template("desk/pair.html", **state)


def _arg_id(name: str) -> list[int]:
    value = request.args.get(name, "")
    return [int(value)] if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else []


@bp.route("/groups/<slug>/email-volunteers", methods=["GET", "POST"])
@login_required
def email_volunteers(slug: str) -> ResponseReturnValue:
    """Write to the group's volunteers: first how many it goes to, then send."""
    group = coordinated_group(slug)
    form = {
        k: (request.form.get(k) or "").strip() for k in ("skill", "district", "subject", "body")
    }
    form["district"] = form["district"].upper().replace(" ", "")[:6]
    state: dict[str, Any] = {
        "group": group,
        "skills": skill_service.list_skills(),
        "form": form,
        "errors": {},
        "count": None,
    }
    if request.method == "GET":
        return render_template("desk/email.html", **state)
    audience = bulk_mail.Audience(skill=form["skill"] or None, district=form["district"] or None)
    count = len(bulk_mail.recipients(current_user, group, audience))
    if request.form.get("action") == "send" and request.form.get("confirm_count") == str(count):
        try:
            sent = bulk_mail.send(current_user, group, audience, form["subject"], form["body"])
        except DomainError as exc:
            db.session.rollback()
            state.update(errors=exc.errors, count=count)
            return render_template("desk/email.html", **state), 422
        flash(f"Queued {sent} email{'s' if sent != 1 else ''} to the volunteers.", "success")
        return redirect(url_for("pages.coordinate_group", slug=group.slug), 303)
    state["count"] = count  # a first check, or the audience changed since it was checked
    return render_template("desk/email.html", **state)


@bp.route("/groups/<slug>/alerts", methods=["GET", "POST"])
@login_required
def coordinator_alerts(slug: str) -> ResponseReturnValue:
    """A coordinator's choice of how to hear about the group: each time, daily, or not."""
    group = coordinated_group(slug)
    if request.method == "POST":
        try:
            alerts.set_mode(current_user, group, request.form.get("alert_mode", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(" ".join(m for ms in exc.errors.values() for m in ms) or exc.message, "error")
            return redirect(url_for("pages.coordinator_alerts", slug=group.slug), 303)
        flash("Saved.", "success")
        return redirect(url_for("pages.coordinator_alerts", slug=group.slug), 303)
    return render_template(
        "desk/alerts.html", group=group, mode=alerts.mode_of(current_user, group)
    )

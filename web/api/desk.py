"""The coordinator's desk: the group's queue, paged and searched; notes on needs and matches."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from mutualaid.errors import DomainError, NotFound, ValidationFailed
from mutualaid.models import Person
from mutualaid.schemas.desk import (
    AlertModeSchema,
    FeasibilitySchema,
    HoursQuerySchema,
    ImportQuerySchema,
    ImportReportSchema,
    NeedExportQuerySchema,
    NoteInSchema,
    NoteOutSchema,
    OfferExportQuerySchema,
    PairingInSchema,
    QueueFilterSchema,
    QueuePageSchema,
    QueueQuerySchema,
    ReportSchema,
    VolunteerEmailInSchema,
    VolunteerEmailOutSchema,
)
from mutualaid.schemas.matches import MatchOutSchema
from mutualaid.services import (
    accounts,
    bulk_mail,
    coordinator_alerts,
    exports,
    groups,
    imports,
    matches,
    needs,
    notes,
    offers,
    pairing,
    queue,
    reports,
    visibility,
)

from ..downloads import csv_response
from . import bp


def _coordinated(person: Person, slug: str, **path: Any) -> None:
    accounts.require_coordinator(person, groups.get_group_by_slug(slug))


def _queue_query(args: dict[str, Any]) -> queue.QueueQuery:
    return queue.QueueQuery(
        status=args["status"],
        search=" ".join(args["q"].split()),
        category=args.get("category"),
        urgency=args.get("urgency"),
        district=(args.get("district") or "").upper().replace(" ", "") or None,
        sort=args["sort"],
        grouped=args["grouped"],
    )


@bp.get("/groups/<slug>/queue")
@bp.login_required(check=_coordinated)
@bp.arguments(QueueQuerySchema, location="query")
@bp.response(200, QueuePageSchema, dumped=True, description="A page of the group's queue.")
def group_queue(args: dict[str, Any], person: Person, slug: str) -> dict[str, Any]:
    """A group's queue of matches, searched, filtered, sorted and paged.

    The group's coordinators. Filters apply before paging, so `total` counts what the query
    finds. A need's matches sit together; within a need the best score comes first.
    """
    group = groups.get_group_by_slug(slug)
    asked = _queue_query(args)
    found = queue.queue_page(person, group, asked, limit=args["limit"], offset=args["offset"])
    return {
        "items": matches.match_views(found.items, person),
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
    }


def _note_out(note: Any) -> dict[str, Any]:
    return NoteOutSchema().dump(notes.note_view(note))


@bp.get("/needs/<int:need_id>/notes")
@bp.login_required
@bp.errors(403, 404)
@bp.response(200, NoteOutSchema(many=True), dumped=True, description="Newest first.")
def need_notes(person: Person, need_id: int) -> list[dict[str, Any]]:
    """A need's notes and follow-up log (the group's coordinators)."""
    need = visibility.published_need(needs.get_need(need_id), person)
    return [_note_out(n) for n in notes.need_notes(person, need)]


@bp.post("/needs/<int:need_id>/notes")
@bp.login_required
@bp.errors(403, 404)
@bp.arguments(NoteInSchema)
@bp.response(201, NoteOutSchema, dumped=True, description="The note.")
def add_need_note(data: dict[str, Any], person: Person, need_id: int) -> dict[str, Any]:
    """Add a note or a contact made to a need (the group's coordinators); audited."""
    need = visibility.published_need(needs.get_need(need_id), person)
    return _note_out(notes.add_need_note(person, need, **data))


@bp.get("/matches/<int:match_id>/notes")
@bp.login_required
@bp.errors(403, 404)
@bp.response(200, NoteOutSchema(many=True), dumped=True, description="Newest first.")
def match_notes(person: Person, match_id: int) -> list[dict[str, Any]]:
    """A match's notes and follow-up log (the group's coordinators)."""
    match = matches.view_match(person, match_id)
    return [_note_out(n) for n in notes.match_notes(person, match)]


@bp.post("/matches/<int:match_id>/notes")
@bp.login_required
@bp.errors(403, 404)
@bp.arguments(NoteInSchema)
@bp.response(201, NoteOutSchema, dumped=True, description="The note.")
def add_match_note(data: dict[str, Any], person: Person, match_id: int) -> dict[str, Any]:
    """Add a note or a contact made to a match (the group's coordinators); audited."""
    match = matches.view_match(person, match_id)
    return _note_out(notes.add_match_note(person, match, **data))


def _csv(description: str) -> Any:
    """The response of an export: a CSV file (a string, in the document)."""
    as_file = bp.response(200, description=description, content_type="text/csv")
    documented = bp.doc(
        responses={"200": {"content": {"text/csv": {"schema": {"type": "string"}}}}}
    )
    return lambda view: documented(as_file(view))


def _export(kind: str, person: Person, slug: str, **filters: Any) -> Response:
    group = groups.get_group_by_slug(slug)
    text = exports.export_csv(kind, person, group, **filters)
    return csv_response(text, f"{group.slug}-{kind}.csv")


@bp.get("/groups/<slug>/export/needs")
@bp.login_required
@bp.arguments(NeedExportQuerySchema, location="query")
@_csv("The needs as CSV, one row each.")
def export_needs(args: dict[str, Any], person: Person, slug: str) -> Response:
    """A group's needs as CSV, filtered as on the coordinator's page.

    Anyone signed in gets what the needs list shows them; the group's coordinators also get
    the personal columns (postcode, address, name, email, phone). Text cells a spreadsheet
    would run as a formula (starting with = + - @, a tab or a carriage return) start with an
    apostrophe.
    """
    filters = {k: v for k, v in args.items() if v}
    if "district" in filters:
        filters["district"] = filters["district"].upper().replace(" ", "")
    return _export("needs", person, slug, **filters)


@bp.get("/groups/<slug>/export/offers")
@bp.login_required
@bp.arguments(OfferExportQuerySchema, location="query")
@_csv("The active offers as CSV, one row each.")
def export_offers(args: dict[str, Any], person: Person, slug: str) -> Response:
    """A group's active offers as CSV, filtered as on the coordinator's page.

    The group's coordinators also get the personal columns (postcode, name, email, phone,
    note). Formula-like cells are escaped as for needs.
    """
    filters = {k: v for k, v in args.items() if v}
    if "district" in filters:
        filters["district"] = filters["district"].upper().replace(" ", "")
    return _export("offers", person, slug, **filters)


@bp.get("/groups/<slug>/export/matches")
@bp.login_required(check=_coordinated)
@bp.arguments(QueueFilterSchema, location="query")
@_csv("The matches as CSV, in the queue's order.")
def export_matches(args: dict[str, Any], person: Person, slug: str) -> Response:
    """A group's matches as CSV, filtered and sorted as in the queue (every page).

    The group's coordinators. Formula-like cells are escaped as for needs.
    """
    return _export("matches", person, slug, query=_queue_query(args))


@bp.get("/groups/<slug>/export/hours")
@bp.login_required(check=_coordinated)
@bp.arguments(HoursQuerySchema, location="query")
@_csv("The hours given, one completed match a row.")
def export_hours(args: dict[str, Any], person: Person, slug: str) -> Response:
    """The hours given through a group's completed matches, as CSV (the group's coordinators)."""
    return _export("hours", person, slug, **args)


@bp.post(
    "/groups/<slug>/import/<kind>",
    parameters=[
        {
            "in": "path",
            "name": "kind",
            "required": True,
            "schema": {"type": "string", "enum": ["needs", "offers"]},
        }
    ],
)
@bp.login_required(check=_coordinated)
@bp.arguments(ImportQuerySchema, location="query")
@bp.doc(
    requestBody={
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The CSV file, UTF-8, its first line naming the columns.",
    }
)
@bp.response(200, ImportReportSchema, dumped=True, description="The check, or the import.")
@bp.errors(400, 422)
def import_csv(args: dict[str, Any], person: Person, slug: str, kind: str) -> dict[str, Any]:
    """Check or import a group's needs or offers from a CSV file (the group's coordinators).

    With dry_run (the default) every row's problems are listed and nothing is saved. Without
    it the rows without problems are saved in one transaction and the others listed. A file
    that cannot be read (not UTF-8, not CSV, too many rows, missing columns) is a 422 and
    saves nothing. People new to the site get an account and an email to confirm their
    address and choose a password.
    """
    group = groups.get_group_by_slug(slug)
    if kind not in ("needs", "offers"):
        raise NotFound(f"No import of {kind[:40]}: needs or offers.")
    data = request.get_data()
    if not data:
        raise DomainError("The request body must be the CSV file (Content-Type: text/csv).")
    mapping: dict[str, str] = {}
    for item in args["map"]:
        name, equals, column = item.partition("=")
        if not equals or not name.strip():
            raise ValidationFailed(
                "Give each map as field=Column.", {"map": [f"“{item[:60]}” is not field=Column."]}
            )
        mapping[name.strip()] = column.strip()
    report = imports.import_csv(
        kind, person, group, data, dry_run=args["dry_run"], mapping=mapping or None
    )
    if report.file_problems:
        key = "map" if report.mapping_refused else "file"
        raise ValidationFailed(report.file_problems[0], {key: report.file_problems})
    return ImportReportSchema().dump(report)


@bp.get("/groups/<slug>/report")
@bp.login_required(check=_coordinated)
@bp.arguments(HoursQuerySchema, location="query")
@bp.response(200, ReportSchema, description="The group's figures for the period.")
def group_report(args: dict[str, Any], person: Person, slug: str) -> dict[str, Any]:
    """A group's report for a period (the last eight weeks by default; the group's coordinators).

    Needs posted, approved and completed by week and category, fill rate, time to match, hours
    given, active volunteers and their load, and from the period's last matching run the
    unmatched reasons and the skills most often missing. Aggregates only.
    """
    group = groups.get_group_by_slug(slug)
    span = reports.period(args.get("since"), args.get("until"))
    return reports.build_report(person, group, span)


@bp.post("/needs/<int:need_id>/pairings")
@bp.login_required
@bp.errors(403, 409)
@bp.arguments(PairingInSchema)
@bp.response(200, FeasibilitySchema, description="With dry_run: the engine's answer.")
@bp.alt_response(201, schema=MatchOutSchema, description="The approved match.")
def pair_need(data: dict[str, Any], person: Person, need_id: int) -> Any:
    """Pair a chosen volunteer's offer with a need, and approve it (the group's coordinators).

    The matching engine decides whether the pair is feasible, with the rules of a matching run.
    A volunteer out of reach can be paired with an override_reason; a missing skill or check, a
    time that does not fit, or a pair already decided against cannot (409, with the engine's
    reason). With dry_run, only the engine's answer is given.
    """
    need = needs.get_need(need_id)
    accounts.require_coordinator(person, need.group)
    offer = offers.get_offer(data["offer"])
    if data["dry_run"]:
        return pairing.check_pair(person, need, offer)
    match = pairing.pair(person, need, offer, data.get("override_reason"))
    return jsonify(matches.match_view(match, person)), 201


@bp.post("/groups/<slug>/volunteer-emails")
@bp.login_required(check=_coordinated)
@bp.arguments(VolunteerEmailInSchema)
@bp.response(200, VolunteerEmailOutSchema, description="How many it went to.")
def email_volunteers(data: dict[str, Any], person: Person, slug: str) -> dict[str, int]:
    """Email a group's volunteers through the outbox (the group's coordinators).

    One mail each; only volunteers with an active offer in the group and a confirmed address.
    With dry_run, only the number of recipients.
    """
    group = groups.get_group_by_slug(slug)
    audience = bulk_mail.Audience(
        skill=data.get("skill") or None,
        district=(data.get("district") or "").upper().replace(" ", "") or None,
    )
    if data["dry_run"]:
        found = len(bulk_mail.recipients(person, group, audience))
        return {"recipients": found, "queued": 0}
    sent = bulk_mail.send(person, group, audience, data["subject"], data["body"])
    return {"recipients": sent, "queued": sent}


@bp.put("/groups/<slug>/alerts")
@bp.login_required(check=_coordinated)
@bp.arguments(AlertModeSchema)
@bp.response(200, AlertModeSchema, description="Your choice for the group.")
def set_alert_mode(data: dict[str, Any], person: Person, slug: str) -> dict[str, str]:
    """Choose how you hear about a group you coordinate (immediate, digest or off).

    You hear of a new urgent need, a declined or cancelled approved match, and a failed
    matching run: an email each time, one daily digest, or nothing.
    """
    group = groups.get_group_by_slug(slug)
    return {"alert_mode": coordinator_alerts.set_mode(person, group, data["alert_mode"]).alert_mode}

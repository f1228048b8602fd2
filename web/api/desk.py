"""The coordinator's desk: the group's queue, paged and searched; notes on needs and matches."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas.desk import (
    NoteInSchema,
    NoteOutSchema,
    QueuePageSchema,
    QueueQuerySchema,
)
from mutualaid.services import accounts, groups, matches, needs, notes, queue, visibility

from . import bp


def _coordinated(person: Person, slug: str) -> None:
    accounts.require_coordinator(person, groups.get_group_by_slug(slug))


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
    asked = queue.QueueQuery(
        status=args["status"],
        search=" ".join(args["q"].split()),
        category=args.get("category"),
        urgency=args.get("urgency"),
        district=(args.get("district") or "").upper().replace(" ", "") or None,
        sort=args["sort"],
        grouped=args["grouped"],
    )
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

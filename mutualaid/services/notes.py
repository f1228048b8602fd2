"""Coordinators' notes and follow-up log on a need or a match.

Only the group's coordinators read or write them; each note is audited (who wrote it, on what,
when; its text is kept out of the trail, see :mod:`mutualaid.audit`). A note is never edited:
a correction is a new note.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..models import NOTE_KINDS, Match, Need, Note, NoteKind, Person
from . import accounts

#: The longest note.
MAX_NOTE = 5000


def _require_coordinator(person: Person | None, group_id: int) -> None:
    if not accounts.is_coordinator(person, group_id):
        raise Forbidden("Only the group's coordinators can read and write its notes.")


def _check(kind: str, body: str, follow_up_on: date | None) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    body = (body or "").strip()
    if not body:
        errors["body"] = ["Write the note."]
    elif len(body) > MAX_NOTE:
        errors["body"] = [f"Keep the note under {MAX_NOTE} characters."]
    kind = kind or NoteKind.NOTE
    if kind not in NOTE_KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(NOTE_KINDS)}."]
    if follow_up_on is not None and not isinstance(follow_up_on, date):
        errors["follow_up_on"] = ["Enter the date as YYYY-MM-DD."]
    if errors:
        raise ValidationFailed("The note was not saved.", errors)
    return kind, body


def add_need_note(
    person: Person,
    need: Need,
    body: str,
    kind: str = NoteKind.NOTE,
    follow_up_on: date | None = None,
) -> Note:
    _require_coordinator(person, need.group_id)
    kind, body = _check(kind, body, follow_up_on)
    note = Note(
        group_id=need.group_id,
        need_id=need.id,
        author_id=person.id,
        kind=kind,
        body=body,
        follow_up_on=follow_up_on,
    )
    db.session.add(note)
    db.session.flush()
    return note


def add_match_note(
    person: Person,
    match: Match,
    body: str,
    kind: str = NoteKind.NOTE,
    follow_up_on: date | None = None,
) -> Note:
    _require_coordinator(person, match.need.group_id)
    kind, body = _check(kind, body, follow_up_on)
    note = Note(
        group_id=match.need.group_id,
        match_id=match.id,
        author_id=person.id,
        kind=kind,
        body=body,
        follow_up_on=follow_up_on,
    )
    db.session.add(note)
    db.session.flush()
    return note


def _notes(where: sa.ColumnElement[bool]) -> list[Note]:
    return list(
        db.session.scalars(
            sa.select(Note)
            .where(where)
            .options(joinedload(Note.author))
            .order_by(Note.created_dt.desc(), Note.id.desc())
        )
    )


def need_notes(person: Person | None, need: Need) -> list[Note]:
    """The need's notes, newest first; the notes of its matches are on each match."""
    _require_coordinator(person, need.group_id)
    return _notes(Note.need_id == need.id)


def match_notes(person: Person | None, match: Match) -> list[Note]:
    _require_coordinator(person, match.need.group_id)
    return _notes(Note.match_id == match.id)


def note_view(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "need": note.need_id,
        "match": note.match_id,
        "kind": note.kind,
        "body": note.body,
        "follow_up_on": note.follow_up_on,
        "author": {"id": note.author.id, "name": note.author.name} if note.author else None,
        "created_at": note.created_dt,
    }

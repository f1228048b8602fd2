from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, utcnow

if TYPE_CHECKING:
    from .people import Person


class NoteKind(StrEnum):
    """What a note records: a plain note, or a contact made (the follow-up log)."""

    NOTE = "note"
    CALL = "call"
    MESSAGE = "message"
    VISIT = "visit"


#: Every kind's value, in order (for schemas and forms).
NOTE_KINDS = tuple(k.value for k in NoteKind)


class Note(Model):
    """A coordinator's note on a need or a match ("called Amara, she's fine with Tuesday").

    Seen by the group's coordinators only. Exactly one of ``need_id`` and ``match_id`` is set;
    ``group_id`` is the need's group, kept so that a group's notes are found without a join.
    Notes are a log: written once, never edited.
    """

    __tablename__ = "notes"
    __table_args__ = (
        sa.CheckConstraint("(need_id IS NULL) <> (match_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20), default=NoteKind.NOTE)
    body: Mapped[str] = mapped_column(sa.Text)
    #: When to get back in touch, if the note says so.
    follow_up_on: Mapped[date | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Person | None] = relationship()

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, association, utcnow

if TYPE_CHECKING:
    from .groups import Group
    from .people import Person
    from .skills import Skill

CATEGORIES = {
    "childcare": "Childcare",
    "breakfast-club": "Children's breakfast club",
    "legal-aid": "Legal aid",
    "homework-club": "Homework club",
    "food": "Food",
    "transport": "Transport",
    "befriending": "Befriending",
    "other": "Other",
}


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class NeedStatus(StrEnum):
    """Where a need stands. Stored as its value in a string column."""

    OPEN = "open"  # no volunteer yet
    PARTLY_MATCHED = "partly_matched"  # some of the volunteers it asks for
    MATCHED = "matched"  # every volunteer it asks for
    FULFILLED = "fulfilled"  # every match completed (a weekly need: once its last day is past)
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its date passed, or nobody was found in time, while it was still open


#: Needs still looking for volunteers.
OPEN_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.PARTLY_MATCHED)
#: Needs still wanted; a list shows these unless asked for a status.
ACTIVE_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.PARTLY_MATCHED, NeedStatus.MATCHED)
#: Needs that can no longer be changed or cancelled.
CLOSED_NEED_STATUSES = (NeedStatus.FULFILLED, NeedStatus.CANCELLED, NeedStatus.EXPIRED)
#: Every value, in order (for schemas).
URGENCIES = tuple(u.value for u in Urgency)
NEED_STATUSES = tuple(s.value for s in NeedStatus)

need_skills = association("need_skills", "needs", "skills")


class Need(Model):
    """A resident's request for help.

    Time is either one date (``on_date``) with one window, or weekly windows from ``starts_on``
    to ``ends_on`` (both included). Both are kept in ``windows`` as
    ``[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]`` so matching reads one shape;
    ``on_date`` tells them apart.
    """

    __tablename__ = "needs"
    __table_args__ = (
        sa.CheckConstraint("volunteers_needed >= 1", name="volunteers_needed"),
        sa.Index("ix_needs_group_status", "group_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    postcode: Mapped[str] = mapped_column(sa.String(10))
    district: Mapped[str] = mapped_column(sa.String(6))
    lat: Mapped[float]
    lon: Mapped[float]
    #: Private: shown only to the group's coordinators and, after approval, the matched volunteer.
    address: Mapped[str | None] = mapped_column(sa.Text)
    on_date: Mapped[date | None]
    windows: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    #: A weekly need's first and last day (``None`` for a one-off need).
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    volunteers_needed: Mapped[int] = mapped_column(default=1)
    urgency: Mapped[str] = mapped_column(sa.String(10), default=Urgency.NORMAL)
    is_remote_ok: Mapped[bool] = mapped_column(default=False)
    #: The resident lets the group's public page show the title and description.
    is_description_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(20), default=NeedStatus.OPEN)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    expires_dt: Mapped[datetime | None]

    group: Mapped[Group] = relationship()
    requester: Mapped[Person] = relationship()
    skills: Mapped[list[Skill]] = relationship(secondary=need_skills, order_by="Skill.slug")

    @property
    def is_weekly(self) -> bool:
        return self.on_date is None

    @property
    def category_name(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.title!r}>"

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, utcnow

if TYPE_CHECKING:
    from .people import Person


class Role(StrEnum):
    """A person's role in a group."""

    MEMBER = "member"
    COORDINATOR = "coordinator"  # decides the group's matches and verifies its volunteers' checks


#: Every role's value, in order.
ROLES = tuple(r.value for r in Role)


class Group(Model):
    """A local mutual-aid group and its area: a centre and radius, or a list of districts."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    centre_postcode: Mapped[str | None] = mapped_column(sa.String(10))
    centre_lat: Mapped[float | None]
    centre_lon: Mapped[float | None]
    radius_km: Mapped[float | None]
    #: Postcode districts (outward codes) such as ``["E8", "E9", "N16"]``.
    districts: Mapped[list[str] | None] = mapped_column(sa.JSON)
    #: The group's coordinators publish a page of its open needs (``/g/<slug>/needs``).
    is_needs_public: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: How many weeks a weekly need runs when its resident gives no end date.
    weekly_weeks: Mapped[int] = mapped_column(default=8, server_default="8")
    #: Days after which a need still without any volunteer expires.
    expire_after_days: Mapped[int] = mapped_column(default=21, server_default="21")
    #: Goes up with every committed write to the group's needs, offers, matches, members or
    #: details (see :mod:`mutualaid.freshness`): pages cached under an older one are stale.
    data_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When an admin archived the group: hidden from public lists and from the group choices
    #: of new needs and offers, and skipped by scheduled matching. ``None`` while active.
    archived_dt: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "person_id", name="uq_memberships_group_person"),
        sa.CheckConstraint("role IN ('member', 'coordinator')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.MEMBER)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: A coordinator's choice: "immediate", "digest" or "off" (see ``models.alerts``).
    alert_mode: Mapped[str] = mapped_column(
        sa.String(20), default="immediate", server_default="immediate"
    )

    group: Mapped[Group] = relationship(back_populates="memberships")
    person: Mapped[Person] = relationship(back_populates="memberships")

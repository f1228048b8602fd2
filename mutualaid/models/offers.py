from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, association, utcnow

if TYPE_CHECKING:
    from .groups import Group
    from .people import Person
    from .skills import Skill

offer_groups = association("offer_groups", "offers", "groups")


class Offer(Model):
    """A volunteer's offer of time."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity"),
        sa.CheckConstraint("max_travel_km >= 0", name="max_travel_km"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    postcode: Mapped[str] = mapped_column(sa.String(10))
    district: Mapped[str] = mapped_column(sa.String(6))
    lat: Mapped[float]
    lon: Mapped[float]
    max_travel_km: Mapped[float] = mapped_column(default=5.0)
    #: Weekly windows ``[{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}]``.
    availability: Mapped[list[dict]] = mapped_column(sa.JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    volunteer: Mapped[Person] = relationship()
    groups: Mapped[list[Group]] = relationship(secondary=offer_groups, order_by="Group.slug")
    offer_skills: Mapped[list[OfferSkill]] = relationship(
        back_populates="offer", cascade="all, delete-orphan"
    )

    @property
    def skills(self) -> list[Skill]:
        return sorted((os.skill for os in self.offer_skills), key=lambda s: s.slug)

    def __repr__(self) -> str:
        return f"<Offer {self.id} by {self.volunteer_id}>"


class OfferSkill(Model):
    """A skill an offer claims; a credential skill also records its verification and expiry."""

    __tablename__ = "offer_skills"

    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: The group whose coordinator verified it: shown as "verified by <group>", and only that
    #: group's coordinators may renew it (see :func:`mutualaid.services.offers.verify_credential`).
    verified_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="SET NULL")
    )
    verified_dt: Mapped[datetime | None]
    expires_on: Mapped[date | None]

    offer: Mapped[Offer] = relationship(back_populates="offer_skills")
    skill: Mapped[Skill] = relationship()
    verified_group: Mapped[Group | None] = relationship()

    def is_usable(self, today: date) -> bool:
        """A plain skill always counts; a credential only while verified and unexpired."""
        if not self.skill.is_credential:
            return True
        return self.verified_dt is not None and (
            self.expires_on is None or self.expires_on >= today
        )

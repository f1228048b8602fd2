from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._base import utcnow

MATCH_STATUSES = ("proposed", "approved", "rejected", "declined", "cancelled", "completed")
RUN_STATUSES = ("running", "succeeded", "failed")


class MatchingRun(db.Model):
    """One run of the matching engine over one group."""

    __tablename__ = "matching_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    trigger: Mapped[str] = mapped_column(sa.String(20), default="schedule")
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    started_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finished_dt: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: Counts and timings: needs, offers, candidate pairs, proposals, seconds per stage.
    stats: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Needs left with open slots and the engine's reasons.
    unmatched: Mapped[list | None] = mapped_column(sa.JSON)

    group: Mapped[Group] = relationship()  # noqa: F821


class Match(db.Model):
    """A pairing of a need with a volunteer's offer, proposed by a run and decided by a coordinator."""

    __tablename__ = "matches"
    __table_args__ = (
        sa.Index("ix_matches_need_status", "need_id", "status"),
        sa.Index("ix_matches_offer_status", "offer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("matching_runs.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    score: Mapped[float] = mapped_column(default=0.0)
    distance_km: Mapped[float | None]
    explanation: Mapped[dict | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    decided_dt: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    hours: Mapped[float | None]
    completed_dt: Mapped[datetime | None]

    need: Mapped[Need] = relationship()  # noqa: F821
    offer: Mapped[Offer] = relationship()  # noqa: F821
    run: Mapped[MatchingRun | None] = relationship()
    decided_by: Mapped[Person | None] = relationship()  # noqa: F821


class RunLock(db.Model):
    """One row per group, locked (``SELECT ... FOR UPDATE``) while a run holds it."""

    __tablename__ = "run_locks"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str | None] = mapped_column(sa.String(120))
    run_id: Mapped[int | None]
    acquired_dt: Mapped[datetime | None]
    expires_dt: Mapped[datetime | None]

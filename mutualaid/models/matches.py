from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, utcnow

if TYPE_CHECKING:
    from .groups import Group
    from .needs import Need
    from .offers import Offer
    from .people import Person


class MatchStatus(StrEnum):
    """Where a match stands. Stored as its value in a string column."""

    PROPOSED = "proposed"  # by a matching run, waiting for a coordinator
    APPROVED = "approved"  # by a coordinator: both sides see each other
    REJECTED = "rejected"  # by a coordinator: the pair is never proposed again
    DECLINED = "declined"  # by the volunteer
    CANCELLED = "cancelled"  # called off after approval, or with its need
    COMPLETED = "completed"  # the help was given


#: Matches that take one of a need's slots and show the two sides to each other.
HOLDING_MATCH_STATUSES = (MatchStatus.APPROVED, MatchStatus.COMPLETED)
#: Matches still in play: the volunteer may decline them; cancelling the need cancels them.
LIVE_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.APPROVED)
#: Decided matches: their pair is never proposed again (decided against, or already agreed).
DECIDED_MATCH_STATUSES = (
    MatchStatus.REJECTED,
    MatchStatus.DECLINED,
    MatchStatus.CANCELLED,
    MatchStatus.APPROVED,
    MatchStatus.COMPLETED,
)
#: The matches a resident sees: agreed ones, and those called off.
RESIDENT_MATCH_STATUSES = (MatchStatus.APPROVED, MatchStatus.COMPLETED, MatchStatus.CANCELLED)
#: Every status's value, in order (for schemas).
MATCH_STATUSES = tuple(s.value for s in MatchStatus)


class RunStatus(StrEnum):
    """Where a matching run stands: queued and running are live, the others finished."""

    QUEUED = "queued"  # recorded, waiting for the executor
    RUNNING = "running"  # computing or writing its proposals
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # with its error; nothing of it was written
    ABANDONED = "abandoned"  # the process running it died; nothing of it was written


class RunTrigger(StrEnum):
    """What started a matching run."""

    SCHEDULE = "schedule"  # the scheduler
    MANUAL = "manual"  # a coordinator, on a page or through the API
    COMMAND = "command"  # ``mutualaid run-matching``


#: Every run status's value, in order.
RUN_STATUSES = tuple(s.value for s in RunStatus)
#: A group has at most one live run (a unique index holds it).
LIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
_LIVE_RUN = "status IN ('queued', 'running')"


class MatchingRun(Model):
    """One run of the matching engine over one group."""

    __tablename__ = "matching_runs"
    __table_args__ = (
        sa.Index(
            "ix_matching_runs_one_live_per_group",
            "group_id",
            unique=True,
            sqlite_where=sa.text(_LIVE_RUN),
            postgresql_where=sa.text(_LIVE_RUN),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default=RunStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(sa.String(20), default=RunTrigger.SCHEDULE)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    started_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finished_dt: Mapped[datetime | None]
    #: The last sign of life of the process running it (claimed, loaded, computed).
    alive_dt: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: Counts and timings: needs, offers, candidate pairs, proposals, seconds per stage.
    stats: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Needs left with open slots and the engine's reasons.
    unmatched: Mapped[list | None] = mapped_column(sa.JSON)

    group: Mapped[Group] = relationship()


class Match(Model):
    """A need paired with a volunteer's offer: proposed by a run, decided by a coordinator."""

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
    status: Mapped[str] = mapped_column(sa.String(20), default=MatchStatus.PROPOSED)
    score: Mapped[float] = mapped_column(default=0.0)
    distance_km: Mapped[float | None]
    explanation: Mapped[dict | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    decided_dt: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    hours: Mapped[float | None]
    completed_dt: Mapped[datetime | None]
    #: The day a weekly commitment was agreed, when later than its need's first day (it holds the
    #: volunteer's time from then on).
    begins_on: Mapped[date | None]
    #: A weekly commitment stepped back from after it began: its last day (its sessions stay).
    ended_on: Mapped[date | None]
    #: Proposed by the volunteer ("I can help with this"), not by a run: a run never removes it.
    is_claim: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    need: Mapped[Need] = relationship()
    offer: Mapped[Offer] = relationship()
    run: Mapped[MatchingRun | None] = relationship()
    decided_by: Mapped[Person | None] = relationship()


class SessionStatus(StrEnum):
    DONE = "done"
    MISSED = "missed"


#: Every session status's value, in order.
SESSION_STATUSES = tuple(s.value for s in SessionStatus)


class MatchSession(Model):
    """One day of a weekly commitment, recorded by the volunteer, the resident or a coordinator:
    done (with its hours) or missed."""

    __tablename__ = "match_sessions"
    __table_args__ = (
        sa.UniqueConstraint("match_id", "on_date", name="uq_match_sessions_match_day"),
        sa.CheckConstraint("status IN ('done', 'missed')", name="status"),
        sa.CheckConstraint("hours IS NULL OR hours > 0", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(
        sa.ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    on_date: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(10))
    hours: Mapped[float | None]
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    recorded_dt: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[Match] = relationship()

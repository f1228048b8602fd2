from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import Model, utcnow


class AlertMode(StrEnum):
    """How a coordinator hears about what needs them (per group, on their membership)."""

    IMMEDIATE = "immediate"  # an email each time
    DIGEST = "digest"  # one email a day with everything since the last
    OFF = "off"


#: Every mode's value, in order.
ALERT_MODES = tuple(m.value for m in AlertMode)


class CoordinatorAlert(Model):
    """Something a coordinator chose to hear about in their daily digest, until it is sent."""

    __tablename__ = "coordinator_alerts"
    __table_args__ = (sa.Index("ix_coordinator_alerts_person_sent", "person_id", "sent_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("groups.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    sent_dt: Mapped[datetime | None]

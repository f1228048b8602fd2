from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import Model, utcnow


class AuditEvent(Model):
    """Who created, changed or deleted what, and when. Written by :mod:`mutualaid.audit`."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(20))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(40))
    changes: Mapped[dict | None] = mapped_column(sa.JSON)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ._base import Model, utcnow

if TYPE_CHECKING:
    from .groups import Membership


class Person(UserMixin, Model):
    """Anyone with an account: a resident, a volunteer, a coordinator, often several at once."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the email address was confirmed through the emailed link; ``None``: not yet (the
    #: person's needs and offers are not published until it is).
    email_verified_dt: Mapped[datetime | None]
    #: Part of every session cookie; raised to end every session at once (log out, a password
    #: change, deactivation, erasure). See :mod:`web.auth`.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the account was erased at its owner's request (its personal data is gone).
    erased_dt: Mapped[datetime | None]
    #: A volunteer away until this day (included): nothing is proposed or approved before.
    paused_until: Mapped[date | None]
    #: At most this many sessions (a window on a day) a week (Monday to Sunday), or ``None``.
    week_limit_tasks: Mapped[int | None]
    #: At most this many hours of sessions a week, or ``None``.
    week_limit_hours: Mapped[float | None]
    #: A volunteer who asked for a daily email of new needs they could help with.
    is_needs_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When their last digest of new needs was made: the next one lists needs posted since.
    needs_digest_dt: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    @property
    def is_verified(self) -> bool:
        return self.email_verified_dt is not None

    def get_id(self) -> str:  # Flask-Login: the session names the person and the version
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.email}>"


class ApiToken(Model):
    """A bearer token for the JSON API. Only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    is_revoked: Mapped[bool] = mapped_column(default=False)

    person: Mapped[Person] = relationship()

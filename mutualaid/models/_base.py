from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC now: the database stores UTC without a zone on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


#: The largest id an INTEGER primary key holds on every supported database.
MAX_ID = 2**31 - 1


if TYPE_CHECKING:
    # Flask-SQLAlchemy makes ``db.Model`` at run time, out of mypy's sight; to a type checker a
    # model is what it really is underneath: a subclass of the declarative base.
    from ..extensions import Base as Model
else:
    from ..extensions import db

    Model = db.Model


def table_of(model: Any) -> sa.Table:
    """A model's table, typed as the :class:`~sqlalchemy.Table` it is (for bulk statements)."""
    return cast(sa.Table, model.__table__)


def association(name: str, left: str, right: str) -> sa.Table:
    """A many-to-many link table ``name`` between ``left`` and ``right`` tables (by their ids),
    each side deleted with its row: ``association("need_skills", "needs", "skills")``."""
    from ..extensions import db

    def column(table: str) -> sa.Column[int]:
        return sa.Column(
            f"{table[:-1]}_id", sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), primary_key=True
        )

    return sa.Table(name, db.metadata, column(left), column(right))

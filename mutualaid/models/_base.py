from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now: the database stores UTC without a zone on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


#: The largest id an INTEGER primary key holds on every supported database.
MAX_ID = 2**31 - 1

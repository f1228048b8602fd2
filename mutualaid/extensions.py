"""Extensions, created unbound and attached in :func:`web.create_app`."""

from __future__ import annotations

import contextvars
import os
import stat
from typing import Any

from flask_caching import Cache
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
#: Rendered fragments (see web/pages/coordinator.py): in-process by default, Redis when configured.
cache = Cache()


_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def intend_to_write(flag: bool = True) -> None:
    """Declare that this request or job will write, so SQLite takes its write lock up front.

    SQLite has no ``SELECT ... FOR UPDATE``: a transaction that reads and then writes fails with
    "database is locked" when another writer got in between. ``BEGIN IMMEDIATE`` takes the write
    lock at the start and waits (``busy_timeout``) for another writer instead; readers are never
    blocked in WAL mode. PostgreSQL ignores this and uses row locks.
    """
    _write_intent.set(flag)


def write_intended() -> bool:
    """Whether this request or job has declared that it will write."""
    return _write_intent.get()


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, enforced foreign keys, and ``BEGIN IMMEDIATE`` for writers."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _sqlite_begin):
        return
    in_memory = engine.url.database in (None, "", ":memory:")
    event.listen(engine, "connect", _sqlite_connect_memory if in_memory else _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    _private(dbapi_connection)
    _sqlite_pragmas(dbapi_connection, wal=True)


def _private(dbapi_connection: Any) -> None:
    """The database file holds residents' addresses: readable by its owner only (0600).

    SQLite gives the ``-wal`` and ``-shm`` files the database file's permissions.
    """
    for _, name, path in dbapi_connection.execute("PRAGMA database_list"):
        if name == "main" and path and os.path.exists(path) and os.stat(path).st_uid == os.getuid():
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def _sqlite_connect_memory(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, wal=False)


def _sqlite_pragmas(dbapi_connection: Any, wal: bool) -> None:
    cursor = dbapi_connection.cursor()
    if wal:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Without the intent, the driver's own deferred BEGIN before the first write applies (reads
    # then see the latest commits, like PostgreSQL's READ COMMITTED).
    if _write_intent.get():
        conn.exec_driver_sql("BEGIN IMMEDIATE")

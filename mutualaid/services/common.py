"""Helpers every service uses: a row by id or :class:`NotFound`, a page of a list, field errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..models import MAX_ID, Group, Match, Skill

T = TypeVar("T")
M = TypeVar("M", bound=DeclarativeBase)
#: What :func:`by_slugs` looks up.
S = TypeVar("S", Group, Skill)


#: Above this many ids, SQLite gets them as one JSON parameter (see :func:`among`).
_LONG_LIST = 200


class _IdArray(sa.types.UserDefinedType[list[int]]):
    """Integer ids bound as one PostgreSQL array, ``:ids::INTEGER[]``, written as the array's
    text: psycopg dumps a list element by element (a regular expression each, ten thousand
    for a large group's needs), a string at once. The string goes with no type of its own, so
    the cast types the parameter itself and the planner sees the ids as a constant (a string
    typed as text and cast would be an expression it evaluates while running: without
    statistics, a scan testing every row against every id)."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **kw: Any) -> str:
        return "INTEGER[]"

    def bind_processor(self, dialect: Any) -> Any:
        def process(value: Sequence[int]) -> str:
            return "{" + ",".join(map(str, map(int, value))) + "}"

        return process


def among(column: Any, ids: Sequence[int] | set[int]) -> Any:
    """``column IN (ids)`` for a long list of integer ids: on PostgreSQL ``column = ANY(:ids)``,
    one array parameter (psycopg parses a statement's placeholders in Python, so ten thousand of
    them cost more than the query; see :class:`_IdArray`); on SQLite, a long list as one JSON
    array, unpacked by ``json_each`` (each placeholder of an ``IN`` list costs SQLAlchemy more
    to render than the database to search); a short one as an ordinary ``IN``."""
    values = sorted(ids)
    if db.engine.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=_IdArray()))
    if len(values) > _LONG_LIST:
        unpacked = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.Text))
        return column.in_(sa.select(unpacked.table_valued("value").c.value))
    return column.in_(values)


def get_or_not_found(model: type[M], ident: int, noun: str) -> M:
    """The row with this id, or :class:`NotFound` ("No need 7."); an id out of the column's range
    (from a URL) is simply not there."""
    row = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if row is None:
        raise NotFound(f"No {noun} {ident}.")
    return row


@dataclass
class Page(Generic[T]):
    """One page of a list; iterates over its items."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def empty(cls, limit: int, offset: int) -> Page[T]:
        return cls([], 0, limit, offset)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def paginate(
    query: sa.Select[T],
    *,
    order_by: Sequence[Any],
    options: Sequence[Any] = (),
    limit: int,
    offset: int,
) -> Page[T]:
    """The page of ``query``'s rows at ``offset``, with the total count of every page."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = list(
        db.session.scalars(query.order_by(*order_by).options(*options).limit(limit).offset(offset))
    )
    return Page(items, total, limit, offset)


def collect_errors(errors: dict[str, list[str]], exc: DomainError) -> None:
    """Add ``exc``'s field errors to ``errors``, so that one refusal can name every bad field."""
    for key, messages in exc.errors.items():
        errors.setdefault(key, []).extend(messages)


def by_slugs(model: type[S], slugs: Sequence[str], field: str, noun: str) -> list[S]:
    """The rows named by ``slugs``, in order and once each, or a field error naming each unknown."""
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return []
    found = {
        row.slug: row for row in db.session.scalars(sa.select(model).where(model.slug.in_(wanted)))
    }
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise ValidationFailed(
            f"Unknown {field}.", {field: [f"Unknown {noun} '{s}'." for s in unknown]}
        )
    return [found[s] for s in wanted]


def count_matches(*where: sa.ColumnElement[bool]) -> int:
    """How many matches meet ``where``."""
    return db.session.scalar(sa.select(sa.func.count(Match.id)).where(*where)) or 0

"""The one lock order: needs, then offers, then matches, each in id order.

Every path that locks these rows for writing (approvals, edits of a need or an offer, a
matching run's write step, the expiry job) takes them through this module, so two transactions
wait for each other at the first row they share and never deadlock. A matching run takes its
group's run lock before any row (see :mod:`mutualaid.services.matching_runs`); nothing else takes
that lock while holding a row.

On PostgreSQL these are ``SELECT ... FOR UPDATE``. SQLite has no row locks: a writing request or
job starts with ``BEGIN IMMEDIATE`` (:func:`mutualaid.extensions.intend_to_write`), which lets
one writer in at a time, so the functions here only read the rows afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import sqlalchemy as sa

from ..errors import NotFound
from ..extensions import db
from ..models import Match, MatchingRun, Need, Offer
from .common import among

#: The global order, first to last.
ORDER: tuple[type[Need] | type[Offer] | type[Match], ...] = (Need, Offer, Match)
#: Rows locked per statement (in id order, so a chunk after a chunk keeps the order).
_CHUNK = 5000
_Row = TypeVar("_Row", Match, MatchingRun, Need, Offer)


def lock_row(model: type[_Row], ident: int, noun: str | None = None) -> _Row:
    """The row, locked for this transaction and read afresh; :class:`NotFound` if it is gone
    (a matching run may have replaced a proposal while we waited for its lock)."""
    row = db.session.scalars(
        sa.select(model)
        .where(model.id == ident)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(f"No {noun or model.__name__.lower()} {ident}.")
    return row


def lock_ids(model: type[_Row], ids: Iterable[int]) -> set[int]:
    """Lock the rows of ``model`` with these ids, in id order; the ids that still exist.

    Call it for needs before offers, and for offers before matches, within one transaction.
    """
    wanted = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        found.update(
            db.session.scalars(
                sa.select(model.id)
                .where(among(model.id, chunk))
                .order_by(model.id)
                .with_for_update()
            )
        )
    return found


def lock_in_order(
    needs: Iterable[int] = (), offers: Iterable[int] = (), matches: Iterable[int] = ()
) -> tuple[set[int], set[int], set[int]]:
    """Lock needs, then offers, then matches, each in id order; the ids of each that exist."""
    return lock_ids(Need, needs), lock_ids(Offer, offers), lock_ids(Match, matches)

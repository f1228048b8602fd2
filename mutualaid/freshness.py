"""Each group's data version: one more with every committed write that a group's pages show.

A page cached under ``(group, data_version, ...)`` is stale as soon as the version moves, so the
cache needs no other invalidation. Hooks on the session see what the ORM flushes, as the audit
trail's do (:mod:`mutualaid.audit`); a service that writes with bulk statements names the group
itself with :func:`touch`. At commit the touched groups' ``data_version`` goes up by one, in the
same transaction as the write, so a reader that sees the new version also sees the new data.

What touches a group:

- a need of the group (created, changed, deleted, moved from or to it);
- an offer in the group (before or after the change), one of its skills or credentials;
- a match of one of the group's needs;
- the group itself, a membership of it;
- a person with a need or an offer in the group (their name and contacts are on its pages);
- any skill (names and credential flags show on every group's pages): every group.

The versions are bumped just before ``COMMIT``, in group id order, after every row lock the
transaction takes through :mod:`mutualaid.services.locks`: a group row is always the last lock
a transaction takes, and held only for its commit, so the bump adds no deadlock.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from .models import Group, Match, Membership, Need, Offer, OfferSkill, Person, Skill, offer_groups

#: ``session.info`` key: the ids of the groups touched in this transaction (``ALL``: every one).
_KEY = "freshness_groups"
ALL = -1


def touch(session: Session | scoped_session[Any], *group_ids: int) -> None:
    """Note that this transaction changed what these groups' pages show (:data:`ALL`: every
    group); their versions go up when it commits."""
    session.info.setdefault(_KEY, set()).update(group_ids)


def _history_values(obj: Any, key: str) -> list[Any]:
    """The attribute's values before and after this flush (a moved need names both groups)."""
    hist = sa.inspect(obj).attrs[key].history
    return [v for v in (*hist.added, *hist.unchanged, *hist.deleted) if v is not None]


def _after_flush(session: Session, flush_context: Any) -> None:
    groups: set[int] = set()
    need_ids: set[int] = set()
    offer_ids: set[int] = set()
    people: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Need):
            groups.update(_history_values(obj, "group_id"))
        elif isinstance(obj, Match):
            need_ids.update(_history_values(obj, "need_id"))
        elif isinstance(obj, Offer):
            offer_ids.add(obj.id)
            groups.update(g.id for g in _history_values(obj, "groups"))
        elif isinstance(obj, OfferSkill):
            offer_ids.update(_history_values(obj, "offer_id"))
        elif isinstance(obj, Membership):
            groups.update(_history_values(obj, "group_id"))
        elif isinstance(obj, Group):
            groups.add(obj.id)
        elif isinstance(obj, Person) and obj in session.dirty:
            people.add(obj.id)
        elif isinstance(obj, Skill):
            groups.add(ALL)
    conn = session.connection()
    if need_ids:
        groups.update(conn.scalars(sa.select(Need.group_id).where(Need.id.in_(need_ids))))
    if people:
        groups.update(conn.scalars(sa.select(Need.group_id).where(Need.requester_id.in_(people))))
        offer_ids.update(conn.scalars(sa.select(Offer.id).where(Offer.volunteer_id.in_(people))))
    offer_ids.discard(None)  # type: ignore[arg-type,unused-ignore]
    if offer_ids:
        groups.update(
            conn.scalars(
                sa.select(offer_groups.c.group_id).where(offer_groups.c.offer_id.in_(offer_ids))
            )
        )
    if groups:
        touch(session, *groups)


def _before_commit(session: Session) -> None:
    session.flush()  # the hook above sees the last changes before the versions move
    groups = session.info.pop(_KEY, None)
    if not groups:
        return
    table = cast(sa.Table, Group.__table__)
    bump = sa.update(table).values(data_version=table.c.data_version + 1)
    if ALL not in groups:
        bump = bump.where(table.c.id.in_(sorted(groups)))
    session.connection().execute(bump.execution_options(synchronize_session=False))


def _forget(session: Session, *args: Any) -> None:
    session.info.pop(_KEY, None)


def install(session_factory: Any) -> None:
    """Attach the hooks to a session class or factory (idempotent)."""
    if not sa.event.contains(session_factory, "after_flush", _after_flush):
        sa.event.listen(session_factory, "after_flush", _after_flush)
        sa.event.listen(session_factory, "before_commit", _before_commit)
        sa.event.listen(session_factory, "after_rollback", _forget)

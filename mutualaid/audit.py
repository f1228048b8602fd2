"""The audit trail: who created, changed or deleted which of the domain's records, and when.

A ``before_flush`` hook on the session records what the ORM flushes, so services need not
remember to. The request or job sets the actor with :func:`set_actor`.

What is recorded: every insert, update and delete of a :data:`AUDITED` object (groups,
memberships, people, skills, needs, offers, matches, coordinators' notes) that goes through the
session's unit of work (``session.add``, attribute changes, ``session.delete``), with the changed
columns (secrets and private details, a note's text among them, only as ``"[changed]"``;
``created_dt`` and ``updated_dt`` left out).

What is not recorded:

- statements executed directly (``session.execute(sa.insert / sa.update / sa.delete ...)``),
  which bypass the unit of work: the demo data and ``demo --reset`` (:mod:`mutualaid.demo`), a
  run's status and a failed run's error. (A matching run writes its proposals in bulk and
  records them itself with :func:`record` and :func:`record_created`, in the same shape: each
  proposal it adds, changes or removes, with the run's starter as actor.)
- changes to collections alone (a need's skills, an offer's groups), unless a column of the
  same object changes in the same flush;
- records of other tables: matching runs, a credential's verification (``OfferSkill``), API
  tokens, the outbox, unit postcodes.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .extensions import db
from .models import AuditEvent, Group, Match, Membership, Need, Note, Offer, Person, Skill, utcnow

_actor: contextvars.ContextVar[int | None] = contextvars.ContextVar("audit_actor", default=None)

#: The classes whose unit-of-work changes are recorded.
AUDITED = (Group, Match, Membership, Need, Note, Offer, Person, Skill)
#: Never written to the trail: secrets, and private details already protected elsewhere.
_REDACTED = {"password_hash", "address", "phone", "body"}
_SKIPPED = {"updated_dt", "created_dt"}


def set_actor(person_id: int | None) -> None:
    _actor.set(person_id)


def get_actor() -> int | None:
    return _actor.get()


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)


def _changes(obj: Any) -> dict[str, Any]:
    state = sa.inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIPPED:
            continue
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        if key in _REDACTED:
            out[key] = "[changed]"
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        out[key] = [_plain(old), _plain(new)]
    return out


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    pending: list[tuple[str, Any, dict | None]] = []
    for obj in session.new:
        if isinstance(obj, AUDITED):
            pending.append(("create", obj, None))
    for obj in session.dirty:
        if isinstance(obj, AUDITED) and session.is_modified(obj, include_collections=False):
            changes = _changes(obj)
            if changes:
                pending.append(("update", obj, changes))
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            pending.append(("delete", obj, None))
    if pending:
        session.info.setdefault("audit_pending", []).extend(pending)


def _after_flush(session: Session, flush_context: Any) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    actor = get_actor()
    rows = []
    for action, obj, changes in pending:
        ident = sa.inspect(obj).mapper.primary_key_from_instance(obj)
        rows.append(
            {
                "actor_id": actor,
                "action": action,
                "entity_type": type(obj).__name__.lower(),
                "entity_id": ",".join(str(i) for i in ident),
                "changes": changes,
                "created_dt": utcnow(),
            }
        )
    session.connection().execute(sa.insert(AuditEvent), rows)


def record(
    entity_type: str,
    entries: Iterable[tuple[str, int, dict[str, Any] | None]],
    now: datetime | None = None,
) -> int:
    """Record changes written with bulk statements (which the hook does not see), in one
    ``INSERT``: ``entries`` are ``(action, entity id, changes)``, as the hook would write them
    (``changes`` as ``{column: [old, new]}``, for updates), at ``now`` (default: now). Returns
    how many were recorded."""
    actor, now = get_actor(), now or utcnow()
    rows = [
        {
            "actor_id": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "changes": (
                None
                if changes is None
                else {k: [_plain(old), _plain(new)] for k, (old, new) in changes.items()}
            ),
            "created_dt": now,
        }
        for action, entity_id, changes in entries
    ]
    if rows:
        db.session.execute(sa.insert(cast(sa.Table, AuditEvent.__table__)), rows)
    return len(rows)


def record_created(entity_type: str, ids: sa.Select[Any], now: datetime | None = None) -> None:
    """Record the creation of each record whose id the query ``ids`` returns, in id order, as
    :func:`record` would, in one ``INSERT ... SELECT``: thousands of rows written in bulk are
    recorded without their ids coming back to Python."""
    found = ids.subquery()
    (ident,) = found.c
    db.session.execute(
        sa.insert(cast(sa.Table, AuditEvent.__table__)).from_select(
            ["actor_id", "action", "entity_type", "entity_id", "changes", "created_dt"],
            sa.select(
                sa.literal(get_actor(), sa.Integer),
                sa.literal("create"),
                sa.literal(entity_type),
                sa.cast(ident, sa.String),
                sa.literal(None, sa.JSON),  # JSON null, as record() writes no changes
                sa.literal(now or utcnow(), sa.DateTime),
            ).order_by(ident),
        )
    )


def install(session_factory: Any) -> None:
    """Attach the hooks to a session class or factory (idempotent)."""
    if not sa.event.contains(session_factory, "before_flush", _before_flush):
        sa.event.listen(session_factory, "before_flush", _before_flush)
        sa.event.listen(session_factory, "after_flush", _after_flush)

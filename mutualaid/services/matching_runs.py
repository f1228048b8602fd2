"""Matching runs: a group's open needs and active offers go to the engine; proposals come back.

A run is a job boundary and owns its transactions:

1. the run record is committed first (``running``), so it can be watched while it runs;
2. the group's run lock is taken (below); if another run holds it, the record is deleted again
   and :class:`RunRefused` raised;
3. the proposals and the run's success are written together in one transaction, so a failure
   writes nothing partial;
4. a failure is then recorded on the run in a transaction of its own, and the lock given back.

The lock keeps two runs for one group apart across processes and machines:

- on PostgreSQL it is a transaction-scoped advisory lock, taken at the start of step 3's
  transaction and released by its commit or rollback (or a dropped connection);
- SQLite has neither advisory nor row locks, so there the lock is the group's ``run_locks``
  row (inserted on first use): step 2 claims it with one conditional ``UPDATE`` (no holder, or
  the holder's ``expires_dt`` has passed) and commits at once; step 4 clears the holder. Step 3
  runs in a transaction of its own while the claim stands; a process that dies mid-run leaves
  its claim until ``expires_dt`` (``MUTUALAID_MATCHING_LOCK_SECONDS``), when the next run takes
  it over.

The proposals are written with bulk ``INSERT``, ``UPDATE`` and ``DELETE`` statements, which the
audit trail does not see (see :mod:`mutualaid.audit`).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any, Protocol

import sqlalchemy as sa

from ..errors import Conflict
from ..extensions import db
from ..models import (
    DECIDED_MATCH_STATUSES,
    HOLDING_MATCH_STATUSES,
    OPEN_NEED_STATUSES,
    Group,
    Match,
    MatchingRun,
    MatchStatus,
    Need,
    Offer,
    OfferSkill,
    RunLock,
    RunStatus,
    RunTrigger,
    Skill,
    Urgency,
    need_skills,
    offer_groups,
    table_of,
    utcnow,
)
from ..schemas.matches import RunOutSchema
from . import accounts
from .common import get_or_not_found

log = logging.getLogger(__name__)

#: The engine's urgency weight for each urgency level.
URGENCY_WEIGHTS = {Urgency.LOW: 0.2, Urgency.NORMAL: 0.5, Urgency.HIGH: 1.0}
#: Days of approved or completed matches that count as a volunteer's recent load.
LOAD_DAYS = 30
#: Namespace of the PostgreSQL advisory locks (first key); the group id is the second key.
_ADVISORY_NAMESPACE = 4242
_CHUNK = 500
_run_out = RunOutSchema()


class RunRefused(Conflict):
    """Another run for the group holds the lock."""

    code = "run_in_progress"


# --- the lock ---------------------------------------------------------------------------------


class _Lock(Protocol):
    def acquire(self, group_id: int, run_id: int) -> None: ...

    def release(self) -> None: ...


class _AdvisoryLock:
    """``pg_try_advisory_xact_lock``: taken inside the run's write transaction, released with it."""

    def acquire(self, group_id: int, run_id: int) -> None:
        got = db.session.scalar(
            sa.select(sa.func.pg_try_advisory_xact_lock(_ADVISORY_NAMESPACE, group_id))
        )
        if not got:
            raise RunRefused(
                "A matching run for this group is already in progress; try again shortly."
            )

    def release(self) -> None:
        """Nothing to do: the transaction's end released the lock."""


@dataclass
class _RowLock:
    """The ``run_locks`` row, claimed in its own short transaction and given back after the run."""

    ttl: timedelta
    holder: str = ""
    group_id: int | None = None

    def acquire(self, group_id: int, run_id: int) -> None:
        now = utcnow()
        self.holder = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        table = table_of(RunLock)
        insert = sa.insert(table).values(group_id=group_id)
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            insert = sqlite_insert(table).values(group_id=group_id).on_conflict_do_nothing()
            db.session.execute(insert)
        elif db.session.get(RunLock, group_id) is None:
            db.session.execute(insert)
        claimed = db.session.execute(  # type: ignore[attr-defined]  # a CursorResult
            sa.update(table)
            .where(
                table.c.group_id == group_id,
                sa.or_(
                    table.c.holder.is_(None), table.c.expires_dt.is_(None), table.c.expires_dt < now
                ),
            )
            .values(holder=self.holder, run_id=run_id, acquired_dt=now, expires_dt=now + self.ttl)
        ).rowcount
        db.session.commit()
        if claimed != 1:
            raise RunRefused(
                "A matching run for this group is already in progress; try again shortly."
            )
        self.group_id = group_id

    def release(self) -> None:
        if self.group_id is None:
            return
        table = table_of(RunLock)
        try:
            db.session.execute(
                sa.update(table)
                .where(table.c.group_id == self.group_id, table.c.holder == self.holder)
                .values(holder=None, expires_dt=None)
            )
            db.session.commit()
        except sa.exc.SQLAlchemyError:  # the expiry frees it anyway
            db.session.rollback()
            log.exception("Could not release the run lock of group %s", self.group_id)
        self.group_id = None


def _lock(lock_seconds: int) -> _Lock:
    if db.engine.dialect.name == "postgresql":
        return _AdvisoryLock()
    return _RowLock(ttl=timedelta(seconds=lock_seconds))


# --- running ----------------------------------------------------------------------------------


def execute_run(
    group: Group,
    trigger: str = RunTrigger.SCHEDULE,
    started_by_id: int | None = None,
    lock_seconds: int = 900,
) -> MatchingRun:
    """Run the engine for ``group`` and write its proposals; commits.

    Returns the run record, ``succeeded`` or ``failed`` (with its error). Raises
    :class:`RunRefused` (and records nothing) when another run for the group is in progress.
    """
    group_id = group.id
    db.session.commit()  # whatever the caller did so far is its own business, not the run's
    run = MatchingRun(
        group_id=group_id,
        trigger=trigger,
        started_by_id=started_by_id,
        status=RunStatus.RUNNING,
        started_dt=utcnow(),
    )
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    lock = _lock(lock_seconds)
    try:
        lock.acquire(group_id, run_id)
    except RunRefused:
        db.session.rollback()
        db.session.execute(sa.delete(MatchingRun).where(MatchingRun.id == run_id))
        db.session.commit()
        raise
    try:
        _run(run)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("Matching run %s for group %s failed", run_id, group_id)
        _record_failure(run_id, exc)
    finally:
        lock.release()
    return db.session.get_one(MatchingRun, run_id)


def run_all_groups(
    trigger: str = RunTrigger.SCHEDULE, lock_seconds: int = 900
) -> list[MatchingRun]:
    """One run per group; a group whose run is in progress elsewhere is skipped."""
    runs = []
    for group in db.session.scalars(sa.select(Group).order_by(Group.id)).all():
        try:
            runs.append(execute_run(group, trigger=trigger, lock_seconds=lock_seconds))
        except RunRefused:
            log.info("Skipped group %s: a run is in progress", group.slug)
    return runs


def _record_failure(run_id: int, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}"[:4000]
    db.session.execute(
        sa.update(MatchingRun)
        .where(MatchingRun.id == run_id)
        .values(status=RunStatus.FAILED, error=message, finished_dt=utcnow())
    )
    db.session.commit()


def _run(run: MatchingRun) -> None:
    import matching

    now = utcnow()
    t0 = perf_counter()
    loaded = load_instance(run.group_id, now)
    t1 = perf_counter()
    result = matching.solve(matching.parse_instance(loaded.instance)).to_dict()
    t2 = perf_counter()
    written = _write_proposals(run, result["matches"])
    t3 = perf_counter()
    run.status = RunStatus.SUCCEEDED
    run.finished_dt = utcnow()
    run.unmatched = [{**u, "need": int(u["need"])} for u in result["unmatched"]]
    run.stats = {
        "needs": len(loaded.instance["needs"]),
        "offers": len(loaded.instance["volunteers"]),
        "excluded_pairs": len(loaded.instance["exclude"]),
        "proposals": len(result["matches"]),
        **written,
        "unmatched": len(result["unmatched"]),
        "load_s": round(t1 - t0, 4),
        "engine_s": round(t2 - t1, 4),
        "write_s": round(t3 - t2, 4),
        "total_s": round(t3 - t0, 4),
        "engine": result.get("stats", {}),
    }
    db.session.flush()


# --- loading ----------------------------------------------------------------------------------


@dataclass
class LoadedInstance:
    instance: dict[str, Any]
    #: offer id (as the engine names it) -> the volunteer's person id
    volunteer_of: dict[str, int]


def _counts(where: Any, key: Any) -> Any:
    return (
        sa.select(key.label("id"), sa.func.count().label("n")).where(where).group_by(key).subquery()
    )


def load_instance(group_id: int, now: datetime) -> LoadedInstance:
    """The engine's instance for a group: its needs' open slots, its offers' remaining capacity.

    Each offer carries its volunteer's person id (``person``), so the engine gives a need
    distinct people even when one person has several offers in the group."""
    needs = _load_needs(group_id, now)
    offers = _load_offers(group_id, now)
    need_ids = {n["id"] for n in needs}
    offer_ids = {o["id"] for o in offers}
    exclude = [[n, o] for n, o in _excluded_pairs(group_id) if n in need_ids and o in offer_ids]
    volunteer_of = {o["id"]: o["person"] for o in offers}
    # A person already helping with a need is not proposed for it again through another offer.
    offers_of: dict[int, list[str]] = defaultdict(list)
    for offer_id, person in volunteer_of.items():
        offers_of[person].append(offer_id)
    for need_id, person in _people_holding_needs(group_id):
        if need_id in need_ids:
            exclude.extend([need_id, o] for o in offers_of.get(person, ()))
    # Nobody is matched to their own need, through any of their offers.
    for need in needs:
        exclude.extend([need["id"], o] for o in offers_of.get(need.pop("requester"), ()))
    return LoadedInstance({"needs": needs, "volunteers": offers, "exclude": exclude}, volunteer_of)


def _open_needs_filter(group_id: int, now: datetime) -> list[Any]:
    return [
        Need.group_id == group_id,
        Need.status.in_(OPEN_NEED_STATUSES),
        sa.or_(Need.on_date.is_(None), Need.on_date >= now.date()),
        sa.or_(Need.expires_dt.is_(None), Need.expires_dt > now),
        accounts.published(Need.requester_id),
    ]


def _load_needs(group_id: int, now: datetime) -> list[dict[str, Any]]:
    filled = _counts(Match.status.in_(HOLDING_MATCH_STATUSES), Match.need_id)
    where = _open_needs_filter(group_id, now)
    rows = db.session.execute(
        sa.select(
            Need.id,
            Need.requester_id,
            Need.lat,
            Need.lon,
            Need.windows,
            Need.volunteers_needed,
            Need.urgency,
            Need.is_remote_ok,
            Need.created_dt,
            sa.func.coalesce(filled.c.n, 0),
        )
        .outerjoin(filled, filled.c.id == Need.id)
        .where(*where)
        .order_by(Need.id)
    )
    skills = _slugs_by_owner(
        sa.select(need_skills.c.need_id, Skill.slug)
        .join(Skill, Skill.id == need_skills.c.skill_id)
        .join(Need, Need.id == need_skills.c.need_id)
        .where(*where)
    )
    out = []
    for nid, requester, lat, lon, windows, wanted, urgency, remote, created, filled_n in rows:
        slots = wanted - filled_n
        if slots < 1 or not windows:
            continue
        out.append(
            {
                "id": str(nid),
                "requester": requester,
                "lat": lat,
                "lon": lon,
                "skills": skills.get(nid, []),
                "windows": windows,
                "volunteers_needed": slots,
                "urgency": URGENCY_WEIGHTS.get(urgency, 0.5),
                "remote_ok": bool(remote),
                "waiting_hours": max(0.0, (now - created).total_seconds() / 3600),
            }
        )
    return out


def _load_offers(group_id: int, now: datetime) -> list[dict[str, Any]]:
    busy = _counts(Match.status == MatchStatus.APPROVED, Match.offer_id)
    recent = _counts(
        sa.and_(
            Match.status.in_(HOLDING_MATCH_STATUSES),
            Match.decided_dt >= now - timedelta(days=LOAD_DAYS),
        ),
        Match.offer_id,
    )
    in_group = [
        offer_groups.c.group_id == group_id,
        Offer.is_active.is_(True),
        accounts.published(Offer.volunteer_id),
    ]
    rows = db.session.execute(
        sa.select(
            Offer.id,
            Offer.volunteer_id,
            Offer.lat,
            Offer.lon,
            Offer.max_travel_km,
            Offer.availability,
            Offer.capacity,
            sa.func.coalesce(busy.c.n, 0),
            sa.func.coalesce(recent.c.n, 0),
        )
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .outerjoin(busy, busy.c.id == Offer.id)
        .outerjoin(recent, recent.c.id == Offer.id)
        .where(*in_group)
        .order_by(Offer.id)
    )
    skills = _usable_offer_skills(in_group, now)
    out = []
    for oid, person, lat, lon, max_km, availability, capacity, busy_n, load in rows:
        remaining = capacity - busy_n
        if remaining < 1 or not availability:
            continue
        out.append(
            {
                "id": str(oid),
                "person": person,
                "lat": lat,
                "lon": lon,
                "skills": skills.get(oid, []),
                "max_km": max_km,
                "capacity": remaining,
                "availability": availability,
                "load": load,
            }
        )
    return out


def _usable_offer_skills(in_group: list[Any], now: datetime) -> dict[int, list[str]]:
    """A credential counts only while verified and unexpired (see ``OfferSkill.is_usable``)."""
    usable = sa.or_(
        Skill.is_credential.is_(False),
        sa.and_(
            OfferSkill.verified_dt.is_not(None),
            sa.or_(OfferSkill.expires_on.is_(None), OfferSkill.expires_on >= now.date()),
        ),
    )
    return _slugs_by_owner(
        sa.select(OfferSkill.offer_id, Skill.slug)
        .join(Skill, Skill.id == OfferSkill.skill_id)
        .join(Offer, Offer.id == OfferSkill.offer_id)
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .where(*in_group, usable)
    )


def _slugs_by_owner(query: sa.Select[int, str]) -> dict[int, list[str]]:
    """``{need or offer id: [skill slug, ...]}`` from rows ``(id, slug)``."""
    skills: dict[int, list[str]] = defaultdict(list)
    for owner_id, slug in db.session.execute(query):
        skills[owner_id].append(slug)
    return skills


def _people_holding_needs(group_id: int) -> Iterable[tuple[str, int]]:
    rows = db.session.execute(
        sa.select(Match.need_id, Offer.volunteer_id)
        .join(Need, Need.id == Match.need_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Need.group_id == group_id, Match.status.in_(HOLDING_MATCH_STATUSES))
        .distinct()
    )
    return ((str(n), p) for n, p in rows)


def _excluded_pairs(group_id: int) -> Iterable[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Match.need_id, Match.offer_id)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group_id, Match.status.in_(DECIDED_MATCH_STATUSES))
        .distinct()
    )
    return ((str(n), str(o)) for n, o in rows)


# --- writing ----------------------------------------------------------------------------------


def _write_proposals(run: MatchingRun, proposals: list[dict[str, Any]]) -> dict[str, int]:
    """Keep proposals the run makes again, replace the rest, add the new ones (bulk statements)."""
    existing = {
        (n, o): mid
        for mid, n, o in db.session.execute(
            sa.select(Match.id, Match.need_id, Match.offer_id)
            .join(Need, Need.id == Match.need_id)
            .where(Need.group_id == run.group_id, Match.status == MatchStatus.PROPOSED)
        )
    }
    now = utcnow()
    keep, add = [], []
    for p in proposals:
        pair = (int(p["need"]), int(p["volunteer"]))
        values = {
            "score": float(p["score"]),
            "distance_km": p.get("distance_km"),
            "explanation": p.get("explanation"),
            "run_id": run.id,
        }
        if pair in existing:
            keep.append({"id": existing.pop(pair), **values})
        else:
            add.append(
                {
                    "need_id": pair[0],
                    "offer_id": pair[1],
                    "status": MatchStatus.PROPOSED,
                    "created_dt": now,
                    **values,
                }
            )
    stale = list(existing.values())
    for i in range(0, len(stale), _CHUNK):
        db.session.execute(
            sa.delete(Match)
            .where(Match.id.in_(stale[i : i + _CHUNK]), Match.status == MatchStatus.PROPOSED)
            .execution_options(synchronize_session=False)
        )
    if keep:
        db.session.execute(sa.update(Match), keep)
    if add:
        db.session.execute(sa.insert(Match), add)
    return {"added": len(add), "kept": len(keep), "replaced": len(stale)}


# --- reading ----------------------------------------------------------------------------------


def get_run(run_id: int) -> MatchingRun:
    return get_or_not_found(MatchingRun, run_id, "matching run")


def run_view(run: MatchingRun) -> dict[str, Any]:
    return _run_out.dump(
        {
            "id": run.id,
            "group": run.group.slug,
            "status": run.status,
            "trigger": run.trigger,
            "started_by": run.started_by_id,
            "started_at": run.started_dt,
            "finished_at": run.finished_dt,
            "error": run.error,
            "stats": run.stats,
            "unmatched": run.unmatched,
        }
    )


def recent_runs(group_id: int, limit: int = 20) -> list[MatchingRun]:
    return list(
        db.session.scalars(
            sa.select(MatchingRun)
            .where(MatchingRun.group_id == group_id)
            .order_by(MatchingRun.started_dt.desc(), MatchingRun.id.desc())
            .limit(limit)
        )
    )


def latest_run(group_id: int, succeeded: bool = True) -> MatchingRun | None:
    query = sa.select(MatchingRun).where(MatchingRun.group_id == group_id)
    if succeeded:
        query = query.where(MatchingRun.status == RunStatus.SUCCEEDED)
    return db.session.scalar(
        query.order_by(MatchingRun.started_dt.desc(), MatchingRun.id.desc()).limit(1)
    )


def unmatched_needs(group_id: int) -> list[dict[str, Any]]:
    """The latest run's unmatched needs still open, each with its need and the engine's reason."""
    run = latest_run(group_id)
    if run is None or not run.unmatched:
        return []
    ids = [u["need"] for u in run.unmatched]
    needs = {
        n.id: n
        for n in db.session.scalars(
            sa.select(Need).where(Need.id.in_(ids), Need.status.in_(OPEN_NEED_STATUSES))
        )
    }
    return [{**u, "need_record": needs[u["need"]]} for u in run.unmatched if u["need"] in needs]

"""Matching runs: a group's open needs and active offers go to the engine; proposals come back.

A run owns its transactions (the one exception to "the boundary commits"), in three steps:

1. **start** (:func:`start_run`) records the run, ``queued``, and commits. A unique index
   allows one live (queued or running) run per group: a second is refused with
   :class:`RunRefused`. The caller hands the run's id to an executor
   (:mod:`mutualaid.executor`), which calls :func:`process_run`.
2. **compute** claims the run (``running``), reads the group in one short read-only
   transaction (:func:`load_instance`) and ends it, then runs the engine with no transaction
   open and no row lock held: on SQLite nobody waits for the write lock during the solve.
3. **write** takes the group's run lock, then the rows in the global order of
   :mod:`mutualaid.services.locks` (needs, offers, matches, each in id order), as approvals
   do; re-checks what changed since the read (needs filled, closed or lowered, offers
   withdrawn or full, pairs decided, a volunteer already helping); writes the proposals as a
   diff with bulk statements (an unchanged proposal keeps its row and id; the audit trail
   records every proposal added, changed or removed); moves the group's data version (cached
   pages, :mod:`mutualaid.freshness`); and records the run's success, all in one transaction.

A failure at any step rolls back what that step wrote and records the run ``failed`` with its
error: nothing is half-written.

**Locks.** On PostgreSQL the group's run lock is a transaction-scoped advisory lock
(``pg_advisory_xact_lock``), taken first in the write step. SQLite has no row or advisory locks;
its write step starts with ``BEGIN IMMEDIATE`` (one writer at a time), which is the lock.

**Runs whose process died** (:func:`reap_abandoned`) are marked ``abandoned``:

- a running run on PostgreSQL holds a session advisory lock on its own id, on a connection
  of its own, from its claim to its end; when a check finds that lock free, the process is gone;
- on SQLite, a running run whose last sign of life (``alive_dt``) is older than
  ``MUTUALAID_MATCHING_LOCK_SECONDS``; and on both, a queued run no executor claimed in that time.

A run marked abandoned that is in fact still alive finds out in its write step and writes
nothing. The check runs before each new run of the group, in the scheduler, and when
coordinators look at the group's runs.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter
from typing import Any, cast

import sqlalchemy as sa

from .. import audit, freshness
from ..errors import Conflict, InvalidState
from ..extensions import db, intend_to_write, write_intended
from ..models import (
    DECIDED_MATCH_STATUSES,
    HOLDING_MATCH_STATUSES,
    LIVE_RUN_STATUSES,
    OPEN_NEED_STATUSES,
    Group,
    Match,
    MatchingRun,
    MatchStatus,
    Need,
    Offer,
    Person,
    RunStatus,
    RunTrigger,
    Skill,
    Urgency,
    need_skills,
    offer_groups,
    utcnow,
)
from ..schemas.matches import RunOutSchema
from . import accounts, commitments, coordinator_alerts, locks, reasons
from .common import among, get_or_not_found
from .offers import group_skills, usable_skills
from .reasons import decided_matches

log = logging.getLogger(__name__)

#: The engine's urgency weight for each urgency level.
URGENCY_WEIGHTS = {Urgency.LOW: 0.2, Urgency.NORMAL: 0.5, Urgency.HIGH: 1.0}
#: Days of approved or completed matches that count as a volunteer's recent load.
LOAD_DAYS = 30
#: Namespace of the groups' run locks (PostgreSQL advisory locks; the group id is the second key).
_ADVISORY_NAMESPACE = 4242
#: Namespace of the runs' signs of life (the run id is the second key).
_ALIVE_NAMESPACE = 4243
#: Seconds after which a run shows no sign of life (SQLite) or stays queued is abandoned.
DEFAULT_STALE_SECONDS = 900
#: A kept proposal is rewritten only when its score moves by more than this.
SCORE_TOLERANCE = 1e-3
_run_out = RunOutSchema()


class RunRefused(Conflict):
    """Another run for the group is queued or running."""

    code = "run_in_progress"


class RunAbandoned(InvalidState):
    """The run was marked abandoned (no sign of life in time) before it could write."""


# --- the run's own transactions ---------------------------------------------------------------


@contextmanager
def _transaction(write: bool) -> Iterator[None]:
    """One transaction of the run's own: committed at the end, rolled back on any error.

    ``write`` declares it a writer (``BEGIN IMMEDIATE`` on SQLite); a read-only one leaves the
    write lock to others.
    """
    before = write_intended()
    intend_to_write(write)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        intend_to_write(before)


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


@contextmanager
def _alive(run_id: int) -> Iterator[None]:
    """Hold the run's sign of life on PostgreSQL: a session advisory lock on a connection of its
    own, outside any transaction, released when the run ends or its process dies."""
    if not _is_postgresql():
        yield
        return
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(sa.select(sa.func.pg_advisory_lock(_ALIVE_NAMESPACE, run_id)))
        yield
    finally:
        try:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(_ALIVE_NAMESPACE, run_id)))
            conn.close()
        except sa.exc.SQLAlchemyError:  # the connection is gone, and the lock with it
            conn.invalidate()


# --- 1. start ---------------------------------------------------------------------------------


def start_run(
    group: Group,
    trigger: str = RunTrigger.SCHEDULE,
    started_by_id: int | None = None,
    stale_seconds: int = DEFAULT_STALE_SECONDS,
) -> int:
    """Record a run for ``group``, queued, and commit; returns its id, for an executor.

    Raises :class:`RunRefused` (and records nothing) when the group has a live run. A live
    run whose process died is marked abandoned first.
    """
    group_id = group.id
    db.session.commit()  # whatever the caller did so far is its own business, not the run's
    reap_abandoned(group_id, stale_seconds)
    try:
        with _transaction(write=True):
            run = MatchingRun(
                group_id=group_id,
                trigger=trigger,
                started_by_id=started_by_id,
                status=RunStatus.QUEUED,
                started_dt=utcnow(),
            )
            db.session.add(run)
            db.session.flush()
            run_id = run.id
    except sa.exc.IntegrityError:  # the unique index: one live run per group
        raise RunRefused(
            "A matching run for this group is already in progress; try again shortly."
        ) from None
    return run_id


def execute_run(
    group: Group,
    trigger: str = RunTrigger.SCHEDULE,
    started_by_id: int | None = None,
    lock_seconds: int = DEFAULT_STALE_SECONDS,
) -> MatchingRun:
    """Start a run and process it in this thread; commits. Returns the finished run.

    ``succeeded`` or ``failed`` (with its error). Raises :class:`RunRefused` (and records
    nothing) when the group has a live run.
    """
    return process_run(start_run(group, trigger, started_by_id, stale_seconds=lock_seconds))


def run_all_groups(
    trigger: str = RunTrigger.SCHEDULE,
    lock_seconds: int = DEFAULT_STALE_SECONDS,
    interval: timedelta | None = None,
) -> list[MatchingRun]:
    """One run per group, each in this thread. Skipped: an archived group, a group with a live
    run, and (with ``interval``) a group whose last run finished within the interval, whichever
    process ran it.
    """
    runs = []
    active = sa.select(Group).where(Group.archived_dt.is_(None)).order_by(Group.id)
    for group in db.session.scalars(active).all():
        if interval is not None and ran_recently(group.id, interval):
            log.info("Skipped group %s: it was matched less than %s ago", group.slug, interval)
            continue
        try:
            runs.append(execute_run(group, trigger=trigger, lock_seconds=lock_seconds))
        except RunRefused:
            log.info("Skipped group %s: a run is in progress", group.slug)
    return runs


#: A scheduler's ticks and clocks wander a little: a run that started this fraction of the
#: interval early still counts as due.
_INTERVAL_SLACK = 0.1


def ran_recently(group_id: int, interval: timedelta) -> bool:
    """Whether the group's last finished run started less than ``interval`` ago (less a tenth
    for the clocks): another scheduler has done this tick's work."""
    since = utcnow() - interval * (1 - _INTERVAL_SLACK)
    return (
        db.session.scalar(
            sa.select(MatchingRun.id)
            .where(
                MatchingRun.group_id == group_id,
                MatchingRun.finished_dt.is_not(None),
                MatchingRun.started_dt > since,
            )
            .limit(1)
        )
        is not None
    )


# --- 2. compute, 3. write ---------------------------------------------------------------------


def process_run(run_id: int) -> MatchingRun:
    """Compute and write a started run (the executor's job); commits. Returns the run.

    A run that is no longer queued (abandoned meanwhile, or claimed by another executor) is
    returned as it stands, untouched.
    """
    db.session.commit()
    with _alive(run_id):
        with _transaction(write=True):
            group_id = db.session.scalar(
                sa.select(MatchingRun.group_id).where(MatchingRun.id == run_id)
            )
            claimed = db.session.execute(
                sa.update(MatchingRun)
                .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.QUEUED)
                .values(status=RunStatus.RUNNING, alive_dt=utcnow())
            ).rowcount  # type: ignore[attr-defined]  # a CursorResult
        if claimed == 1 and group_id is not None:
            try:
                with _cyclic_gc_paused():
                    # (what the run computed is freed before the collector resumes: else its
                    # first collections walk every one of those objects)
                    _write(run_id, group_id, _compute(run_id, group_id))
            except Exception as exc:
                db.session.rollback()
                log.exception("Matching run %s for group %s failed", run_id, group_id)
                _record_failure(run_id, group_id, exc)
    db.session.expire_all()
    return db.session.get_one(MatchingRun, run_id)


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a run computes and writes.

    A run makes hundreds of thousands of short-lived objects (the instance's records, the
    proposals, their explanations and rows), which set off hundreds of collections, each walking
    every live object of the process: measured, as much CPU again as the run's own work. Memory is
    still freed by reference counting; cycles wait for the next collection. Runs in several
    threads of one process share one pause, which ends with the last of them.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def node_budget(needs: int, offers: int) -> int:
    """How many flows the engine's branch and bound may solve when the time rules bind.

    A flow costs about its number of pairs, which grows with needs x offers: a small group gets
    the engine's full budget (its result is usually proven optimal), a large one little more
    than the repair that makes the first result keep the rules (a 10,000 x 10,000 group: about
    8 flows, under a second), so a scheduled run stays within seconds. A count, not a time
    limit, so the same group gives the same proposals on any machine; what is left unproven
    shows as the run's gap (``stats.engine.time_rules``).
    """
    size = needs * offers
    if size <= 1_000_000:
        return 500
    if size <= 10_000_000:
        return 50
    return 8


def _record_failure(run_id: int, group_id: int, exc: BaseException) -> None:
    """The run failed; the group's coordinators are told, in the same transaction."""
    message = f"{type(exc).__name__}: {exc}"[:4000]
    with _transaction(write=True):
        failed = db.session.execute(
            sa.update(MatchingRun)
            .where(MatchingRun.id == run_id, MatchingRun.status == RunStatus.RUNNING)
            .values(status=RunStatus.FAILED, error=message, finished_dt=utcnow())
        ).rowcount  # type: ignore[attr-defined]  # a CursorResult
        group = db.session.get(Group, group_id)
        if failed == 1 and group is not None:
            coordinator_alerts.run_failed(group, run_id, message)


@dataclass
class _Computed:
    proposals: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    stats: dict[str, Any]
    #: offer id -> the volunteer's person id, as read
    volunteer_of: dict[int, int] = field(default_factory=dict)


def _compute(run_id: int, group_id: int) -> _Computed:
    """Read the group in a short read-only transaction; then the engine, outside any."""
    import matching

    now = utcnow()
    t0 = perf_counter()
    with _transaction(write=False):
        loaded = load_instance(group_id, now)
        facts = reasons.load_facts(
            group_id,
            now,
            [int(n["id"]) for n in loaded.instance["needs"]],
            offers=loaded.every_offer,
            requester=loaded.requester,
            decided=loaded.decided,
        )
    t1 = perf_counter()
    result = matching.solve(
        matching.parse_instance(loaded.instance),
        max_nodes=node_budget(len(loaded.instance["needs"]), len(loaded.instance["volunteers"])),
    ).to_dict()
    t2 = perf_counter()
    unmatched = reasons.refine(
        [{**u, "need": int(u["need"])} for u in result["unmatched"]],
        loaded.instance["needs"],
        facts,
    )
    t3 = perf_counter()
    return _Computed(
        proposals=result["matches"],
        unmatched=unmatched,
        stats={
            "needs": len(loaded.instance["needs"]),
            "offers": len(loaded.instance["volunteers"]),
            "excluded_pairs": len(loaded.instance["exclude"]),
            "load_s": round(t1 - t0, 4),
            "engine_s": round(t2 - t1, 4),
            "reasons_s": round(t3 - t2, 4),
            "engine": result.get("stats", {}),
        },
        volunteer_of={int(o): p for o, p in loaded.volunteer_of.items()},
    )


def _write(run_id: int, group_id: int, computed: _Computed) -> None:
    """The write step: run lock, rows in the global order, re-check, diff, audit, commit."""
    t0 = perf_counter()
    with _transaction(write=True):
        if _is_postgresql():
            db.session.execute(
                sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_NAMESPACE, group_id))
            )
        run = locks.lock_row(MatchingRun, run_id, "matching run")
        if run.status != RunStatus.RUNNING:
            raise RunAbandoned(f"The run is {run.status}; its proposals were not written.")
        audit.set_actor(run.started_by_id)
        written = _write_proposals(run, computed.proposals)
        t1 = perf_counter()
        run.status = RunStatus.SUCCEEDED
        run.finished_dt = run.alive_dt = utcnow()
        run.unmatched = computed.unmatched
        stats = computed.stats
        run.stats = {
            **{k: v for k, v in stats.items() if k != "engine"},
            **written,
            "unmatched": len(computed.unmatched),
            "write_s": round(t1 - t0, 4),
            "total_s": round(
                stats["load_s"] + stats["engine_s"] + stats["reasons_s"] + (t1 - t0), 4
            ),
            "engine": stats["engine"],
        }
        db.session.flush()


# --- abandoned runs ---------------------------------------------------------------------------


def reap_abandoned(group_id: int | None = None, stale_seconds: int = DEFAULT_STALE_SECONDS) -> int:
    """Mark abandoned the live runs (of one group, or all) whose process died; commits.

    Returns how many were marked. Cheap when no run is live: one indexed read.
    """
    query = sa.select(
        MatchingRun.id, MatchingRun.status, MatchingRun.started_dt, MatchingRun.alive_dt
    ).where(MatchingRun.status.in_(LIVE_RUN_STATUSES))
    if group_id is not None:
        query = query.where(MatchingRun.group_id == group_id)
    live = db.session.execute(query).all()
    db.session.commit()
    if not live:
        return 0
    stale_before = utcnow() - timedelta(seconds=stale_seconds)
    marked = 0
    with _transaction(write=True):
        for run_id, status, started_dt, alive_dt in live:
            if status == RunStatus.QUEUED:
                dead = started_dt < stale_before
                why = "No executor took the run in time (its process may have stopped)."
            elif _is_postgresql():  # the run's process holds this lock while it lives
                dead = bool(
                    db.session.scalar(
                        sa.select(sa.func.pg_try_advisory_xact_lock(_ALIVE_NAMESPACE, run_id))
                    )
                )
                why = "The process running it stopped before the run finished."
            else:
                dead = (alive_dt or started_dt) < stale_before
                why = (
                    f"No sign of life for {stale_seconds} s: the process running it stopped, "
                    "or the run took too long."
                )
            if dead:
                marked += db.session.execute(  # type: ignore[attr-defined]  # a CursorResult
                    sa.update(MatchingRun)
                    .where(MatchingRun.id == run_id, MatchingRun.status == status)
                    .values(status=RunStatus.ABANDONED, error=why, finished_dt=utcnow())
                ).rowcount
    if marked:
        log.warning("Marked %s matching runs abandoned", marked)
    return marked


# --- loading ----------------------------------------------------------------------------------


@dataclass
class LoadedInstance:
    instance: dict[str, Any]
    #: offer id (as the engine names it) -> the volunteer's person id
    volunteer_of: dict[str, int]
    #: every active offer read, full or not, as the reasons' diagnostic reads them
    every_offer: list[dict[str, Any]] = field(default_factory=list)
    #: need id -> the resident's person id, for the needs read
    requester: dict[int, int] = field(default_factory=dict)
    #: the group's matches other than proposals, as :func:`decided_matches` reads them
    decided: list[tuple[int, int, int, str]] = field(default_factory=list)


def need_records(group_id: int, now: datetime, *where: Any) -> list[dict[str, Any]]:
    """The engine's records of the group's open needs meeting ``where``, as a run reads them
    (open slots only; each with its ``requester``)."""
    return _load_needs(group_id, now, *where)


def offer_records(group_id: int, now: datetime, *where: Any) -> list[dict[str, Any]]:
    """The engine's records of the group's offers meeting ``where``, as a run reads them (room
    left, usable skills only; each with its ``person``)."""
    return _load_offers(group_id, now, *where)


def decided_pairs(group_id: int) -> set[tuple[int, int]]:
    """``(need id, offer id)`` pairs already decided: a run never proposes them again."""
    return set(_excluded(decided_matches(group_id)))


#: The statuses of decided and of holding matches, as the database returns them.
_DECIDED = frozenset(s.value for s in DECIDED_MATCH_STATUSES)
_HOLDING = frozenset(s.value for s in HOLDING_MATCH_STATUSES)


def _filled(decided: Iterable[tuple[int, int, int, str]]) -> dict[int, int]:
    """Each need's places taken (approved or completed matches), from :func:`decided_matches`."""
    filled: dict[int, int] = defaultdict(int)
    for need_id, _, _, status in decided:
        if status in _HOLDING:
            filled[need_id] += 1
    return filled


def _excluded(decided: Iterable[tuple[int, int, int, str]]) -> Iterator[tuple[int, int]]:
    """The decided ``(need id, offer id)`` pairs, each once, from :func:`decided_matches`."""
    return iter(dict.fromkeys((n, o) for n, o, _, status in decided if status in _DECIDED))


def _helping(decided: Iterable[tuple[int, int, int, str]]) -> Iterator[tuple[int, int]]:
    """``(need id, person id)`` of the people approved for a need (or done), each once."""
    return iter(dict.fromkeys((n, p) for n, _, p, status in decided if status in _HOLDING))


def load_instance(group_id: int, now: datetime) -> LoadedInstance:
    """The engine's instance for a group: its needs' open slots, its offers' remaining capacity.

    Each offer carries its volunteer's person id (``person``), so the engine gives a need
    distinct people even when one person has several offers in the group.

    Time over weeks (optional fields; an engine that does not know them ignores them):

    - a need's ``first`` and ``last`` (ISO dates): its weekly windows happen on each matching
      weekday in that range; a one-off need has ``first == last == `` its date;
    - an offer's ``busy``: its person's approved commitments that are not over, in any group and
      through any of their offers, ``[{"ref": "m<match id>", "first", "last", "windows"}]``;
      also those done or stepped back from since this week's Monday, so that the week's limit
      counts help already given (as approval does); their dates are past;
    - an offer's ``week_limit``: ``{"tasks": N}`` (sessions, a window on a day) or
      ``{"hours": H}`` per week, Monday to Sunday; the person's setting;
    - an offer's ``paused_until`` (ISO date): the person is away until then; left out when not
      paused.

    Every offer of one person carries the same ``busy``, ``week_limit`` and ``paused_until``.
    """
    decided = decided_matches(group_id)
    needs = _load_needs(group_id, now, filled=_filled(decided))
    every: list[dict[str, Any]] = []
    offers = _load_offers(group_id, now, every=every)
    need_ids = {n["id"] for n in needs}
    offer_ids = {o["id"] for o in offers}
    exclude = [
        [n, o]
        for n, o in ((str(n), str(o)) for n, o in _excluded(decided))
        if n in need_ids and o in offer_ids
    ]
    volunteer_of = {o["id"]: o["person"] for o in offers}
    # A person already helping with a need is not proposed for it again through another offer.
    offers_of: dict[int, list[str]] = defaultdict(list)
    for offer_id, person in volunteer_of.items():
        offers_of[person].append(offer_id)
    for need, person in _helping(decided):
        need_id = str(need)
        if need_id in need_ids:
            exclude.extend([need_id, o] for o in offers_of.get(person, ()))
    # Nobody is matched to their own need, through any of their offers.
    requester = {}
    for record in needs:
        person = record.pop("requester")
        requester[int(record["id"])] = person
        exclude.extend([record["id"], o] for o in offers_of.get(person, ()))
    return LoadedInstance(
        {"needs": needs, "volunteers": offers, "exclude": exclude},
        volunteer_of,
        every_offer=every,
        requester=requester,
        decided=decided,
    )


def _open_needs_filter(group_id: int, now: datetime) -> list[Any]:
    return [
        Need.group_id == group_id,
        Need.status.in_(OPEN_NEED_STATUSES),
        sa.or_(Need.on_date.is_(None), Need.on_date >= now.date()),
        sa.or_(Need.ends_on.is_(None), Need.ends_on >= now.date()),
        sa.or_(Need.expires_dt.is_(None), Need.expires_dt > now),
        accounts.published(Need.requester_id),
    ]


def _as_text(column: Any) -> Any:
    """A JSON column read as its text, for :func:`_json_values` (no decoding row by row)."""
    return sa.cast(column, sa.Text)


def _json_values(texts: list[str | None]) -> list[Any]:
    """Many JSON texts decoded in one call (for a large group's twenty thousand windows, some
    hundredths of a second less than one call each through the column type); ``None`` (SQL
    NULL) stays ``None``."""
    decoded = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
    if not isinstance(decoded, list) or len(decoded) != len(texts):  # text that is not one value
        decoded = [None if t is None else json.loads(t) for t in texts]
    return decoded


def _load_needs(
    group_id: int, now: datetime, *more: Any, filled: dict[int, int] | None = None
) -> list[dict[str, Any]]:
    """The group's open needs as the engine's records (``more``: more conditions on needs).
    ``filled``: each need's places taken, when already read (see :func:`_filled`)."""
    where = [*_open_needs_filter(group_id, now), *more]
    if filled is None:
        filled = {
            need_id: n
            for need_id, n in db.session.execute(
                sa.select(Match.need_id, sa.func.count())
                .join(Need, Need.id == Match.need_id)
                .where(*where, Match.status.in_(HOLDING_MATCH_STATUSES))
                .group_by(Match.need_id)
            )
        }
    rows = (
        db.session.connection()
        .execute(
            sa.select(
                Need.id,
                Need.requester_id,
                Need.lat,
                Need.lon,
                _as_text(Need.windows),
                Need.volunteers_needed,
                Need.urgency,
                Need.is_remote_ok,
                Need.created_dt,
                Need.on_date,
                Need.starts_on,
                Need.ends_on,
            )
            .where(*where)
            .order_by(Need.id)
        )
        .all()
    )
    windows_of = _json_values([row[4] for row in rows])
    skills = _slugs_by_owner(
        sa.select(need_skills.c.need_id, Skill.slug)
        .join(Skill, Skill.id == need_skills.c.skill_id)
        .join(Need, Need.id == need_skills.c.need_id)
        .where(*where)
    )
    out = []
    taken = filled.get
    for (
        (
            nid,
            requester,
            lat,
            lon,
            _,
            wanted,
            urgency,
            remote,
            created,
            on_date,
            starts_on,
            ends_on,
        ),
        windows,
    ) in zip(rows, windows_of, strict=True):
        slots = wanted - taken(nid, 0)
        if slots < 1 or not windows:
            continue
        first, last = (on_date, on_date) if on_date is not None else (starts_on, ends_on)
        dates = {"first": first.isoformat(), "last": last.isoformat()} if first and last else {}
        out.append(
            {
                **dates,
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


def _load_offers(
    group_id: int, now: datetime, *more: Any, every: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The group's active offers with room left, as the engine's records (``more``: more
    conditions on offers). With ``every``, each offer read, full or not, is also appended to
    it as the reasons' diagnostic reads offers (:attr:`reasons.Facts.offers`): the run reads
    its offers once for both."""
    in_group = [offer_groups.c.group_id == group_id, Offer.is_active.is_(True), *more]
    # published: the volunteer, joined for their settings, has confirmed their address
    published = [*in_group, accounts.CONFIRMED]
    rows = (
        db.session.connection()
        .execute(
            sa.select(
                Offer.id,
                Offer.volunteer_id,
                Offer.lat,
                Offer.lon,
                Offer.max_travel_km,
                _as_text(Offer.availability),
                Offer.capacity,
                Person.paused_until,
                Person.week_limit_tasks,
                Person.week_limit_hours,
            )
            .join(offer_groups, offer_groups.c.offer_id == Offer.id)
            .join(Person, Person.id == Offer.volunteer_id)
            .where(*published)
            .order_by(Offer.id)
        )
        .all()
    )
    availability_of = _json_values([row[5] for row in rows])
    # per offer: its approved matches (in any group) and its recent load
    since = now - timedelta(days=LOAD_DAYS)
    counts = {
        offer_id: (busy, recent)
        for offer_id, busy, recent in db.session.connection()
        .execute(
            sa.select(
                Match.offer_id,
                sa.func.sum(sa.case((Match.status == MatchStatus.APPROVED, 1), else_=0)),
                sa.func.sum(sa.case((Match.decided_dt >= since, 1), else_=0)),
            )
            .join(Offer, Offer.id == Match.offer_id)
            .join(offer_groups, offer_groups.c.offer_id == Offer.id)
            .where(*in_group, Match.status.in_(HOLDING_MATCH_STATUSES))
            .group_by(Match.offer_id)
        )
        .all()
    }
    if more:
        skills, pending = usable_skills([*in_group, accounts.published(Offer.volunteer_id)], now)
    else:
        skills, pending = group_skills(group_id, now)
    today = now.date()
    out = []
    people: set[int] = set()
    no_counts = (0, 0)
    for (
        (
            oid,
            person,
            lat,
            lon,
            max_km,
            _,
            capacity,
            paused_until,
            limit_tasks,
            limit_hours,
        ),
        availability,
    ) in zip(rows, availability_of, strict=True):
        busy_n, load = counts.get(oid, no_counts)
        remaining = capacity - busy_n
        if every is not None:
            every.append(
                {
                    "id": oid,
                    "person": person,
                    "lat": lat,
                    "lon": lon,
                    "max_km": max_km,
                    "availability": availability or [],
                    "remaining": remaining,
                    "usable": skills.get(oid, []),
                    "pending": pending.get(oid, []),
                }
            )
        if remaining < 1 or not availability:
            continue
        extra: dict[str, Any] = {}
        if paused_until is not None and paused_until >= today:
            extra["paused_until"] = paused_until.isoformat()
        if limit_tasks is not None:
            extra["week_limit"] = {"tasks": limit_tasks}
        elif limit_hours is not None:
            extra["week_limit"] = {"hours": limit_hours}
        people.add(person)
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
                **extra,
            }
        )
    # the commitments of the group's volunteers (those of the offers with room are kept)
    volunteers = (
        sa.select(Offer.volunteer_id)
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .where(*in_group)
    )
    busy_of = commitments.busy_records(volunteers, today) if people else {}
    for record in out:
        record["busy"] = busy_of.get(record["person"], [])
    return out


def _slugs_by_owner(query: sa.Select[int, str]) -> dict[int, list[str]]:
    """``{need or offer id: [skill slug, ...]}`` from rows ``(id, slug)``."""
    skills: dict[int, list[str]] = defaultdict(list)
    for owner_id, slug in db.session.connection().execute(query).all():
        skills[owner_id].append(slug)
    return skills


# --- writing ----------------------------------------------------------------------------------


def _write_proposals(run: MatchingRun, proposals: list[dict[str, Any]]) -> dict[str, int]:
    """The proposals as a diff against the group's current ones, under the write step's locks.

    Locks the needs, the offers and the proposed matches involved, in the global order; drops
    what no longer fits (see :func:`_still_fitting`); keeps a proposal the run makes again with
    its id (rewritten only when its score, distance or summary moved); removes the others (never
    a volunteer's claim, :attr:`Match.is_claim`) and adds the new ones. The rows are written in
    bulk (the new ones through the driver, see :func:`_insert_proposals`; one UPDATE, a DELETE
    per batch; no ORM object per row), and so are their audit rows (the new ones with one
    ``INSERT ... SELECT``, :func:`mutualaid.audit.record_created`; the others with
    :func:`mutualaid.audit.record`): every proposal added, changed or removed is recorded, as the
    unit of work's hook would.
    """
    table = cast(sa.Table, Match.__table__)
    in_group = (
        sa.select(Match.id, Match.need_id, Match.offer_id)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == run.group_id, Match.status == MatchStatus.PROPOSED)
    )
    # Only the figures the diff compares: no ORM objects, and each explanation as its text, for
    # its summary (see _summary).
    figures = in_group.add_columns(
        Match.score, Match.distance_km, _as_text(Match.explanation), Match.is_claim
    )
    conn = db.session.connection()
    rows: Sequence[Any]
    if _is_postgresql():
        current = conn.execute(in_group).all()
        locks.lock_in_order(
            needs={int(p["need"]) for p in proposals} | {n for _, n, _ in current},
            offers={int(p["volunteer"]) for p in proposals} | {o for _, _, o in current},
            matches={m for m, _, _ in current},
        )
        # Read again under the locks: an approval may have decided a proposal meanwhile, and a
        # volunteer may have claimed a need (a claim locks its need first, so it is either
        # visible now or waits for this transaction): a pair the run proposes again keeps its
        # claim.
        locked = {m for m, _, _ in current}
        rows = [row for row in conn.execute(figures).all() if row[0] in locked or row[6]]
    else:
        # SQLite: the write step's BEGIN IMMEDIATE is the lock (no other writer until this
        # transaction ends), so one read is the read under the lock
        rows = conn.execute(figures).all()
    # (match id, need id, offer id, score, distance, explanation's text, is_claim) by pair
    existing = {(row[1], row[2]): row for row in rows}
    fitting = _still_fitting(run.group_id, proposals)
    now = utcnow()
    new_rows: list[tuple[int, int, float, float | None, Any]] = []
    moved: dict[int, dict[str, Any]] = {}
    kept = 0
    for need_id, offer_id, p in fitting:
        score, distance = float(p["score"]), p.get("distance_km")
        explanation = p.get("explanation")
        old = existing.pop((need_id, offer_id), None)
        if old is None:
            new_rows.append((need_id, offer_id, score, distance, explanation))
            continue
        kept += 1
        if _moved(old[3], old[4], old[5], score, distance, explanation):
            moved[old[0]] = {
                "score": score,
                "distance_km": distance,
                "explanation": explanation,
                "run_id": run.id,
            }
    # a volunteer's claim stays
    gone = sorted(row[0] for row in existing.values() if not row[6])
    entries: list[tuple[str, int, dict[str, Any] | None]] = []
    if new_rows:
        # Inserted without ids coming back (see _insert_proposals); then their audit rows, the
        # new ids read by the database by their run, which no other row carries yet (the kept
        # ones are rewritten after this).
        _insert_proposals(run.id, now, new_rows)
        audit.record_created(
            "match", sa.select(table.c.id).where(table.c.run_id == run.id), now=now
        )
    if moved:
        entries.extend(("update", m, c) for m, c in _rewrite(moved).items())
    for i in range(0, len(gone), _BATCH):
        batch = gone[i : i + _BATCH]
        db.session.execute(sa.delete(table).where(among(table.c.id, batch)))
        entries.extend(("delete", m, None) for m in batch)
    audit.record("match", entries, now=now)
    freshness.touch(db.session, run.group_id)
    return {
        "proposals": len(fitting),
        "added": len(new_rows),
        "kept": kept,
        "changed": len(moved),
        "replaced": len(gone),
        "dropped": len(proposals) - len(fitting),
    }


#: The columns a new proposal is written with: the per-row ones, then the run's.
_PER_ROW = ("need_id", "offer_id", "score", "distance_km", "explanation")
_PER_RUN = ("run_id", "status", "created_dt", "is_claim")


def _insert_proposals(
    run_id: int, now: datetime, rows: list[tuple[int, int, float, float | None, Any]]
) -> None:
    """Insert new proposals, ``(need id, offer id, score, distance, explanation)``, through the
    driver: ``COPY`` on PostgreSQL, else one ``executemany``. Each value is bound as SQLAlchemy
    binds it (the columns' own bind processors: the explanation's JSON text, the date's format),
    once for the values the run's rows share, so the rows are those an ``INSERT`` through
    SQLAlchemy writes, without its work per row and per parameter (measured for eleven thousand
    proposals: about 40 % less time on PostgreSQL, a third less on SQLite).
    """
    table = cast(sa.Table, Match.__table__)
    conn = db.session.connection()
    dialect = conn.dialect
    processor = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.c}

    def bound(name: str, values: list[Any]) -> list[Any]:
        process = processor[name]
        return values if process is None else [process(v) for v in values]

    shared = tuple(
        bound(name, [value])[0]
        for name, value in zip(
            _PER_RUN, (run_id, MatchStatus.PROPOSED.value, now, False), strict=True
        )
    )
    columns = [bound(name, list(values)) for name, values in zip(_PER_ROW, zip(*rows))]
    values = [(*row, *shared) for row in zip(*columns)]
    names = ", ".join(_PER_ROW + _PER_RUN)
    if dialect.name == "postgresql":
        with (
            conn.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
        ):
            for row in values:
                copy.write_row(row)
    else:  # SQLite's placeholders
        marks = ", ".join("?" * (len(_PER_ROW) + len(_PER_RUN)))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)


#: Rows per ``IN (...)`` list of a bulk statement.
_BATCH = 1000
_REWRITTEN = ("score", "distance_km", "explanation", "run_id")


def _rewrite(moved: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Rewrite the kept proposals whose figures moved, in bulk; each one's changed columns as
    ``{column: [old, new]}``, for the audit trail."""
    table = cast(sa.Table, Match.__table__)
    ids = sorted(moved)
    before: dict[int, tuple[Any, ...]] = {}
    for i in range(0, len(ids), _BATCH):
        rows = db.session.execute(
            sa.select(table.c.id, *(table.c[c] for c in _REWRITTEN)).where(
                among(table.c.id, ids[i : i + _BATCH])
            )
        )
        before.update((row[0], tuple(row[1:])) for row in rows)
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("match_id"))
        .values({c: sa.bindparam(f"new_{c}") for c in _REWRITTEN}),
        [{"match_id": m, **{f"new_{c}": moved[m][c] for c in _REWRITTEN}} for m in ids],
    )
    changes = {}
    for m in ids:
        old = before.get(m, (None,) * len(_REWRITTEN))
        changes[m] = {
            c: [was, moved[m][c]]
            for c, was in zip(_REWRITTEN, old, strict=True)
            if was != moved[m][c]
        }
    return changes


#: How the engine's explanation begins, as written (``json.dumps``): its summary comes first.
_SUMMARY_FIRST = '{"summary": '
_decoder = json.JSONDecoder()


def _summary(explanation: str | None) -> Any:
    """The summary of an explanation read as its JSON text.

    The engine writes the summary first, so only that value is decoded (a whole explanation per
    proposal is ten thousand decodings for a large group, and so is ``->>`` on PostgreSQL's
    ``json``, which parses every row's text). Any other text is decoded whole.
    """
    if explanation is None:
        return None
    if explanation.startswith(_SUMMARY_FIRST):
        return _decoder.raw_decode(explanation, len(_SUMMARY_FIRST))[0]
    value = json.loads(explanation)
    return value.get("summary") if isinstance(value, dict) else None


def _moved(
    old_score: float,
    old_distance: float | None,
    old_explanation: str | None,
    score: float,
    distance: float | None,
    explanation: Any,
) -> bool:
    """Whether a kept proposal's figures (as read: score, distance, explanation's text) moved
    enough to rewrite it (waiting time alone nudges every score a little from one run to the
    next). The summary is read only when the figures have not already decided."""
    if abs(old_score - score) > SCORE_TOLERANCE:
        return True
    if (old_distance is None) != (distance is None) or (
        distance is not None and abs((old_distance or 0.0) - distance) > SCORE_TOLERANCE
    ):
        return True
    return _summary(old_explanation) != (explanation or {}).get("summary")


def _still_fitting(
    group_id: int, proposals: list[dict[str, Any]]
) -> list[tuple[int, int, dict[str, Any]]]:
    """The proposals that still fit now, best first within each need and offer, as
    ``(need id, offer id, proposal)``.

    Since the read: a need may have been filled, closed or lowered; an offer withdrawn, lowered
    or filled; a pair decided; a volunteer approved for the need through another offer.
    """
    if not proposals:
        return []
    # best first (and, between equals, in the engine's order)
    ranked = sorted(
        (-float(p["score"]), int(p["need"]), k, int(p["volunteer"]), p)
        for k, p in enumerate(proposals)
    )
    need_ids = {need for _, need, _, _, _ in ranked}
    offer_ids = {offer for _, _, _, offer, _ in ranked}
    conn = db.session.connection()
    history = decided_matches(group_id)
    filled = _filled(history)
    slots = {
        nid: wanted - filled.get(nid, 0)
        for nid, wanted in conn.execute(
            sa.select(Need.id, Need.volunteers_needed).where(
                Need.group_id == group_id, Need.status.in_(OPEN_NEED_STATUSES)
            )
        ).all()
        if nid in need_ids
    }
    approved = {
        oid: n
        for oid, n in conn.execute(
            sa.select(Match.offer_id, sa.func.count())
            .where(Match.status == MatchStatus.APPROVED, among(Match.offer_id, offer_ids))
            .group_by(Match.offer_id)
        ).all()
    }
    room, person_of = {}, {}
    for oid, person, capacity in conn.execute(
        sa.select(Offer.id, Offer.volunteer_id, Offer.capacity).where(
            among(Offer.id, offer_ids), Offer.is_active.is_(True)
        )
    ).all():
        room[oid], person_of[oid] = capacity - approved.get(oid, 0), person
    decided = set(_excluded(history))
    helping = set(_helping(history))
    out = []
    for _, need, _, offer, p in ranked:
        if (
            slots.get(need, 0) < 1
            or room.get(offer, 0) < 1
            or (need, offer) in decided
            or (need, person_of[offer]) in helping
        ):
            continue
        slots[need] -= 1
        room[offer] -= 1
        out.append((need, offer, p))
    return out


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

"""Scheduled jobs: matching for every group, delivering the outbox, expiring needs and ending
weekly help past its last day.

Each job builds an application context, calls a service and commits or rolls back itself.
The jobs run either inside the web process (``start_in_process``, the embedded default) or in
a process of their own (``run_forever``, the ``scheduler`` command) beside any number of web
workers. Runs for one group never overlap, whichever process starts them: see
:mod:`mutualaid.services.matching_runs`.
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from .extensions import db, intend_to_write
from .models import Group, OutboxStatus, RunTrigger, utcnow
from .services import mail, matches, matching_runs

log = logging.getLogger(__name__)

#: Outbox messages sent per job, at most.
OUTBOX_BATCH = 200
#: Minutes between expiry sweeps.
EXPIRY_INTERVAL_MINUTES = 60
#: The hour (UTC) the coordinators' daily digests go out.
DIGEST_HOUR_UTC = 7
#: Hours between runs of the retention job (it erases what is past its keeping).
RETENTION_INTERVAL_HOURS = 24

_started: dict[int, BaseScheduler] = {}
_start_lock = threading.Lock()


# --- the jobs (called directly by the commands and the tests) --------------------------------


def _in_context(app: Flask, work: Callable[[], Any]) -> Any:
    with app.app_context():
        intend_to_write()  # a job reads then writes: on SQLite take the write lock up front
        try:
            result = work()
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def matching_job(
    app: Flask, group_slug: str | None = None, trigger: str = RunTrigger.SCHEDULE
) -> list[dict[str, Any]]:
    """A run for one group (by slug) or for every group; returns a summary of each run.

    Scheduled runs skip a group matched less than ``MATCHING_INTERVAL_MINUTES`` ago, by this
    scheduler or any other, so that several schedulers do the work once. Runs whose process
    died are marked abandoned first.
    """
    lock_seconds = int(app.config.get("MATCHING_LOCK_SECONDS", 900))
    interval = timedelta(minutes=int(app.config.get("MATCHING_INTERVAL_MINUTES", 15)))

    def work() -> list[dict[str, Any]]:
        matching_runs.reap_abandoned(stale_seconds=lock_seconds)
        if group_slug is None:
            runs = matching_runs.run_all_groups(
                trigger=trigger,
                lock_seconds=lock_seconds,
                interval=interval if trigger == RunTrigger.SCHEDULE else None,
            )
        else:
            group = db.session.scalar(sa.select(Group).where(Group.slug == group_slug))
            if group is None:
                raise LookupError(f"No group with slug {group_slug!r}.")
            runs = [matching_runs.execute_run(group, trigger=trigger, lock_seconds=lock_seconds)]
        return [
            {
                "id": r.id,
                "group": r.group.slug,
                "status": r.status,
                "error": r.error,
                "stats": r.stats or {},
            }
            for r in runs
        ]

    return _in_context(app, work)


def outbox_job(app: Flask, limit: int = OUTBOX_BATCH) -> dict[str, int]:
    """Deliver the due outbox messages, one transaction per message."""
    settings = mail.MailSettings.from_config(app.config)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with app.app_context():
        intend_to_write()
        try:
            now = utcnow()
            for _ in range(limit):
                message = mail.deliver_next(settings, now)
                if message is None:
                    break
                counts["retry" if message.status == OutboxStatus.PENDING else message.status] += 1
                db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return counts


def expiry_job(app: Flask) -> int:
    """Two steps, each its own transaction: weekly help past its last day completes (freeing
    the volunteers' time and capacity); then needs expire (past their date or last day, or
    unmatched for the group's ``expire_after_days``), their proposals close, and the resident
    and the coordinators are told why. Returns the needs expired."""
    _in_context(app, matches.complete_finished)
    return int(_in_context(app, matches.expire_needs))


def retention_job(app: Flask) -> dict[str, int]:
    """Erase the addresses of needs closed more than ``RETENTION_DAYS`` days ago, and old mail."""
    from .services import privacy

    days = int(app.config.get("RETENTION_DAYS", 90))
    return _in_context(app, lambda: privacy.apply_retention(days))


def digest_job(app: Flask) -> int:
    """Two steps, each its own transaction: mail each coordinator who chose a daily digest what
    waited for them; then each volunteer who asked for one the new needs they could help with
    (once a day each, however often the job runs). Returns the digests queued."""
    from .services import coordinator_alerts, needs_digest

    coordinators = int(_in_context(app, coordinator_alerts.send_digests))
    return coordinators + int(_in_context(app, needs_digest.send_needs_digests))


def _seconds_until(hour: int, now: datetime) -> int:
    """Seconds from ``now`` to the next ``hour``:00 UTC."""
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return int((target - now).total_seconds())


# --- wiring ----------------------------------------------------------------------------------


def _safely(job: Callable[..., Any], app: Flask) -> Callable[[], None]:
    def run() -> None:
        try:
            job(app)
        except Exception:
            log.exception("Scheduled job %s failed", job.__name__)

    run.__name__ = run.__qualname__ = job.__name__  # the name APScheduler logs
    return run


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """The five jobs; each never overlaps itself, and missed runs collapse into one."""
    first = utcnow()
    matching_minutes = int(app.config.get("MATCHING_INTERVAL_MINUTES", 15))
    # (job, id, interval, seconds until its first run)
    jobs: tuple[tuple[Callable[[Flask], Any], str, dict[str, int], int], ...] = (
        (  # the first run one interval after start: a coordinator's "Run matching now" comes first
            matching_job,
            "matching",
            {"minutes": matching_minutes},
            matching_minutes * 60,
        ),
        (outbox_job, "outbox", {"seconds": int(app.config.get("OUTBOX_INTERVAL_SECONDS", 60))}, 5),
        (expiry_job, "expiry", {"minutes": EXPIRY_INTERVAL_MINUTES}, 10),
        (retention_job, "retention", {"hours": RETENTION_INTERVAL_HOURS}, 60),
        (digest_job, "digest", {"hours": 24}, _seconds_until(DIGEST_HOUR_UTC, first)),
    )
    for job, job_id, interval, delay_s in jobs:
        scheduler.add_job(
            _safely(job, app),
            "interval",
            id=job_id,
            next_run_time=first + timedelta(seconds=delay_s),
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            misfire_grace_time=300,
            **interval,
        )


def start_in_process(app: Flask) -> None:
    """Run the jobs in this web process, starting with its first request.

    Waiting for a request keeps the scheduler out of processes that never serve: the Flask
    reloader's watcher process and every CLI command (``db upgrade``, ``scheduler`` ...).
    It starts once per app and stops when the process exits.
    """

    @app.before_request
    def _start_scheduler() -> None:
        if id(app) in _started:
            return
        with _start_lock:
            if id(app) in _started:
                return
            scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
            add_jobs(scheduler, app)
            scheduler.start()
            _started[id(app)] = scheduler
            atexit.register(_shutdown, id(app))
            log.info("Scheduler started in the web process")


def _shutdown(key: int) -> None:
    scheduler = _started.pop(key, None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)


def stop_in_process(app: Flask) -> None:
    """Stop the embedded scheduler of ``app`` if it runs (tests and orderly shutdowns)."""
    _shutdown(id(app))


def run_forever(app: Flask) -> None:
    """The scheduler as its own process; stops cleanly on SIGTERM or SIGINT."""
    scheduler = BlockingScheduler(timezone="UTC")
    add_jobs(scheduler, app)

    def stop(signum: int, frame: Any) -> None:
        log.info("Scheduler stopping (signal %s)", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "Scheduler running: matching every %s min, outbox every %s s",
        app.config.get("MATCHING_INTERVAL_MINUTES"),
        app.config.get("OUTBOX_INTERVAL_SECONDS"),
    )
    scheduler.start()

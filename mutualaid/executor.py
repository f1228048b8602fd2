"""Where a started matching run is processed: the one seam between a request and the work.

A request starts a run (:func:`mutualaid.services.matching_runs.start_run`, which commits the
record) and hands its id to the app's executor; the executor calls :func:`run_job` somewhere
else, and the client polls the run. An executor is anything with ``submit(run_id)``:

- :class:`ThreadExecutor`, the embedded default: a small pool of threads in the web process;
- :class:`InlineExecutor`: in the caller's thread, before ``submit`` returns (tests, commands).

A distributed task queue takes the place of both without touching the services: its
``submit`` enqueues ``run_job`` with the run's id (RQ: ``queue.enqueue(...)``; Celery: a task
that calls it), and its workers build the app with ``web.create_app()`` and call
``run_job(app, run_id)``. Runs whose worker dies are marked abandoned by the same rule as
everywhere (:func:`~mutualaid.services.matching_runs.reap_abandoned`).

``MUTUALAID_RUN_EXECUTOR`` chooses: ``thread`` (default) or ``inline``.
"""

from __future__ import annotations

import atexit
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from flask import Flask

from .extensions import db

log = logging.getLogger(__name__)

_KEY = "mutualaid.run_executor"


class RunExecutor(Protocol):
    def submit(self, run_id: int) -> None:
        """Have the run processed (now or later, here or elsewhere); return at once."""


def run_job(app: Flask, run_id: int) -> None:
    """The job an executor runs: compute and write a started run, in a context of its own."""
    from .services import matching_runs

    with app.app_context():
        try:
            matching_runs.process_run(run_id)
        except Exception:  # the run records its own failures; this is the database gone
            log.exception("Matching run %s could not be processed", run_id)
        finally:
            db.session.remove()


class InlineExecutor:
    """Processes the run in the caller's thread before ``submit`` returns."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def submit(self, run_id: int) -> None:
        run_job(self.app, run_id)


class ThreadExecutor:
    """Processes runs on a few threads of this process (runs of different groups in parallel)."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.app = app
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matching-run")
        atexit.register(self.shutdown)

    def submit(self, run_id: int) -> None:
        future: Future[None] = self._pool.submit(run_job, self.app, run_id)
        future.add_done_callback(_log_crash)

    def shutdown(self, wait: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


def _log_crash(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("Matching run job crashed", exc_info=future.exception())


def init_app(app: Flask) -> None:
    """Attach the executor ``RUN_EXECUTOR`` names (``thread`` or ``inline``)."""
    kind = app.config.get("RUN_EXECUTOR", "thread")
    if kind == "inline":
        app.extensions[_KEY] = InlineExecutor(app)
    elif kind == "thread":
        app.extensions[_KEY] = ThreadExecutor(app, int(app.config.get("RUN_WORKERS", 2)))
    else:
        raise ValueError(f"MUTUALAID_RUN_EXECUTOR must be 'thread' or 'inline', not {kind!r}.")


def executor_for(app: Flask) -> RunExecutor:
    executor: RunExecutor = app.extensions[_KEY]
    return executor


def set_executor(app: Flask, executor: RunExecutor) -> None:
    """Use another executor (a task queue's) for ``app``."""
    app.extensions[_KEY] = executor

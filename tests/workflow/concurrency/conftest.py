"""A served app (werkzeug's threaded server on a free local port) and real concurrent clients.

No mocks: requests go over HTTP to an app with the thread-pool executor, on the suite's
database. ``bulk`` writes the many needs, offers and matches a race needs in one transaction.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.models import Match, MatchingRun, Need, Offer, Person, RunStatus, utcnow
from mutualaid.services import accounts

#: Seconds a test waits for a run, a thread or a server before calling it hung.
HANG = int(__import__("os").environ.get("HANG", 120))


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> Reply:
    """One HTTP request on a connection of its own."""
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=HANG)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        reply_headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(resp.status, reply_headers, parsed)


@dataclass
class Served:
    app: Any
    base: str

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Reply:
        return call(self.base, method, path, token, body)

    def token(self, person: Person) -> str:
        with self.app.app_context():
            token, _ = accounts.issue_token(db.session.get(Person, person.id), hours=1)
            db.session.commit()
            return token

    def wait_for_run(self, run_id: int, token: str) -> dict[str, Any]:
        """Poll the run until it is over (or HANG seconds pass: a hang, not a timing)."""
        deadline = time.monotonic() + HANG
        while time.monotonic() < deadline:
            reply = self.call("GET", f"/api/v1/matching-runs/{run_id}", token)
            assert reply.status == 200, reply.body
            if reply.body["status"] not in ("queued", "running"):
                return reply.body
            time.sleep(0.02)
        raise AssertionError(f"run {run_id} never finished")


@pytest.fixture
def served(app) -> Iterator[Served]:
    from web import create_app

    web_app = create_app({**app.config, "RUN_EXECUTOR": "thread", "RUN_WORKERS": 2})
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(web_app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(HANG)
        web_app.extensions["mutualaid.run_executor"].shutdown(wait=True)
        with web_app.app_context():
            db.session.remove()
            db.engine.dispose()


def is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


@pytest.fixture
def postgres_only(app) -> None:
    if not is_postgres(app):
        pytest.skip("row locks and connection loss are PostgreSQL's (set DATABASE_URL)")


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at once, each on its own thread, released together; their results."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int) -> None:
        barrier.wait(HANG)
        try:
            results[i] = actions[i]()
        except Exception as exc:  # reported, so the test can show it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    return results


@pytest.fixture
def bulk(app):
    """Rows written straight to the database, in one transaction each call."""

    class Bulk:
        place = geo.resolve("E8 1AA")
        #: Needs get ten-minute windows, each at another time (within the offers' 08:00-18:00,
        #: 420 a week), so one volunteer approved for many never clashes: the races test capacity.
        slot = 0

        def window(self) -> dict[str, Any]:
            index = self.slot % 420
            self.slot += 1
            start = 8 * 60 + (index % 60) * 10
            return {
                "weekday": index // 60,
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{(start + 10) // 60:02d}:{(start + 10) % 60:02d}",
            }

        def needs(self, group_id: int, requester_id: int, n: int, **kw: Any) -> list[int]:
            with app.app_context():
                rows = [
                    Need(
                        group_id=group_id,
                        requester_id=requester_id,
                        category="food",
                        title=f"Need {i}",
                        description="",
                        postcode=self.place.postcode,
                        district=self.place.district,
                        lat=self.place.lat + kw.get("spread", 0.0) * (i % 17) / 17,
                        lon=self.place.lon + kw.get("spread", 0.0) * (i % 13) / 13,
                        windows=[self.window()],
                        volunteers_needed=kw.get("volunteers_needed", 1),
                        status=kw.get("status", "open"),
                    )
                    for i in range(n)
                ]
                db.session.add_all(rows)
                db.session.commit()
                return [r.id for r in rows]

        def offers(self, volunteer_id: int, group_id: int, n: int, **kw: Any) -> list[int]:
            from mutualaid.models import Group

            with app.app_context():
                group = db.session.get(Group, group_id)
                rows = [
                    Offer(
                        volunteer_id=volunteer_id,
                        postcode=self.place.postcode,
                        district=self.place.district,
                        lat=self.place.lat + kw.get("spread", 0.0) * (i % 11) / 11,
                        lon=self.place.lon + kw.get("spread", 0.0) * (i % 7) / 7,
                        max_travel_km=5.0,
                        availability=[
                            {"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)
                        ],
                        capacity=kw.get("capacity", 1),
                    )
                    for i in range(n)
                ]
                for row in rows:
                    row.groups = [group]
                db.session.add_all(rows)
                db.session.commit()
                return [r.id for r in rows]

        def matches(self, pairs: list[tuple[int, int]], status: str) -> list[int]:
            with app.app_context():
                rows = [
                    Match(
                        need_id=n,
                        offer_id=o,
                        status=status,
                        score=0.5,
                        decided_dt=utcnow() if status != "proposed" else None,
                    )
                    for n, o in pairs
                ]
                db.session.add_all(rows)
                db.session.commit()
                return [r.id for r in rows]

        def count(self, *where: Any) -> int:
            with app.app_context():
                return db.session.scalar(sa.select(sa.func.count(Match.id)).where(*where)) or 0

        def runs(self) -> list[tuple[int, str, str | None]]:
            with app.app_context():
                return [
                    tuple(r)
                    for r in db.session.execute(
                        sa.select(MatchingRun.id, MatchingRun.status, MatchingRun.error).order_by(
                            MatchingRun.id
                        )
                    )
                ]

    assert RunStatus.SUCCEEDED == "succeeded"
    return Bulk()

"""Matching runs racing approvals over HTTP; proposals that vanish under an approval; a run
whose process is killed; the database's connections dropped under traffic."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, MatchingRun

from .conftest import HANG, call, race

#: The test's count; benchmarks/bench_runs_vs_approvals.py runs the full 100.
RUN_ROUNDS = 20
APPROVALS_PER_RUN = 20


def test_runs_racing_approvals_never_deadlock_or_fail(served, bulk, scene, create_person, app):
    resident, volunteer = create_person(), create_person()
    coordinator = served.token(scene.coordinator)
    answers: list[int] = []
    for round_no in range(RUN_ROUNDS):
        # fresh needs and offers each round, so that each run changes the proposals
        bulk.needs(scene.group.id, resident.id, 30, spread=0.01)
        bulk.offers(volunteer.id, scene.group.id, 30, spread=0.01, capacity=1)
        with app.app_context():
            proposed = list(
                db.session.scalars(
                    sa.select(Match.id)
                    .where(Match.status == "proposed")
                    .order_by(Match.id.desc())
                    .limit(APPROVALS_PER_RUN)
                )
            )
        started = race(
            lambda: served.call(
                "POST", f"/api/v1/groups/{scene.group.slug}/matching-runs", coordinator
            ),
            *[
                (lambda m=m: served.call("POST", f"/api/v1/matches/{m}/approve", coordinator))
                for m in proposed
            ],
        )
        run, approvals = started[0], started[1:]
        assert run.status == 202, run.body
        assert run.headers["location"].endswith(f"/matching-runs/{run.body['id']}")
        finished = served.wait_for_run(run.body["id"], coordinator)
        assert finished["status"] == "succeeded", (round_no, finished)
        answers.extend(a.status for a in approvals)
    # approved, refused (the volunteer or need is full), or replaced by the run: never 5xx
    assert set(answers) <= {200, 404, 409}, sorted(set(answers))
    assert answers.count(200) > 0
    assert [r for r in bulk.runs() if r[1] != "succeeded"] == []


def _waiting_for_a_lock(app) -> bool:
    with app.app_context():
        return bool(
            db.session.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
        )


def _hold_need_then_delete(app, need_id: int, match_id: int, then):
    """Lock the need as a run's write step does, start ``then`` (which waits for the lock),
    delete the proposal, commit; ``then``'s answer."""
    with app.app_context():
        conn = db.engine.connect()
        try:
            conn.execute(sa.text("SELECT id FROM needs WHERE id = :n FOR UPDATE"), {"n": need_id})
            result: dict = {}
            thread = threading.Thread(target=lambda: result.update(reply=then()))
            thread.start()
            deadline = time.monotonic() + HANG
            while not _waiting_for_a_lock(app):
                assert time.monotonic() < deadline, "the approval never waited for the need"
                time.sleep(0.01)
            conn.execute(sa.text("DELETE FROM matches WHERE id = :m"), {"m": match_id})
            conn.commit()
        finally:
            conn.close()
        thread.join(HANG)
        return result["reply"]


@pytest.mark.postgres
def test_approving_a_proposal_a_run_replaces_meanwhile_is_404(
    served, bulk, scene, create_person, app, postgres_only
):
    resident, volunteer = create_person(), create_person()
    [need] = bulk.needs(scene.group.id, resident.id, 1)
    [offer] = bulk.offers(volunteer.id, scene.group.id, 1)
    [match] = bulk.matches([(need, offer)], "proposed")
    token = served.token(scene.coordinator)
    reply = _hold_need_then_delete(
        app, need, match, lambda: served.call("POST", f"/api/v1/matches/{match}/approve", token)
    )
    assert reply.status == 404 and reply.body["code"] == "not_found", reply.body


@pytest.mark.postgres
def test_a_bulk_approval_skips_a_vanished_proposal_and_approves_the_rest(
    served, bulk, scene, create_person, app, postgres_only
):
    resident, volunteer = create_person(), create_person()
    needs = bulk.needs(scene.group.id, resident.id, 3)
    offers = bulk.offers(volunteer.id, scene.group.id, 3)
    matches = bulk.matches(list(zip(needs, offers)), "proposed")
    token = served.token(scene.coordinator)
    reply = _hold_need_then_delete(
        app,
        needs[0],
        matches[0],
        lambda: served.call(
            "POST",
            f"/api/v1/groups/{scene.group.slug}/matches/approve-above",
            token,
            {"min_score": 0},
        ),
    )
    assert reply.status == 200, reply.body
    assert sorted(m["id"] for m in reply.body["approved"]) == matches[1:]
    [skipped] = reply.body["skipped"]
    assert skipped["match"] == matches[0] and "replaced" in skipped["reason"]


SERVE_BLOCKED = Path(__file__).with_name("serve_blocked.py")
ROOT = Path(__file__).resolve().parents[3]


def test_a_killed_run_is_abandoned_and_the_next_one_succeeds(
    app, client, scene, create_need, create_offer, tmp_path, monkeypatch
):
    create_need(scene.group)
    create_offer([scene.group])
    token = client.post(
        "/api/v1/auth/token",
        json={"email": scene.coordinator.email, "password": "correct horse battery"},
    ).get_json()["token"]
    proc = subprocess.Popen(
        [sys.executable, str(SERVE_BLOCKED), app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # this checkout's packages, not another's
    )
    try:
        base = proc.stdout.readline().strip()  # the server says where it listens
        assert base.startswith("http://"), base
        started = call(base, "POST", f"/api/v1/groups/{scene.group.slug}/matching-runs", token)
        assert started.status == 202, started.body
        run_id = started.body["id"]
        deadline = time.monotonic() + HANG
        while not (tmp_path / "solving").exists():  # the engine is running, the run holds no lock
            assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
            time.sleep(0.02)
        # mid-solve, nobody waits for the database: a resident posts a need
        posted = client.post(
            "/api/v1/needs",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "group": scene.group.slug,
                "category": "food",
                "title": "Shopping on Tuesday",
                "postcode": "E8 1AA",
                "when": {"weekly": [{"weekday": "tue", "start": "09:00", "end": "11:00"}]},
            },
        )
        assert posted.status_code == 201, posted.get_json()
        proc.send_signal(signal.SIGKILL)
        proc.wait(HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(HANG)
        proc.stdout.close()
    headers = {"Authorization": f"Bearer {token}"}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has no lock to find free: the run is abandoned after the timeout (here 0 s)
        monkeypatch.setitem(app.config, "MATCHING_LOCK_SECONDS", 0)
    runs = client.get(f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=headers)
    [killed] = runs.get_json()["items"]
    assert killed["id"] == run_id and killed["status"] == "abandoned", killed
    assert killed["finished_at"] is not None and "stopped" in killed["error"]
    page = client.get(f"/groups/{scene.group.slug}/matches", headers=headers)
    assert page.status_code in (200, 302)  # pages need a session; the API said it all
    following = client.post(f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=headers)
    assert following.status_code == 202
    done = client.get(following.headers["Location"], headers=headers).get_json()
    assert done["status"] == "succeeded" and done["stats"]["proposals"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 1
        assert db.session.get(MatchingRun, run_id).status == "abandoned"


@pytest.fixture(autouse=True)
def _finalise_dropped_connections():
    """Connections the server dropped are finalised within the test that dropped them."""
    yield
    gc.collect()


def _terminate_app_connections(app) -> int:
    """What a database restart does to the app: every other session of this database dropped."""
    with app.app_context(), db.engine.connect() as conn:
        count = conn.scalar(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.commit()
        return count or 0


@pytest.mark.postgres
# psycopg warns when it finalises a connection the server dropped under it; collected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_dropped_connections_mid_traffic_give_503_then_recover(
    served, bulk, scene, create_person, app, postgres_only
):
    resident, volunteer = create_person(), create_person()
    needs = bulk.needs(scene.group.id, resident.id, 200)
    offers = bulk.offers(volunteer.id, scene.group.id, 1, capacity=1000)
    proposals = bulk.matches([(n, offers[0]) for n in needs], "proposed")
    coordinator, resident_token = served.token(scene.coordinator), served.token(resident)
    replies: list = []
    lock = threading.Lock()
    done = threading.Event()

    def client_loop(i: int) -> None:
        n = 0
        while not done.is_set():
            n += 1
            if n % 3 == 0 and proposals:
                with lock:
                    match = proposals.pop() if proposals else None
                if match is not None:
                    path, method, token = f"/api/v1/matches/{match}/approve", "POST", coordinator
            else:
                path, method, token = (
                    f"/api/v1/needs?group={scene.group.slug}",
                    "GET",
                    resident_token,
                )
            reply = served.call(method, path, token)
            with lock:
                replies.append(reply)

    clients = [threading.Thread(target=client_loop, args=(i,)) for i in range(6)]
    for t in clients:
        t.start()
    terminated = 0
    try:
        for _ in range(5):  # drop every connection, five times, while the clients keep going
            seen = len(replies)
            deadline = time.monotonic() + HANG
            while len(replies) < seen + 40:
                assert time.monotonic() < deadline, "the clients stopped getting answers"
                time.sleep(0.005)
            terminated += _terminate_app_connections(app)
    finally:
        done.set()
        for t in clients:
            t.join(HANG)
    statuses = [r.status for r in replies]
    print(f"{len(statuses)} requests, {statuses.count(503)} answered 503, {terminated} dropped")
    assert terminated > 0
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    for r in replies:
        if r.status == 503:
            assert r.headers.get("retry-after") and r.body["code"] == "busy", r
            assert set(r.body) == {"code", "status", "message", "errors"}
    # and then it recovers by itself: every request answers
    after = [
        served.call("GET", f"/api/v1/needs?group={scene.group.slug}", resident_token)
        for _ in range(20)
    ]
    assert [r.status for r in after] == [200] * 20


@pytest.mark.postgres
# psycopg warns when it finalises a connection the server dropped under it; collected here
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_connection_dropped_mid_request_is_a_503_and_nothing_is_saved(
    served, bulk, scene, create_person, app, postgres_only
):
    resident, volunteer = create_person(), create_person()
    [need] = bulk.needs(scene.group.id, resident.id, 1)
    [offer] = bulk.offers(volunteer.id, scene.group.id, 1)
    [match] = bulk.matches([(need, offer)], "proposed")
    token = served.token(scene.coordinator)
    with app.app_context():
        holder = db.engine.connect()
        try:
            holder.execute(sa.text("SELECT id FROM needs WHERE id = :n FOR UPDATE"), {"n": need})
            result: dict = {}
            thread = threading.Thread(
                target=lambda: result.update(
                    reply=served.call("POST", f"/api/v1/matches/{match}/approve", token)
                )
            )
            thread.start()
            deadline = time.monotonic() + HANG
            while not _waiting_for_a_lock(app):
                assert time.monotonic() < deadline
                time.sleep(0.01)
            with db.engine.connect() as conn:  # the approval's session is dropped as it waits
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            thread.join(HANG)
        finally:
            holder.rollback()
            holder.close()
    reply = result["reply"]
    assert reply.status == 503 and reply.headers["retry-after"] == "5", reply.body
    assert reply.body["code"] == "busy" and reply.body["errors"] == {}
    assert bulk.count(Match.status == "approved") == 0
    again = served.call("POST", f"/api/v1/matches/{match}/approve", token)
    assert again.status == 200

"""Runs: one at a time per group, all or nothing, and concurrent approvals that never overfill."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

import matching
from mutualaid.extensions import db, intend_to_write
from mutualaid.models import Group, Match, MatchingRun, Need, Offer, Person
from mutualaid.services import matches as matches_svc
from mutualaid.services import matching_runs
from mutualaid.services.matching_runs import RunRefused


def _is_postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


def test_a_run_that_fails_halfway_writes_no_proposals(
    client, scene, create_need, create_offer, run_matching, monkeypatch, app
):
    need = create_need(scene.group)
    create_offer([scene.group])
    first = run_matching(scene)
    assert first["stats"]["proposals"] == 1
    with app.app_context():
        kept_id = db.session.scalar(sa.select(Match.id))
    second_offer = create_offer([scene.group], postcode="E8 1AA")
    real_write = matching_runs._write_proposals

    def write_then_fail(run, proposals):  # the new rows are in; then the run breaks
        real_write(run, proposals)
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Match.id)).where(Match.offer_id == second_offer.id)
            )
            == 1
        )
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(matching_runs, "_write_proposals", write_then_fail)
    monkeypatch.setattr(matching, "solve", _solve_proposing(need.id, second_offer.id))
    failed = run_matching(scene)
    assert failed["status"] == "failed" and "disk on fire" in failed["error"]
    assert failed["finished_at"] is not None
    with app.app_context():  # nothing of the failed run is left; the earlier proposal is untouched
        rows = db.session.execute(sa.select(Match.id, Match.run_id, Match.offer_id)).all()
        assert [(r.id, r.run_id) for r in rows] == [(kept_id, first["id"])]
        assert db.session.get(MatchingRun, failed["id"]).stats is None
    assert (
        client.get(f"/api/v1/matching-runs/{failed['id']}", headers=scene.headers).get_json()[
            "status"
        ]
        == "failed"
    )


def _solve_proposing(need_id: int, offer_id: int):
    class Result:
        def to_dict(self):
            return {
                "matches": [
                    {
                        "need": str(need_id),
                        "volunteer": str(offer_id),
                        "score": 0.9,
                        "distance_km": 0.1,
                        "explanation": {},
                    }
                ],
                "unmatched": [],
                "stats": {},
            }

    return lambda instance, **options: Result()


def test_an_engine_error_is_recorded_on_the_run(
    scene, create_need, create_offer, run_matching, monkeypatch, app
):
    create_need(scene.group)
    create_offer([scene.group])

    def broken(instance, **options):
        raise matching.InstanceError("needs[0] (id '1'): lat must be a number")

    monkeypatch.setattr(matching, "solve", broken)
    run = run_matching(scene)
    assert run["status"] == "failed" and "InstanceError" in run["error"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_two_runs_for_one_group_at_once_one_is_refused(
    scene, create_need, create_offer, monkeypatch, app
):
    create_need(scene.group)
    create_offer([scene.group])
    inside, release = threading.Event(), threading.Event()
    real_solve = matching.solve

    def slow_solve(instance, **options):
        inside.set()
        assert release.wait(30), "the test never released the first run"
        return real_solve(instance, **options)

    monkeypatch.setattr(matching, "solve", slow_solve)
    outcome: dict[str, object] = {}

    def first_run():
        with app.app_context():
            try:
                outcome["first"] = matching_runs.execute_run(
                    db.session.get(Group, scene.group.id)
                ).status
            finally:
                db.session.remove()

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert inside.wait(30)
        with app.app_context():
            with pytest.raises(RunRefused):
                matching_runs.execute_run(db.session.get(Group, scene.group.id))
            db.session.remove()
    finally:
        release.set()
        thread.join(30)
    assert outcome["first"] == "succeeded"
    with app.app_context():  # the refused run left no record; the lock is free again
        assert db.session.scalar(sa.select(sa.func.count(MatchingRun.id))) == 1
        monkeypatch.setattr(matching, "solve", real_solve)
        assert (
            matching_runs.execute_run(db.session.get(Group, scene.group.id)).status == "succeeded"
        )


def test_the_api_refuses_a_run_while_one_is_queued_and_a_stale_one_is_abandoned(client, scene, app):
    from datetime import timedelta

    from mutualaid.models import utcnow

    with app.app_context():  # another process queued a run a moment ago
        queued = MatchingRun(group_id=scene.group.id, status="queued", started_dt=utcnow())
        db.session.add(queued)
        db.session.commit()
        queued_id = queued.id
    resp = client.post(f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=scene.headers)
    assert resp.status_code == 409 and resp.get_json()["code"] == "run_in_progress"
    with app.app_context():  # no executor took it in time: its process is gone
        stale = utcnow() - timedelta(seconds=app.config["MATCHING_LOCK_SECONDS"] + 1)
        db.session.execute(sa.update(MatchingRun).values(started_dt=stale))
        db.session.commit()
    resp = client.post(f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=scene.headers)
    assert resp.status_code == 202 and resp.headers["Location"].endswith(
        f"/matching-runs/{resp.get_json()['id']}"
    )
    old = client.get(f"/api/v1/matching-runs/{queued_id}", headers=scene.headers).get_json()
    assert old["status"] == "abandoned" and old["finished_at"] is not None and old["error"]


def test_concurrent_approvals_never_exceed_capacity_or_need(scene, create_need, create_offer, app):
    # PostgreSQL: row locks. SQLite: BEGIN IMMEDIATE, which every writing request declares.
    offer = create_offer([scene.group], capacity=2)
    needs = [  # at four different times: capacity binds, not a clash
        create_need(
            scene.group,
            volunteers_needed=1,
            windows=[{"weekday": day, "start": "09:00", "end": "11:00"}],
        )
        for day in range(4)
    ]
    one_need = create_need(scene.group, volunteers_needed=2)
    others = [create_offer([scene.group]) for _ in range(5)]
    with app.app_context():
        ids = []
        for need in needs:  # four proposals competing for one volunteer's two places
            m = Match(need_id=need.id, offer_id=offer.id, status="proposed", score=0.5)
            db.session.add(m)
            ids.append(m)
        for other in others:  # five volunteers competing for one need's two places
            m = Match(need_id=one_need.id, offer_id=other.id, status="proposed", score=0.5)
            db.session.add(m)
            ids.append(m)
        db.session.commit()
        match_ids = [m.id for m in ids]
    barrier = threading.Barrier(len(match_ids))
    results: list[str] = []

    def approve(match_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait(30)
                intend_to_write(True)  # as a POST request does, before its first query
                coordinator = db.session.get(Person, scene.coordinator.id)
                matches_svc.approve_match(match_id, coordinator)
                db.session.commit()
                results.append("approved")
            except Exception as exc:
                db.session.rollback()
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in match_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("approved") == 4, results
    assert set(results) <= {"approved", "Conflict", "InvalidState"}
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Match.id)).where(
                    Match.offer_id == offer.id, Match.status == "approved"
                )
            )
            == 2
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Match.id)).where(
                    Match.need_id == one_need.id, Match.status == "approved"
                )
            )
            == 2
        )
        assert db.session.scalar(sa.select(Need.status).where(Need.id == one_need.id)) == "matched"
        assert db.session.get(Offer, offer.id).capacity == 2

"""A run's steps seen from outside: audited proposals, edits below what is approved, the
scheduler's skip, the queue page while a run is live, a lost connection on a page."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

import matching
from mutualaid import scheduler
from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Match, MatchingRun, utcnow
from mutualaid.services import matching_runs
from mutualaid.services import skills as skills_svc


def _audit(app, action):
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(AuditEvent.actor_id, AuditEvent.entity_id).where(
                    AuditEvent.entity_type == "match", AuditEvent.action == action
                )
            )
        )


def test_a_runs_proposals_are_audited_with_its_starter(
    app, client, scene, create_need, create_offer, run_matching
):
    need = create_need(scene.group)
    first = create_offer([scene.group])
    run_matching(scene)
    with app.app_context():
        [match_id] = db.session.scalars(sa.select(Match.id))
    assert _audit(app, "create") == [(scene.coordinator.id, str(match_id))]
    run_matching(scene)  # the same proposal again: kept, nothing rewritten, nothing recorded
    assert len(_audit(app, "create")) == 1 and _audit(app, "update") == []
    client.delete(f"/api/v1/offers/{first.id}", headers=scene.headers)  # withdrawn
    create_offer([scene.group], postcode="E8 1AA")
    run_matching(scene)
    assert _audit(app, "delete") == [(scene.coordinator.id, str(match_id))]
    assert len(_audit(app, "create")) == 2
    assert need.id


def test_a_kept_proposal_whose_figures_moved_keeps_its_id_and_is_audited_as_changed(
    app, scene, create_need, create_offer, run_matching, monkeypatch
):
    need = create_need(scene.group)
    offer = create_offer([scene.group])
    first = run_matching(scene)
    with app.app_context():
        [(match_id, old_score, old_summary)] = db.session.execute(
            sa.select(Match.id, Match.score, Match.explanation["summary"].as_string())
        ).all()
    explanation = {"summary": "moved: 0.1 km away", "distance_km": 0.1}

    class Moved:  # the engine proposes the same pair, with other figures
        def to_dict(self):
            return {
                "matches": [
                    {
                        "need": str(need.id),
                        "volunteer": str(offer.id),
                        "score": old_score / 2,
                        "distance_km": 0.1,
                        "explanation": explanation,
                    }
                ],
                "unmatched": [],
                "stats": {},
            }

    monkeypatch.setattr(matching, "solve", lambda instance, **options: Moved())
    second = run_matching(scene)
    assert second["stats"]["kept"] == 1 and second["stats"]["changed"] == 1
    with app.app_context():
        match = db.session.get_one(Match, match_id)  # the same row, rewritten
        assert (match.score, match.explanation, match.run_id) == (
            old_score / 2,
            explanation,
            second["id"],
        )
        [(actor, changes)] = db.session.execute(
            sa.select(AuditEvent.actor_id, AuditEvent.changes).where(
                AuditEvent.action == "update", AuditEvent.entity_id == str(match_id)
            )
        ).all()
    assert actor == scene.coordinator.id
    assert changes["score"] == [old_score, old_score / 2]
    assert changes["run_id"] == [first["id"], second["id"]]
    assert changes["explanation"][0]["summary"] == old_summary
    assert changes["explanation"][1] == explanation
    assert set(changes) == {"score", "distance_km", "explanation", "run_id"}
    monkeypatch.undo()
    third = run_matching(scene)  # the real engine again: back to its own figures
    assert third["stats"]["changed"] == 1 and _audit(app, "create") == [
        (scene.coordinator.id, str(match_id))
    ]


def test_a_capacity_below_the_approved_matches_is_refused(
    client, scene, create_person, create_need, create_offer, token_for, app
):
    volunteer = create_person()
    offer = create_offer([scene.group], volunteer=volunteer, capacity=2)
    for need in (create_need(scene.group), create_need(scene.group)):
        with app.app_context():
            db.session.add(Match(need_id=need.id, offer_id=offer.id, status="approved"))
            db.session.commit()
    headers = token_for(volunteer)
    resp = client.patch(f"/api/v1/offers/{offer.id}", json={"capacity": 1}, headers=headers)
    assert resp.status_code == 422 and "capacity" in resp.get_json()["errors"]
    assert "2 matches are already approved" in resp.get_json()["errors"]["capacity"][0]
    resp = client.patch(f"/api/v1/offers/{offer.id}", json={"capacity": 2}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["capacity"] == 2


def test_the_scheduler_skips_a_group_another_process_matched_within_the_interval(
    app, scene, create_group, create_need, create_offer
):
    other = create_group(slug="islington")
    create_need(scene.group)
    create_offer([scene.group])
    with app.app_context():  # another scheduler matched hackney a minute ago
        db.session.add(
            MatchingRun(
                group_id=scene.group.id,
                status="succeeded",
                started_dt=utcnow() - timedelta(minutes=1),
                finished_dt=utcnow() - timedelta(seconds=50),
            )
        )
        db.session.commit()
    summaries = scheduler.matching_job(app)
    assert [s["group"] for s in summaries] == [other.slug]
    with app.app_context():  # a whole interval later, it is due again
        interval = timedelta(minutes=app.config["MATCHING_INTERVAL_MINUTES"])
        db.session.execute(
            sa.update(MatchingRun).values(
                started_dt=MatchingRun.started_dt - interval,
                finished_dt=MatchingRun.finished_dt - interval,
            )
        )
        db.session.commit()
    assert sorted(s["group"] for s in scheduler.matching_job(app)) == ["hackney", "islington"]


def test_the_queue_page_refreshes_while_a_run_is_live_and_then_shows_the_result(
    app, scene, browser, create_need, create_offer
):
    create_need(scene.group)
    create_offer([scene.group])
    page = browser(scene.coordinator)
    with app.app_context():  # a run started elsewhere, not yet taken by an executor
        run_id = matching_runs.start_run(db.session.get(type(scene.group), scene.group.id))
    live = page.get("/groups/hackney/matches")
    assert '<meta http-equiv="refresh" content="3">' in live.text
    assert "Matching is <strong>queued</strong>" in live.text and "disabled" in live.text
    assert page.post("/groups/hackney/matching-runs", follow_redirects=True).text.count(
        "already in progress"
    )
    with app.app_context():
        matching_runs.process_run(run_id)
    done = page.get("/groups/hackney/matches")
    assert 'http-equiv="refresh"' not in done.text
    assert "<strong>succeeded</strong>, 1 proposals (1 new)" in done.text


def test_a_lost_connection_is_a_503_in_the_api_and_on_pages(client, scene, browser, monkeypatch):
    def lost(*args, **kwargs):
        raise OperationalError(
            "SELECT 1", {}, psycopg.OperationalError("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(skills_svc, "list_skills", lost)
    api = client.get("/api/v1/skills")
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json() == {
        "code": "busy",
        "status": 503,
        "message": "The service is busy; nothing was saved. Try again in a moment.",
        "errors": {},
    }
    page = browser(scene.coordinator).get("/groups/hackney/coordinate")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Try again in a moment" in page.text and page.mimetype == "text/html"


def test_a_run_pauses_the_cyclic_gc_and_always_resumes_it(
    app, scene, create_need, create_offer, run_matching, monkeypatch
):
    import gc

    assert gc.isenabled()
    with matching_runs._cyclic_gc_paused():  # two runs in two threads of one process
        with matching_runs._cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other run still computes
    assert gc.isenabled()
    create_need(scene.group)
    create_offer([scene.group])
    seen = []
    real_solve = matching.solve

    def solve(instance, **options):
        seen.append(gc.isenabled())
        return real_solve(instance, **options)

    monkeypatch.setattr(matching, "solve", solve)
    assert run_matching(scene)["status"] == "succeeded"
    assert seen == [False] and gc.isenabled()

    def broken(instance, **options):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(matching, "solve", broken)
    assert run_matching(scene)["status"] == "failed"
    assert gc.isenabled()

"""Reasons a coordinator can act on: every code, each with a case that produces it, and the
check that a reason is true (free the commitment it blames and the need is matched)."""

from __future__ import annotations

from datetime import date, timedelta

from mutualaid.services.reasons import ACTIONS, REASON_CODES

NEXT_WEEK = date.today() + timedelta(days=7)


def _queue(client, scene, status="proposed"):
    resp = client.get(
        f"/api/v1/matches?status={status}&group={scene.group.slug}", headers=scene.headers
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def _unmatched(client, scene) -> dict[int, dict]:
    resp = client.get(f"/api/v1/groups/{scene.group.slug}/unmatched", headers=scene.headers)
    assert resp.status_code == 200, resp.get_json()
    return {u["need"]: u for u in resp.get_json()["items"]}


def _approve(client, scene, need_id):
    [proposal] = [p for p in _queue(client, scene) if p["need"]["id"] == need_id]
    resp = client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers)
    assert resp.status_code == 200, resp.get_json()
    return proposal


def test_every_code_has_an_action():
    assert set(REASON_CODES) == set(ACTIONS)


def test_fully_booked_names_when_the_first_frees_up_and_is_true(
    client, scene, create_person, create_need, create_offer, run_matching
):
    # The adviser's one place is taken; the engine alone would say nobody has the skill.
    adviser = create_person(name="Adaeze Adviser")
    create_offer([scene.group], volunteer=adviser, skills=["legal-advice"], capacity=1)
    first = create_need(scene.group, skills=["legal-advice"], on_date=NEXT_WEEK)
    run_matching(scene)
    proposal = _approve(client, scene, first.id)
    second = create_need(scene.group, skills=["legal-advice"], on_date=NEXT_WEEK)
    run_matching(scene)

    reason = _unmatched(client, scene)[second.id]
    assert reason["reason_code"] == "fully_booked"
    frees = NEXT_WEEK + timedelta(days=1)
    assert reason["reason"] == (
        f"1 suitable volunteer is fully booked; the first frees up on {frees:%A %-d %B}."
    )
    assert "legal-advice" not in reason["reason"]
    # privacy: counts and dates, never who
    assert "Adaeze" not in str(reason) and adviser.email not in str(reason)

    # True: with the commitment freed, the need is matched.
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/cancel", json={"reason": "x"}, headers=scene.headers
    )
    assert resp.status_code == 200, resp.get_json()
    run_matching(scene)
    assert second.id not in _unmatched(client, scene)
    assert [p["need"]["id"] for p in _queue(client, scene)] == [second.id]


def test_unverified_credential_is_named_and_true(
    client, scene, create_need, create_offer, run_matching, app
):
    offer = create_offer([scene.group], skills=["dbs-checked"], verified=False)
    need = create_need(scene.group, skills=["dbs-checked"])
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "unverified"
    assert reason["reason"] == (
        "1 volunteer with ‘DBS checked’ is waiting for the credential to be verified."
    )

    resp = client.post(
        f"/api/v1/offers/{offer.id}/credentials",
        json={
            "skill": "dbs-checked",
            "expires_on": (date.today() + timedelta(days=365)).isoformat(),
        },
        headers=scene.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    run_matching(scene)
    assert need.id not in _unmatched(client, scene)


def test_already_helping_is_worded_as_such(client, scene, create_need, create_offer, run_matching):
    create_offer([scene.group], capacity=3)
    need = create_need(scene.group, volunteers_needed=2)
    run_matching(scene)
    _approve(client, scene, need.id)
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "helping"
    assert reason["reason"] == "The only suitable volunteer is already helping with this need."


def test_rejected_before_is_worded_as_such(client, scene, create_need, create_offer, run_matching):
    create_offer([scene.group])
    need = create_need(scene.group)
    run_matching(scene)
    [proposal] = _queue(client, scene)
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/reject", json={"reason": "No"}, headers=scene.headers
    )
    assert resp.status_code == 200
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "rejected"
    assert reason["reason"] == "The only suitable volunteer is turned down for this need before."


def test_own_offer_is_named(client, scene, create_person, create_need, create_offer, run_matching):
    resident = create_person()
    create_offer([scene.group], volunteer=resident)
    need = create_need(scene.group, requester=resident)
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "own"


def test_free_at_other_times_says_when(client, scene, create_need, create_offer, run_matching):
    create_offer(
        [scene.group],
        availability=[
            {"weekday": 0, "start": "18:00", "end": "20:00"},
            {"weekday": 5, "start": "10:00", "end": "13:00"},
        ],
    )
    need = create_need(scene.group, windows=[{"weekday": 1, "start": "09:00", "end": "11:00"}])
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "other_times"
    assert reason["reason"] == (
        "1 volunteer with the skills and in reach is free at other times: "
        "Mon 18:00-20:00, Sat 10:00-13:00."
    )


def test_two_together_suggests_a_split(client, scene, create_need, create_offer, run_matching):
    create_offer([scene.group], skills=["cooking"])
    create_offer([scene.group], skills=["driving"], postcode="E8 3AA")
    need = create_need(scene.group, skills=["cooking", "driving"])
    run_matching(scene)
    reason = _unmatched(client, scene)[need.id]
    assert reason["reason_code"] == "split"
    assert "‘Cooking’ and ‘Driving’" in reason["reason"]


def test_the_engines_reason_stands_where_nothing_truer_is_found(
    client, scene, create_need, create_offer, run_matching
):
    create_offer([scene.group], skills=["cooking"], postcode="CF10 1AA")  # Cardiff: far away
    far = create_need(scene.group, skills=["cooking"])
    nobody = create_need(scene.group, skills=["gardening"])
    run_matching(scene)
    reasons = _unmatched(client, scene)
    assert reasons[far.id]["reason_code"] == "out_of_reach"
    assert reasons[nobody.id]["reason_code"] == "no_skill"
    # the engine's sentence, with names rather than codes
    assert reasons[nobody.id]["reason"] == "No volunteer has the skill ‘Gardening’."


def test_the_queue_page_shows_the_action_beside_the_reason(
    client, scene, create_need, create_offer, run_matching, login
):
    create_offer([scene.group], skills=["dbs-checked"], verified=False)
    create_need(scene.group, skills=["dbs-checked"])
    run_matching(scene)
    page = login(scene.coordinator).get(f"/groups/{scene.group.slug}/matches")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "waiting for the credential to be verified" in html
    assert ACTIONS["unverified"] in html


def test_a_booked_holder_far_away_is_out_of_reach_not_missing(
    client, scene, create_need, create_offer, run_matching
):
    # The engine sees only volunteers with room, so it would say nobody has the skill.
    create_offer([scene.group], skills=["legal-advice"], postcode="CF10 1AA", capacity=1)
    there = create_need(scene.group, skills=["legal-advice"], postcode="CF10 1AA")
    run_matching(scene)
    _approve(client, scene, there.id)
    here = create_need(scene.group, skills=["legal-advice"])
    run_matching(scene)
    reason = _unmatched(client, scene)[here.id]
    assert reason["reason_code"] == "out_of_reach"
    assert reason["reason"] == "The only volunteer with ‘Legal advice’ is out of reach."


def test_the_run_reads_the_diagnostic_facts_once_and_the_same(
    app, client, scene, create_need, create_offer, run_matching
):
    """The diagnostic's facts built from the run's own read (its offers, full or not, with
    their pending credentials; the needs' residents) equal the facts read afresh."""
    from mutualaid.extensions import db
    from mutualaid.models import utcnow
    from mutualaid.services import matching_runs, reasons

    create_offer([scene.group], skills=["legal-advice"], capacity=1)
    create_offer([scene.group], skills=["dbs-checked"], verified=False)
    create_offer([scene.group], skills=["cooking"], availability=[])
    first = create_need(scene.group, skills=["legal-advice"], on_date=NEXT_WEEK)
    turned_down = create_need(scene.group, skills=["cooking"])
    create_need(scene.group, skills=["dbs-checked"])
    create_need(scene.group, skills=["legal-advice"], on_date=NEXT_WEEK)
    run_matching(scene)
    _approve(client, scene, first.id)
    [proposal] = [p for p in _queue(client, scene) if p["need"]["id"] == turned_down.id] or [None]
    if proposal is not None:
        client.post(
            f"/api/v1/matches/{proposal['id']}/reject", json={"reason": "No"}, headers=scene.headers
        )
    with app.app_context():
        now = utcnow()
        loaded = matching_runs.load_instance(scene.group.id, now)
        ids = [int(n["id"]) for n in loaded.instance["needs"]]
        fresh = reasons.load_facts(scene.group.id, now, ids)
        given = reasons.load_facts(
            scene.group.id, now, ids, offers=loaded.every_offer, requester=loaded.requester
        )
        db.session.rollback()

    def key(facts):
        offers = sorted(
            (o["id"], o["person"], o["remaining"], sorted(o["usable"]), sorted(o["pending"]))
            for o in facts.offers
        )
        return offers, facts.requester, facts.helping, facts.rejected, facts.frees_on

    assert key(given) == key(fresh)
    assert any(o["remaining"] < 1 for o in given.offers)  # the full one is there
    assert any(o["pending"] for o in given.offers)  # and the unverified credential

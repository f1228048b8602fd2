"""Manual pairing: the engine's own feasibility test, a distance override with a reason, never a
hard rule; pages and API; coordinators only."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, OutboxMessage

WEEKEND = [{"weekday": 5, "start": "08:00", "end": "18:00"}]  # the need is on a Tuesday


def _matches(app):
    with app.app_context():
        return [
            (m.need_id, m.offer_id, m.status, m.explanation.get("manual"))
            for m in db.session.scalars(sa.select(Match).order_by(Match.id))
        ]


def test_a_feasible_pair_is_checked_then_paired_and_approved(
    app, scene, browser, create_person, create_need, create_offer
):
    vic = create_person(name="Victor Volunteer")
    need = create_need(scene.group, title="Lift", skills=["driving"])
    offer = create_offer([scene.group], volunteer=vic, skills=["driving"])
    page = browser(scene.coordinator)
    assert "Pair with a volunteer" in page.get(f"/needs/{need.id}").text
    checked = page.get(f"/needs/{need.id}/pair?offer={offer.id}")
    assert checked.status_code == 200 and "The engine can pair them" in checked.text
    assert (
        "Why this pair: very close by" in checked.text or "Why this pair: close by" in checked.text
    )
    resp = page.post(f"/needs/{need.id}/pair", data={"offer": offer.id})
    assert resp.status_code == 303
    assert _matches(app) == [
        (need.id, offer.id, "approved", {"by": scene.coordinator.id, "override": None})
    ]
    with app.app_context():  # the approval's emails, as for any approval
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2
    mine = browser(vic).get("/matches/mine").text
    assert "Flat 2, 10 Mare Street" in mine  # revealed once approved


def test_distance_can_be_overridden_with_a_reason(app, scene, browser, create_need, create_offer):
    need = create_need(scene.group, title="Lift", skills=["driving"])
    far = create_offer([scene.group], skills=["driving"], postcode="N16 0AA", max_travel_km=0.5)
    page = browser(scene.coordinator)
    checked = page.get(f"/needs/{need.id}/pair?offer={far.id}")
    assert "Out of the volunteer's reach" in checked.text
    assert "travels up to 0.5 km" in checked.text and "beyond their 0.5 km" in checked.text
    refused = page.post(f"/needs/{need.id}/pair", data={"offer": far.id, "override_reason": " "})
    assert refused.status_code == 422 and "say why they should be paired anyway" in refused.text
    assert _matches(app) == []
    resp = page.post(
        f"/needs/{need.id}/pair",
        data={"offer": far.id, "override_reason": "She drives past on her way to work."},
    )
    assert resp.status_code == 303
    [(_, _, status, manual)] = _matches(app)
    assert status == "approved" and manual["override"] == "She drives past on her way to work."
    with app.app_context():
        match = db.session.scalar(sa.select(Match))
        assert match.explanation["score_parts"]["closeness"] == 0.0
        assert match.explanation["summary"].startswith("Paired by a coordinator beyond")


def test_hard_rules_are_never_overridden(app, scene, browser, create_need, create_offer):
    need = create_need(scene.group, title="Childcare", skills=["dbs-checked"])
    unchecked = create_offer([scene.group], skills=["dbs-checked"], verified=False)
    weekend = create_offer([scene.group], skills=["dbs-checked"], availability=WEEKEND)
    page = browser(scene.coordinator)
    for offer, words in ((unchecked, "dbs-checked"), (weekend, "free")):
        checked = page.get(f"/needs/{need.id}/pair?offer={offer.id}")
        assert "The engine cannot pair them" in checked.text and words in checked.text
        assert "Pair them" not in checked.text.split("The engine cannot pair them")[1]
        resp = page.post(
            f"/needs/{need.id}/pair", data={"offer": offer.id, "override_reason": "Trust me."}
        )
        assert resp.status_code == 422 and "The engine cannot pair them" in resp.text
    assert _matches(app) == []


def test_pairing_through_the_api_and_who_may(
    app, client, scene, create_person, create_need, create_offer, token_for, browser
):
    need = create_need(scene.group, title="Lift")
    near = create_offer([scene.group])
    weekend = create_offer([scene.group], availability=WEEKEND)
    url = f"/api/v1/needs/{need.id}/pairings"
    dry = client.post(url, json={"offer": weekend.id, "dry_run": True}, headers=scene.headers)
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["feasible"] is False and dry.get_json()["reason_code"] == "no_time"
    hard = client.post(url, json={"offer": weekend.id}, headers=scene.headers)
    assert hard.status_code == 409 and "offer" in hard.get_json()["errors"]
    member = create_person()
    assert client.post(url, json={"offer": near.id}, headers=token_for(member)).status_code == 403
    assert browser(member).get(f"/needs/{need.id}/pair").status_code == 403
    done = client.post(url, json={"offer": near.id}, headers=scene.headers)
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["status"] == "approved"
    again = client.post(url, json={"offer": near.id}, headers=scene.headers)
    assert again.status_code == 409
    assert [m[2] for m in _matches(app)] == ["approved"]


def test_a_matching_run_keeps_a_manual_pair(app, scene, client, create_need, create_offer):
    need = create_need(scene.group, title="Lift")
    offer = create_offer([scene.group])
    client.post(
        f"/api/v1/needs/{need.id}/pairings", json={"offer": offer.id}, headers=scene.headers
    )
    run = client.post(f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=scene.headers)
    assert run.status_code == 202
    assert [m[2] for m in _matches(app)] == ["approved"]

"""The whole journey through the API: need, offer, run, approve, reveal, notify, complete."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, Need, utcnow

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _post_need(client, headers, **kw):
    when = kw.pop(
        "when",
        {"date": (date.today() + timedelta(days=7)).isoformat(), "start": "09:00", "end": "11:00"},
    )
    body = {
        "group": "hackney",
        "category": "legal-aid",
        "title": "Help with a housing letter",
        "description": "My landlord sent a notice I do not understand.",
        "skills": ["legal-advice"],
        "postcode": "E8 1AA",
        "address": "Flat 2, 10 Mare Street",
        "when": when,
        **kw,
    }
    resp = client.post("/api/v1/needs", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _post_offer(client, headers, **kw):
    body = {
        "groups": ["hackney"],
        "skills": ["legal-advice"],
        "postcode": "E8 2AA",
        "max_travel_km": 5,
        "availability": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in WEEK],
        "capacity": 1,
        **kw,
    }
    resp = client.post("/api/v1/offers", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_need_offer_run_approve_reveal_complete(
    client, scene, create_person, token_for, run_matching, outbox, app
):
    resident = create_person(name="Rita Resident", phone="07700 900111")
    volunteer = create_person(name="Victor Volunteer", phone="07700 900222")
    as_resident, as_volunteer = token_for(resident), token_for(volunteer)
    need = _post_need(client, as_resident)
    offer = _post_offer(client, as_volunteer)

    # Legal advice is a credential: it counts once a coordinator has verified it.
    assert run_matching(scene)["stats"]["proposals"] == 0
    resp = client.post(
        f"/api/v1/offers/{offer['id']}/credentials",
        headers=scene.headers,
        json={
            "skill": "legal-advice",
            "expires_on": (date.today() + timedelta(days=365)).isoformat(),
        },
    )
    assert resp.status_code in (200, 201), resp.get_json()

    # Before approval the volunteer sees the public part of the need only.
    before = client.get(f"/api/v1/needs/{need['id']}", headers=as_volunteer).get_json()
    assert "address" not in before and "requester" not in before

    run = run_matching(scene)
    assert run["status"] == "succeeded", run
    assert (
        run["stats"]["needs"] == 1
        and run["stats"]["offers"] == 1
        and run["stats"]["proposals"] == 1
    )
    assert (
        client.get(f"/api/v1/matching-runs/{run['id']}", headers=scene.headers).get_json()["id"]
        == run["id"]
    )

    queue = client.get(
        "/api/v1/matches?status=proposed&group=hackney", headers=scene.headers
    ).get_json()
    assert queue["total"] == 1
    proposal = queue["items"][0]
    assert proposal["need"]["id"] == need["id"] and proposal["offer"]["id"] == offer["id"]
    # The coordinator sees both sides in full, and why the engine proposed the pair.
    assert proposal["need"]["address"] == "Flat 2, 10 Mare Street"
    assert proposal["offer"]["volunteer"]["phone"] == "07700 900222"
    assert proposal["explanation"]["skills_matched"] == ["legal-advice"]
    assert set(proposal["explanation"]["score_parts"]) >= {
        "closeness",
        "urgency",
        "waiting",
        "fairness",
    }
    assert proposal["distance_km"] is not None

    resp = client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "approved"

    # The reveal: the volunteer sees the address and the resident's contact ...
    seen = client.get(f"/api/v1/needs/{need['id']}", headers=as_volunteer).get_json()
    assert seen["address"] == "Flat 2, 10 Mare Street"
    assert (
        seen["requester"]["name"] == "Rita Resident"
        and seen["requester"]["phone"] == "07700 900111"
    )
    assert seen["status"] == "matched"
    # ... and the resident sees who is coming.
    own = client.get(f"/api/v1/needs/{need['id']}", headers=as_resident).get_json()
    assert [(v["name"], v["phone"]) for v in own["volunteers"]] == [
        ("Victor Volunteer", "07700 900222")
    ]
    mine = client.get("/api/v1/matches", headers=as_volunteer).get_json()["items"]
    assert [(m["id"], m["need"]["requester"]["phone"]) for m in mine] == [
        (proposal["id"], "07700 900111")
    ]

    # Both have an email waiting, with what they need to meet.
    mails = {m.to_email: m for m in outbox()}
    assert set(mails) == {resident.email, volunteer.email}
    assert (
        "Flat 2, 10 Mare Street" in mails[volunteer.email].body
        and "07700 900111" in mails[volunteer.email].body
    )
    assert "07700 900222" in mails[resident.email].body
    assert all(m.status == "pending" for m in mails.values())

    # Not done before the day it is for ...
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/complete", json={"hours": 2.5}, headers=as_volunteer
    )
    assert resp.status_code == 409
    assert "it can be recorded as done from that day" in resp.get_json()["message"]
    with app.app_context():  # ... which comes
        db.session.execute(
            sa.update(Need).where(Need.id == need["id"]).values(on_date=utcnow().date())
        )
        db.session.commit()
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/complete", json={"hours": 2.5}, headers=as_volunteer
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "completed" and resp.get_json()["hours"] == 2.5
    with app.app_context():
        assert db.session.scalar(sa.select(Need.status).where(Need.id == need["id"])) == "fulfilled"


def test_weekly_help_is_not_completed_by_hand_and_ends_after_its_last_day(
    client, scene, create_person, token_for, run_matching, app
):
    from mutualaid.scheduler import expiry_job

    resident, volunteer = create_person(), create_person()
    need = _post_need(
        client,
        token_for(resident),
        category="breakfast-club",
        skills=[],
        when={"weekly": [{"weekday": "tue", "start": "08:00", "end": "09:00"}]},
    )
    _post_offer(client, token_for(volunteer), skills=[])
    run_matching(scene)
    match_id = client.get("/api/v1/matches?group=hackney", headers=scene.headers).get_json()[
        "items"
    ][0]["id"]
    assert (
        client.post(f"/api/v1/matches/{match_id}/approve", headers=scene.headers).status_code == 200
    )
    resp = client.post(
        f"/api/v1/matches/{match_id}/complete", json={"hours": 1.5}, headers=scene.headers
    )
    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Weekly help is recorded session by session")
    expiry_job(app)  # not over yet: nothing changes
    with app.app_context():
        assert db.session.scalar(sa.select(Need.status).where(Need.id == need["id"])) == "matched"
        assert db.session.get(Match, match_id).status == "approved"
        # Its last day passes.
        db.session.execute(
            sa.update(Need)
            .where(Need.id == need["id"])
            .values(
                starts_on=utcnow().date() - timedelta(days=30),
                ends_on=utcnow().date() - timedelta(days=1),
            )
        )
        db.session.commit()
    expiry_job(app)
    with app.app_context():
        status = db.session.scalar(sa.select(Need.status).where(Need.id == need["id"]))
        assert status == "fulfilled"
        assert db.session.get(Match, match_id).status == "completed"

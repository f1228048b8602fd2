"""Coordinators hear of urgent needs, ended matches and failed runs: an email each time, a
daily digest, or nothing, as each chose per group."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import CoordinatorAlert, Match, Membership, OutboxMessage
from mutualaid.services import coordinator_alerts


def _mails(app):
    with app.app_context():
        return [
            (m.to_email, m.subject, m.body)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def _waiting(app):
    with app.app_context():
        return [
            (a.person_id, a.subject)
            for a in db.session.scalars(
                sa.select(CoordinatorAlert)
                .where(CoordinatorAlert.sent_dt.is_(None))
                .order_by(CoordinatorAlert.id)
            )
        ]


@pytest.fixture
def team(app, create_person, create_group):
    """Hackney with three coordinators: one each way."""
    now = create_person(name="Ida Immediate", email="ida@example.org")
    daily = create_person(name="Dev Digest", email="dev@example.org")
    quiet = create_person(name="Quinn Quiet", email="quinn@example.org")
    group = create_group(slug="hackney", coordinators=[now, daily, quiet])
    with app.app_context():
        for person, mode in ((daily, "digest"), (quiet, "off")):
            db.session.execute(
                sa.update(Membership)
                .where(Membership.person_id == person.id)
                .values(alert_mode=mode)
            )
        db.session.commit()
    return {"group": group, "now": now, "daily": daily, "quiet": quiet}


def _post_need(client, token_for, person, urgency):
    return client.post(
        "/api/v1/needs",
        json={
            "group": "hackney",
            "category": "food",
            "title": f"Shopping ({urgency})",
            "postcode": "E8 1AA",
            "when": {
                "date": (date.today() + timedelta(days=3)).isoformat(),
                "start": "09:00",
                "end": "11:00",
            },
            "urgency": urgency,
        },
        headers=token_for(person),
    )


def test_an_urgent_need_is_told_as_each_coordinator_chose(
    app, client, team, create_person, token_for
):
    resident = create_person(email="rita@example.org")
    assert _post_need(client, token_for, resident, "normal").status_code == 201
    assert _mails(app) == [] and _waiting(app) == []
    assert _post_need(client, token_for, resident, "high").status_code == 201
    mails = _mails(app)
    assert [(to, subject) for to, subject, _ in mails] == [
        ("ida@example.org", "Urgent need: Shopping (high)")
    ]
    assert "/needs/" in mails[0][2] and "rita@example.org" not in mails[0][2]
    assert _waiting(app) == [(team["daily"].id, "Urgent need: Shopping (high)")]

    with app.app_context():
        assert coordinator_alerts.send_digests() == 1
        db.session.commit()
    digest = _mails(app)[-1]
    assert digest[0] == "dev@example.org" and digest[1].startswith("Your daily digest: 1 thing")
    assert "Urgent need: Shopping (high)" in digest[2]
    assert _waiting(app) == []
    with app.app_context():
        assert coordinator_alerts.send_digests() == 0  # nothing twice


def test_a_cancelled_match_and_a_failed_run_are_told(
    app, client, team, create_person, create_need, create_offer, token_for, monkeypatch
):
    volunteer = create_person(email="vic@example.org")
    need = create_need(team["group"], title="Lift")
    offer = create_offer([team["group"]], volunteer=volunteer)
    with app.app_context():
        match = Match(need_id=need.id, offer_id=offer.id, status="approved", score=0.5)
        db.session.add(match)
        db.session.commit()
        match_id = match.id
    resp = client.post(
        f"/api/v1/matches/{match_id}/cancel",
        json={"reason": "Car broke"},
        headers=token_for(volunteer),
    )
    assert resp.status_code == 200
    coordinators = [to for to, subject, _ in _mails(app) if subject == "Match cancelled: Lift"]
    assert coordinators.count("ida@example.org") == 1
    assert "dev@example.org" not in coordinators and "quinn@example.org" not in coordinators
    assert (team["daily"].id, "Match cancelled: Lift") in _waiting(app)

    import matching

    def broken(*args, **kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(matching, "solve", broken)
    headers = token_for(team["now"])
    run = client.post("/api/v1/groups/hackney/matching-runs", headers=headers)
    assert run.status_code == 202
    assert client.get(run.headers["Location"], headers=headers).get_json()["status"] == "failed"
    failed = [m for m in _mails(app) if m[1].startswith("Matching failed")]
    assert [to for to, _, _ in failed] == ["ida@example.org"] and "the engine broke" in failed[0][2]
    assert any(s.startswith("Matching failed") for p, s in _waiting(app) if p == team["daily"].id)


def test_each_coordinator_chooses_on_a_page_or_through_the_api(
    app, client, team, browser, create_person, token_for
):
    page = browser(team["now"])
    assert 'value="immediate" checked' in page.get("/groups/hackney/alerts").text
    resp = page.post("/groups/hackney/alerts", data={"alert_mode": "digest"})
    assert resp.status_code == 303
    assert 'value="digest" checked' in page.get("/groups/hackney/alerts").text
    bad = page.post("/groups/hackney/alerts", data={"alert_mode": "pigeon"}, follow_redirects=True)
    assert "Choose one of: immediate, digest, off." in bad.text
    url = "/api/v1/groups/hackney/alerts"
    done = client.put(url, json={"alert_mode": "off"}, headers=token_for(team["now"]))
    assert done.status_code == 200 and done.get_json() == {"alert_mode": "off"}
    member = create_person()
    assert client.put(url, json={"alert_mode": "off"}, headers=token_for(member)).status_code == 403
    assert browser(member).get("/groups/hackney/alerts").status_code == 403
    assert (
        client.put(url, json={"alert_mode": "x"}, headers=token_for(team["now"])).status_code == 422
    )


def test_an_import_of_urgent_needs_alerts_nobody(app, team, browser):
    import io

    soon = (date.today() + timedelta(days=5)).isoformat()
    text = (
        "title,category,postcode,name,email,date,start,end,urgency\n"
        f"Shopping,food,E8 1AA,Ann,ann@example.org,{soon},09:00,10:00,high\n"
    )
    resp = browser(team["now"]).post(
        "/groups/hackney/import",
        data={"kind": "needs", "action": "import", "file": (io.BytesIO(text.encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and "Imported 1 needs" in resp.text
    assert [to for to, _, _ in _mails(app)] == ["ann@example.org"]  # the invitation only
    assert _waiting(app) == []


def test_a_claim_waiting_is_told_without_the_residents_details(
    app, client, team, create_person, create_need, create_offer, token_for
):
    resident = create_person(name="Rita Resident", email="rita@example.org", phone="07700 900123")
    volunteer = create_person(name="Vic Volunteer", email="vic@example.org")
    need = create_need(team["group"], requester=resident, title="Lift to the clinic")
    create_offer([team["group"]], volunteer=volunteer)
    resp = client.post(f"/api/v1/needs/{need.id}/claim", headers=token_for(volunteer))
    assert resp.status_code == 201, resp.get_json()
    subject = "A volunteer offered to help: Lift to the clinic"
    told = [(to, body) for to, s, body in _mails(app) if s == subject]
    assert [to for to, _ in told] == ["ida@example.org"]  # immediate; not Dev (digest), not Quinn
    assert (team["daily"].id, subject) in _waiting(app)
    body = told[0][1]
    assert "Vic Volunteer" in body and "/groups/hackney/matches" in body
    for private in ("Rita", "rita@example.org", "07700 900123", "Flat 2", "E8 1AA"):
        assert private not in body, private

"""A volunteer's optional daily digest of new needs they could help with: the opt-in (page and
API), what the engine's candidate test lets in, what it never says, and once a day."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mutualaid import scheduler
from mutualaid.extensions import db
from mutualaid.models import OutboxMessage, Person, utcnow
from mutualaid.services import needs_digest


def _mails(app, to=None):
    with app.app_context():
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if to is not None:
            query = query.where(OutboxMessage.to_email == to)
        return [(m.to_email, m.subject, m.body) for m in db.session.scalars(query)]


def _opt_in(app, person, wanted=True):
    with app.app_context():
        needs_digest.set_needs_digest(db.session.get(Person, person.id), wanted)
        db.session.commit()


def _send(app, now=None):
    with app.app_context():
        sent = needs_digest.send_needs_digests(now)
        db.session.commit()
        return sent


@pytest.fixture
def scene(create_person, create_group, create_offer):
    group = create_group(slug="hackney", name="Hackney Mutual Aid")
    volunteer = create_person(name="Val Volunteer", email="val@example.org")
    create_offer(groups=[group], volunteer=volunteer, skills=["cooking"], max_travel_km=5.0)
    resident = create_person(
        name="Rosa Residentname", email="rosa.private@example.org", phone="07700 900777"
    )
    return {"group": group, "volunteer": volunteer, "resident": resident}


def test_the_digest_lists_only_new_needs_the_engine_says_the_volunteer_could_take(
    app, scene, create_group, create_need, create_person
):
    group, volunteer, resident = scene["group"], scene["volunteer"], scene["resident"]
    _opt_in(app, volunteer)
    fits = create_need(group, requester=resident, skills=["cooking"], category="food")
    no_skill = create_need(group, requester=resident, skills=["legal-advice"])
    too_far = create_need(group, requester=resident, skills=["cooking"], postcode="E17 4AA")
    own = create_need(group, requester=volunteer, skills=["cooking"])
    other_group = create_group(slug="islington", postcode="N1 1AA", radius_km=5)
    elsewhere = create_need(other_group, requester=resident, postcode="N1 1AA")
    old = create_need(
        group, requester=resident, skills=["cooking"], created_dt=utcnow() - timedelta(days=3)
    )
    no_time = create_need(
        group,
        requester=resident,
        windows=[{"weekday": 2, "start": "20:00", "end": "22:00"}],  # the offer ends at 18:00
    )
    closed = create_need(group, requester=resident, status="cancelled")

    assert _send(app) == 1
    [(to, subject, body)] = _mails(app)
    assert to == "val@example.org"
    assert subject == "1 new request you could help with"
    assert f"/needs/{fits.id}\n" in body
    assert "Food" in body and "Cooking" in body and "in E8" in body
    for left_out in (no_skill, too_far, own, elsewhere, old, no_time, closed):
        assert f"/needs/{left_out.id}\n" not in body


def test_only_opted_in_verified_volunteers_get_a_digest(
    app, client, scene, create_need, create_person, create_offer
):
    group = scene["group"]
    create_need(group, requester=scene["resident"], skills=["cooking"])
    unverified = create_person(email="new@example.org", email_verified_dt=None)
    create_offer(groups=[group], volunteer=unverified, skills=["cooking"])
    _opt_in(app, unverified)
    assert _send(app) == 0  # the volunteer of the scene did not opt in
    assert _mails(app) == []

    _opt_in(app, scene["volunteer"])
    _opt_in(app, scene["volunteer"], wanted=False)
    assert _send(app) == 0

    _opt_in(app, scene["volunteer"])
    assert _send(app) == 1
    assert [to for to, _, _ in _mails(app)] == ["val@example.org"]


def test_the_digest_never_names_or_places_the_resident(app, scene, create_need):
    resident = scene["resident"]
    _opt_in(app, scene["volunteer"])
    need = create_need(
        scene["group"],
        requester=resident,
        skills=["cooking"],
        category="food",
        title="Soup for Rosa at home",
        description="Knock twice, ring 07700 900777",
        address="Flat 9, 99 Secret Road",
    )
    assert _send(app) == 1
    [(_, subject, body)] = _mails(app)
    for text in (subject, body):
        for private in (
            resident.name,
            "Rosa",
            resident.email,
            resident.phone,
            "Secret Road",
            "Flat 9",
            need.postcode,
            need.title,
            need.description,
            f"{need.lat:.3f}",
            f"{need.lon:.3f}",
        ):
            assert private not in text, private
    assert "E8" in body and "Food" in body and "Cooking" in body  # what it may say


def test_the_job_sends_once_a_day_and_then_only_what_is_new(app, scene, create_need):
    group, resident = scene["group"], scene["resident"]
    _opt_in(app, scene["volunteer"])
    first = create_need(group, requester=resident, skills=["cooking"])
    assert scheduler.digest_job(app) == 1
    assert scheduler.digest_job(app) == 0  # again the same day: nothing more
    assert len(_mails(app)) == 1

    second = create_need(group, requester=resident, skills=["cooking"])
    assert scheduler.digest_job(app) == 0  # still the same day
    assert _send(app, now=utcnow() + timedelta(days=1)) == 1
    last_body = _mails(app)[-1][2]
    assert f"/needs/{second.id}\n" in last_body
    assert f"/needs/{first.id}\n" not in last_body  # already in the first digest
    assert len(_mails(app)) == 2


def test_opting_in_through_the_api(app, client, scene, token_for):
    headers = token_for(scene["volunteer"])
    assert client.get("/api/v1/me", headers=headers).get_json()["needs_digest"] is False
    resp = client.patch("/api/v1/me", json={"needs_digest": True}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["needs_digest"] is True
    assert client.get("/api/v1/me", headers=headers).get_json()["needs_digest"] is True
    with app.app_context():
        assert db.session.get(Person, scene["volunteer"].id).is_needs_digest is True
    resp = client.patch("/api/v1/me", json={"needs_digest": "maybe"}, headers=headers)
    assert resp.status_code == 422
    assert "needs_digest" in resp.get_json()["errors"]
    resp = client.patch("/api/v1/me", json={"needs_digest": False}, headers=headers)
    assert resp.get_json()["needs_digest"] is False


def test_opting_in_on_the_account_page(app, scene, login):
    client = login(scene["volunteer"])
    page = client.get("/account").get_data(as_text=True)
    assert 'name="needs_digest"' in page and 'name="needs_digest" value="y" checked' not in page
    resp = client.post("/account/needs-digest", data={"needs_digest": "y"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Person, scene["volunteer"].id).is_needs_digest is True
    page = client.get("/account").get_data(as_text=True)
    assert 'name="needs_digest" value="y" checked' in page
    client.post("/account/needs-digest", data={})
    with app.app_context():
        assert db.session.get(Person, scene["volunteer"].id).is_needs_digest is False

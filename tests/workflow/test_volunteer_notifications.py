"""A volunteer hears when a coordinator approves, cancels or turns down their match; after
approval both sides see the same contact details (name, phone, email) on My matches, on the
need's page and in the approval email."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, OutboxMessage


def _mails(app, to):
    with app.app_context():
        return [
            (m.subject, m.body)
            for m in db.session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.to_email == to)
                .order_by(OutboxMessage.id)
            )
        ]


@pytest.fixture
def scene(app, create_person, create_group, create_offer, create_need, token_for):
    coordinator = create_person(name="Cora Coordinator", email="cora@example.org")
    group = create_group(slug="hackney", name="Hackney Mutual Aid", coordinators=[coordinator])
    volunteer = create_person(name="Vic Volunteer", email="vic@example.org", phone="07700 900111")
    create_offer(groups=[group], volunteer=volunteer, skills=["cooking"])
    resident = create_person(name="Rosa Resident", email="rosa@example.org", phone="07700 900222")
    need = create_need(
        group,
        requester=resident,
        skills=["cooking"],
        category="food",
        title="Cook a meal",
        address="Flat 9, 99 Secret Road",
    )
    return {
        "coordinator": token_for(coordinator),
        "volunteer": volunteer,
        "volunteer_headers": token_for(volunteer),
        "resident": resident,
        "need": need,
    }


def _claim(client, scene):
    resp = client.post(
        f"/api/v1/needs/{scene['need'].id}/claim", headers=scene["volunteer_headers"]
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def test_the_volunteer_hears_a_coordinator_turned_down_their_claim(app, client, scene):
    match_id = _claim(client, scene)
    assert _mails(app, "vic@example.org") == []
    resp = client.post(
        f"/api/v1/matches/{match_id}/reject",
        json={"reason": "Internal: Vic was late last time"},
        headers=scene["coordinator"],
    )
    assert resp.status_code == 200, resp.get_json()
    [(subject, body)] = _mails(app, "vic@example.org")
    assert subject == "Your offer to help was not taken up: Food in E8"
    assert "Hackney Mutual Aid" in body
    # not approved: nothing about the resident, and not the coordinators' internal note
    for private in ("Internal", "Rosa", "rosa@example.org", "07700 900222", "Secret Road"):
        assert private not in subject + body
    assert _mails(app, "rosa@example.org") == []


def test_a_run_proposal_turned_down_sends_no_mail(app, client, scene):
    match_id = _claim(client, scene)
    with app.app_context():  # as if a matching run had proposed it
        db.session.get(Match, match_id).is_claim = False
        db.session.commit()
    resp = client.post(
        f"/api/v1/matches/{match_id}/reject", json={"reason": "No"}, headers=scene["coordinator"]
    )
    assert resp.status_code == 200
    assert _mails(app, "vic@example.org") == []


def test_the_volunteer_hears_of_approval_and_of_a_coordinator_cancelling(app, client, scene):
    match_id = _claim(client, scene)
    resp = client.post(f"/api/v1/matches/{match_id}/approve", headers=scene["coordinator"])
    assert resp.status_code == 200, resp.get_json()
    [(subject, _)] = _mails(app, "vic@example.org")
    assert subject == "You are matched: Cook a meal"

    resp = client.post(
        f"/api/v1/matches/{match_id}/cancel",
        json={"reason": "Rosa is in hospital"},
        headers=scene["coordinator"],
    )
    assert resp.status_code == 200, resp.get_json()
    subject, body = _mails(app, "vic@example.org")[-1]
    assert subject == "Match cancelled: Cook a meal"
    assert "cancelled by Cora Coordinator" in body and "Rosa is in hospital" in body


def _contact_shown(html, person):
    """Name, phone (as a tel: link) and email (as a mailto: link) all on the page."""
    return (
        person.name in html
        and f'href="tel:{person.phone.replace(" ", "")}"' in html
        and f'href="mailto:{person.email}"' in html
    )


def test_the_same_contact_details_everywhere_after_approval(app, client, scene, login):
    match_id = _claim(client, scene)
    volunteer, resident, need = scene["volunteer"], scene["resident"], scene["need"]
    as_volunteer, as_resident = login(volunteer), login(resident)
    # before approval neither sees the other
    assert not _contact_shown(as_volunteer.get("/matches/mine").get_data(as_text=True), resident)
    assert not _contact_shown(
        as_volunteer.get(f"/needs/{need.id}").get_data(as_text=True), resident
    )
    assert not _contact_shown(as_resident.get("/matches/mine").get_data(as_text=True), volunteer)

    resp = client.post(f"/api/v1/matches/{match_id}/approve", headers=scene["coordinator"])
    assert resp.status_code == 200

    for page in ("/matches/mine", f"/needs/{need.id}"):
        html = as_volunteer.get(page).get_data(as_text=True)
        assert _contact_shown(html, resident), page
        html = as_resident.get(page).get_data(as_text=True)
        assert _contact_shown(html, volunteer), page
    [(_, to_volunteer)] = _mails(app, "vic@example.org")
    [(_, to_resident)] = _mails(app, "rosa@example.org")
    for body, person in ((to_volunteer, resident), (to_resident, volunteer)):
        assert person.name in body and person.phone in body and person.email in body

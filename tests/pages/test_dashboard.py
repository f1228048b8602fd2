"""Each person's dashboard, and where a need stands (progress) as its resident reads it."""

from __future__ import annotations

from datetime import date, timedelta

from mutualaid.extensions import db
from mutualaid.models import Match, MatchingRun, MatchStatus, Need, NeedStatus, RunStatus, utcnow
from mutualaid.services import progress as progress_service
from mutualaid.services.needs import refresh_need_status


def _match(app, need, offer, status):
    with app.app_context():
        row = Match(need_id=need.id, offer_id=offer.id, status=status, score=0.5)
        db.session.add(row)
        db.session.flush()
        refresh_need_status(db.session.get(Need, need.id))
        db.session.commit()
        return row.id


def _progress(app, need_id):
    with app.app_context():
        return progress_service.progress(db.session.get(Need, need_id))


def test_progress_from_posted_to_done(app, create_person, create_group, create_need, create_offer):
    group = create_group()
    need = create_need(group, volunteers_needed=2)
    assert _progress(app, need.id).code == "posted"
    with app.app_context():
        db.session.add(
            MatchingRun(
                group_id=group.id,
                trigger="manual",
                status=RunStatus.SUCCEEDED,
                started_dt=utcnow(),
                finished_dt=utcnow() + timedelta(seconds=1),
            )
        )
        db.session.commit()
    assert _progress(app, need.id).text == "We're looking for a volunteer."
    vera = create_person(name="Vera Volunteer")
    first = create_offer([group], volunteer=vera)
    match_id = _match(app, need, first, MatchStatus.PROPOSED)
    assert _progress(app, need.id).text.startswith("A volunteer has been suggested, waiting")
    with app.app_context():
        db.session.get(Match, match_id).status = MatchStatus.APPROVED
        refresh_need_status(db.session.get(Need, need.id))
        db.session.commit()
    assert _progress(app, need.id).text == "Vera Volunteer is coming; we're looking for 1 more."
    second = create_offer([group], volunteer=create_person(name="Will Walker"))
    _match(app, need, second, MatchStatus.APPROVED)
    assert _progress(app, need.id).text == "Agreed: Vera Volunteer and Will Walker are coming."
    with app.app_context():
        db.session.get(Need, need.id).status = NeedStatus.FULFILLED
        db.session.commit()
    assert _progress(app, need.id).code == "done"


def test_the_resident_sees_progress_and_others_do_not(
    app, client, create_person, create_group, create_need, create_offer, token_for
):
    group = create_group()
    resident = create_person()
    need = create_need(group, requester=resident)
    _match(app, need, create_offer([group]), MatchStatus.PROPOSED)
    mine = client.get(f"/api/v1/needs/{need.id}", headers=token_for(resident)).get_json()
    assert mine["progress"]["code"] == "suggested"
    other = create_person()
    theirs = client.get(f"/api/v1/needs/{need.id}", headers=token_for(other)).get_json()
    assert "progress" not in theirs


def test_the_resident_dashboard(login, create_person, create_group, create_need, create_offer, app):
    group = create_group(name="Hackney Mutual Aid")
    resident = create_person()
    need = create_need(group, requester=resident, title="Lift to the hospital")
    _match(app, need, create_offer([group]), MatchStatus.PROPOSED)
    html = login(resident).get("/").get_data(as_text=True)
    assert f"Hello, {resident.name}" in html
    assert "Lift to the hospital" in html and "waiting for a coordinator" in html
    assert "Offer your time" in html  # no offers yet
    assert "Flat 2, 10 Mare Street" not in html and "Groups you coordinate" not in html


def test_the_volunteer_dashboard(
    login, create_person, create_group, create_need, create_offer, app
):
    group = create_group()
    volunteer = create_person()
    offer = create_offer([group], volunteer=volunteer)
    past = create_need(group, title="Move a sofa", on_date=date.today() - timedelta(days=1))
    _match(app, past, offer, MatchStatus.APPROVED)
    html = login(volunteer).get("/").get_data(as_text=True)
    assert "1 of your 1 offer is active" in html
    assert "Move a sofa" in html and "Say how it went" in html
    assert "Flat 2, 10 Mare Street" not in html  # contact details stay on My matches


def test_the_coordinator_dashboard(
    login, create_person, create_group, create_need, create_offer, app
):
    coordinator = create_person()
    group = create_group(name="Cardiff Mutual Aid", coordinators=[coordinator])
    _match(app, create_need(group), create_offer([group]), MatchStatus.PROPOSED)
    html = login(coordinator).get("/").get_data(as_text=True)
    assert "Groups you coordinate" in html and "Cardiff Mutual Aid" in html
    assert "1 suggested match waits for you to approve or reject in Cardiff Mutual Aid." in html


def test_visitors_see_the_home_page(client, create_group):
    create_group(name="Hackney Mutual Aid")
    html = client.get("/").get_data(as_text=True)
    assert "Neighbours helping neighbours" in html and "Hackney Mutual Aid" in html

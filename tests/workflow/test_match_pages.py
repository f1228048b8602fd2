"""The workflow's pages: the coordinators' queue, run now, approve and reject, "My matches"."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, utcnow


def _only_match(app) -> Match:
    with app.app_context():
        match = db.session.scalar(sa.select(Match))
        db.session.expunge(match)
        return match


def test_coordinator_runs_matching_and_approves_from_the_queue(
    app, scene, browser, create_person, create_need, create_offer
):
    resident = create_person(name="Rita Resident", phone="07700 900111")
    volunteer = create_person(name="Victor Volunteer", phone="07700 900222")
    create_need(
        scene.group,
        requester=resident,
        title="Shopping for a neighbour",
        category="food",
        on_date=utcnow().date(),  # one-off help, today: it can be marked done
        windows=[{"weekday": utcnow().date().weekday(), "start": "09:00", "end": "11:00"}],
    )
    create_offer([scene.group], volunteer=volunteer)
    page = browser(scene.coordinator)

    empty = page.get("/groups/hackney/matches")
    assert empty.status_code == 200 and "Matching has not run for this group yet" in empty.text
    assert "Match queue" in empty.text  # the navigation link
    resp = page.post("/groups/hackney/matching-runs", follow_redirects=True)
    assert resp.status_code == 200 and "Matching started" in resp.text
    assert "<strong>succeeded</strong>, 1 proposals (1 new)" in resp.text  # the inline executor
    assert "Shopping for a neighbour" in resp.text and "Victor Volunteer" in resp.text
    assert "normal urgency, posted today, hasn&#39;t helped lately" in resp.text
    assert "closeness" not in resp.text and "Flat 2, 10 Mare Street" in resp.text

    match = _only_match(app)
    resp = page.post(f"/matches/{match.id}/reject", data={"reason": " "}, follow_redirects=True)
    assert "Say why the match is rejected" in resp.text
    assert resp.text.count("Say why the match is rejected") == 1  # said once, not twice
    resp = page.post(f"/matches/{match.id}/approve", follow_redirects=True)
    assert "Approved." in resp.text and "No proposals waiting" in resp.text
    assert _only_match(app).status == "approved"

    mine = browser(volunteer).get("/matches/mine")
    assert (
        "Shopping for a neighbour" in mine.text
        and "07700 900111" in mine.text
        and "Flat 2, 10 Mare Street" in mine.text
    )
    coming = browser(resident).get("/matches/mine")
    assert "Victor Volunteer" in coming.text and "07700 900222" in coming.text

    resp = browser(volunteer).post(
        f"/matches/{match.id}/complete", data={"hours": "2"}, follow_redirects=True
    )
    assert "Recorded as done" in resp.text and _only_match(app).hours == 2.0


def test_volunteer_sees_no_contact_before_approval_and_cannot_approve(
    app, scene, browser, create_person, create_need, create_offer
):
    volunteer = create_person()
    create_need(scene.group, title="Lift to the clinic")
    create_offer([scene.group], volunteer=volunteer)
    browser(scene.coordinator).post("/groups/hackney/matching-runs")
    page = browser(volunteer)
    mine = page.get("/matches/mine")
    assert "Lift to the clinic" in mine.text and "Waiting for a coordinator" in mine.text
    assert "Flat 2, 10 Mare Street" not in mine.text
    match = _only_match(app)
    resp = page.post(f"/matches/{match.id}/approve", follow_redirects=True)
    assert "Only the group" in resp.text and _only_match(app).status == "proposed"
    assert page.get("/groups/hackney/matches").status_code == 403
    assert page.post("/groups/hackney/matching-runs").status_code == 403


def test_another_groups_coordinator_gets_no_queue(scene, browser, create_person, create_group):
    outsider = create_person()
    create_group(coordinators=[outsider], slug="islington")
    assert browser(outsider).get("/groups/hackney/matches").status_code == 403
    assert (
        browser(outsider).get("/matches/queue").status_code == 302
    )  # to the one group they coordinate


def test_pages_need_a_login(client, scene):
    assert client.get("/matches/mine").status_code == 302
    assert client.get("/groups/hackney/matches").status_code == 302

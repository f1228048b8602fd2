"""Coordinators' notes and follow-up log on needs and matches: pages, API, privacy, audit."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Match, Note


def _match(app, need, offer, status="proposed"):
    with app.app_context():
        match = Match(need_id=need.id, offer_id=offer.id, status=status, score=0.8)
        db.session.add(match)
        db.session.commit()
        return match.id


def _notes(app):
    with app.app_context():
        return [
            (n.need_id, n.match_id, n.kind, n.body, n.author_id)
            for n in db.session.scalars(sa.select(Note).order_by(Note.id))
        ]


def test_a_coordinator_notes_a_call_on_a_need_and_it_is_audited(app, scene, browser, create_need):
    need = create_need(scene.group, title="Lift to the clinic")
    page = browser(scene.coordinator)
    shown = page.get(f"/needs/{need.id}")
    assert "Notes and follow-up (0)" in shown.text and "No notes yet." in shown.text

    resp = page.post(
        f"/needs/{need.id}/notes",
        data={
            "kind": "call",
            "body": "Called Amara, she's fine with Tuesday.",
            "follow_up_on": "2026-12-08",
        },
    )
    assert resp.status_code == 303
    shown = page.get(f"/needs/{need.id}")
    assert "Notes and follow-up (1)" in shown.text
    assert "Called Amara, she&#39;s fine with Tuesday." in shown.text
    assert "Phoned" in shown.text and "follow up on 08 Dec 2026" in shown.text
    assert "Cora Coordinator" in shown.text
    assert _notes(app) == [
        (need.id, None, "call", "Called Amara, she's fine with Tuesday.", scene.coordinator.id)
    ]
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "note"))
        note_id = db.session.scalar(sa.select(Note.id))
        assert (event.action, event.actor_id, event.entity_id) == (
            "create",
            scene.coordinator.id,
            str(note_id),
        )
        assert "Amara" not in str(event.changes)  # the text stays out of the trail


def test_a_refused_note_says_every_problem_and_saves_nothing(app, scene, browser, create_need):
    need = create_need(scene.group)
    resp = browser(scene.coordinator).post(
        f"/needs/{need.id}/notes",
        data={"kind": "telepathy", "body": "   ", "follow_up_on": "next tuesday"},
    )
    assert resp.status_code == 422
    assert "The note was not saved" in resp.text
    assert "Write the note." in resp.text
    assert "Choose one of: note, call, message, visit." in resp.text
    assert "Enter the date to follow up as a date" in resp.text
    assert 'value="next tuesday"' in resp.text  # what was typed is kept
    assert _notes(app) == []
    with app.app_context():
        noted = sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.entity_type == "note")
        assert db.session.scalar(noted) == 0


def test_match_notes_on_the_matchs_page(app, scene, browser, create_need, create_offer):
    volunteer_offer = create_offer([scene.group])
    match_id = _match(app, create_need(scene.group, title="Shopping"), volunteer_offer)
    page = browser(scene.coordinator)
    resp = page.post(
        f"/matches/{match_id}/notes", data={"body": "Volunteer asked for Thursday instead."}
    )
    assert resp.status_code == 303
    shown = page.get(f"/matches/{match_id}")
    assert shown.status_code == 200 and "Volunteer asked for Thursday instead." in shown.text
    assert "Back to the queue" in shown.text
    assert _notes(app)[0][:3] == (None, match_id, "note")
    queue = page.get("/groups/hackney/matches").text
    assert f'href="/matches/{match_id}"' in queue  # the queue links to each match's notes


def test_only_the_groups_coordinators_see_or_write_notes(
    app, client, scene, browser, create_person, create_group, create_need, create_offer, token_for
):
    resident = create_person()
    volunteer = create_person()
    other_coordinator = create_person()
    create_group(coordinators=[other_coordinator], slug="islington")
    need = create_need(scene.group, requester=resident)
    match_id = _match(app, need, create_offer([scene.group], volunteer=volunteer), "approved")
    browser(scene.coordinator).post(f"/needs/{need.id}/notes", data={"body": "Secret need note"})
    browser(scene.coordinator).post(f"/matches/{match_id}/notes", data={"body": "Secret match"})

    for person in (resident, volunteer, other_coordinator):
        page = browser(person)
        need_page = page.get(f"/needs/{need.id}")
        assert (
            "Secret need note" not in need_page.text and "Notes and follow-up" not in need_page.text
        )
        match_page = page.get(f"/matches/{match_id}")
        assert "Secret match" not in match_page.text
        assert page.post(f"/needs/{need.id}/notes", data={"body": "x"}).status_code == 403
        assert page.post(f"/matches/{match_id}/notes", data={"body": "x"}).status_code in (403, 404)
        headers = token_for(person)
        assert client.get(f"/api/v1/needs/{need.id}/notes", headers=headers).status_code == 403
        assert client.get(f"/api/v1/matches/{match_id}/notes", headers=headers).status_code in (
            403,
            404,
        )
        posted = client.post(f"/api/v1/needs/{need.id}/notes", json={"body": "x"}, headers=headers)
        assert posted.status_code == 403
    # A stranger is not told that the match exists.
    assert browser(other_coordinator).get(f"/matches/{match_id}").status_code == 404
    assert len(_notes(app)) == 2


def test_notes_through_the_api(app, client, scene, create_need, create_offer):
    need = create_need(scene.group)
    match_id = _match(app, need, create_offer([scene.group]))
    url = f"/api/v1/needs/{need.id}/notes"
    resp = client.post(
        url,
        json={"body": "  Left a voicemail. ", "kind": "call", "follow_up_on": "2026-12-01"},
        headers=scene.headers,
    )
    assert resp.status_code == 201, resp.get_json()
    note = resp.get_json()
    assert note["body"] == "Left a voicemail." and note["kind"] == "call"
    assert note["need"] == need.id and note["match"] is None
    assert note["author"] == {"id": scene.coordinator.id, "name": "Cora Coordinator"}
    assert note["follow_up_on"] == "2026-12-01"
    client.post(url, json={"body": "Second"}, headers=scene.headers)
    listed = client.get(url, headers=scene.headers).get_json()
    assert [n["body"] for n in listed] == ["Second", "Left a voicemail."]  # newest first

    bad = client.post(url, json={"body": "", "kind": "shout"}, headers=scene.headers)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"body", "kind"}
    blank = client.post(url, json={"body": "   "}, headers=scene.headers)
    assert blank.status_code == 422 and "body" in blank.get_json()["errors"]
    on_match = client.post(
        f"/api/v1/matches/{match_id}/notes", json={"body": "Checked"}, headers=scene.headers
    )
    assert on_match.status_code == 201 and on_match.get_json()["match"] == match_id
    assert client.get("/api/v1/needs/999999/notes", headers=scene.headers).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/needs/{need_id}/notes", "/api/v1/matches/{match_id}/notes"} <= set(paths)

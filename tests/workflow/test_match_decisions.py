"""Decisions on proposals: reject, decline, cancel, capacity, who may decide, and what runs
propose again."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, Need


def _queue(client, scene, status="proposed"):
    resp = client.get(
        f"/api/v1/matches?status={status}&group={scene.group.slug}", headers=scene.headers
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_rejected_pair_is_not_proposed_again(
    client, scene, create_need, create_offer, run_matching, matches_of
):
    need = create_need(scene.group, skills=[])
    first = create_offer([scene.group], postcode="E8 2AA")
    second = create_offer([scene.group], postcode="E8 3AA")
    run_matching(scene)
    [proposal] = _queue(client, scene)
    rejected_offer = proposal["offer"]["id"]
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/reject",
        json={"reason": "Not suitable"},
        headers=scene.headers,
    )
    assert resp.status_code == 200 and resp.get_json()["reason"] == "Not suitable"

    run_matching(scene)
    other = ({first.id, second.id} - {rejected_offer}).pop()
    assert [(p["need"]["id"], p["offer"]["id"]) for p in _queue(client, scene)] == [
        (need.id, other)
    ]
    run_matching(scene)  # and once more: still no duplicate and no comeback
    assert sorted(matches_of(need_id=need.id)) == sorted(
        [(need.id, rejected_offer, "rejected"), (need.id, other, "proposed")]
    )


def test_reject_needs_a_reason(client, scene, create_need, create_offer, run_matching):
    create_need(scene.group)
    create_offer([scene.group])
    run_matching(scene)
    [proposal] = _queue(client, scene)
    for body in ({}, {"reason": ""}):
        resp = client.post(
            f"/api/v1/matches/{proposal['id']}/reject", json=body, headers=scene.headers
        )
        assert resp.status_code == 422 and "reason" in resp.get_json()["errors"]
    assert _queue(client, scene)[0]["status"] == "proposed"


def test_a_kept_proposal_is_not_duplicated(
    client, scene, create_need, create_offer, run_matching, matches_of
):
    create_need(scene.group)
    create_offer([scene.group])
    first = run_matching(scene)
    [before] = _queue(client, scene)
    second = run_matching(scene)
    [after] = _queue(client, scene)
    # unchanged: the same row, not rewritten (it still names the run that proposed it)
    assert after["id"] == before["id"] and after["run_id"] == first["id"]
    assert second["stats"]["kept"] == 1 and second["stats"]["added"] == 0
    assert second["stats"]["changed"] == 0 and second["stats"]["replaced"] == 0
    assert len(matches_of()) == 1


def test_decline_frees_the_slot_and_the_pair_is_not_proposed_again(
    client,
    scene,
    create_person,
    create_need,
    create_offer,
    token_for,
    run_matching,
    matches_of,
    app,
    outbox,
):
    volunteer = create_person()
    # Weekly help that has not begun (begun, it would be stepped back from: test_commitments).
    need = create_need(scene.group, starts_on=date.today() + timedelta(days=7))
    offer = create_offer([scene.group], volunteer=volunteer)
    run_matching(scene)
    [proposal] = _queue(client, scene)
    assert (
        client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers).status_code
        == 200
    )
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/decline",
        json={"reason": "I moved away"},
        headers=token_for(volunteer),
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "declined"
    with app.app_context():
        assert db.session.scalar(sa.select(Need.status).where(Need.id == need.id)) == "open"
    run = run_matching(scene)
    assert run["stats"]["proposals"] == 0 and run["unmatched"][0]["need"] == need.id
    assert matches_of() == [(need.id, offer.id, "declined")]
    unmatched = client.get(
        f"/api/v1/groups/{scene.group.slug}/unmatched", headers=scene.headers
    ).get_json()
    assert unmatched["run_id"] == run["id"]
    assert [(u["need"], u["need_detail"]["title"]) for u in unmatched["items"]] == [
        (need.id, need.title)
    ]
    assert unmatched["items"][0]["reason"]
    # The resident hears that the approved volunteer has pulled out.
    declined = [m for m in outbox() if "declined" in m.subject]
    with app.app_context():
        resident_email = db.session.get(Need, need.id).requester.email
    resident_mail = [m for m in declined if m.to_email == resident_email]
    assert len(resident_mail) == 1 and "I moved away" in resident_mail[0].body
    # So do the coordinators, who approved it and now look for someone else.
    coordinator_mail = [m for m in declined if m.to_email == scene.coordinator.email]
    assert len(coordinator_mail) == 1 and "I moved away" in coordinator_mail[0].body


def test_cancel_reopens_the_need_for_another_volunteer(
    client, scene, create_person, create_need, create_offer, token_for, run_matching, app
):
    resident = create_person()
    need = create_need(scene.group, requester=resident)
    create_offer([scene.group])
    run_matching(scene)
    [proposal] = _queue(client, scene)
    client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers)
    resp = client.post(f"/api/v1/matches/{proposal['id']}/cancel", headers=token_for(resident))
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    later = create_offer([scene.group])
    run_matching(scene)
    assert [p["offer"]["id"] for p in _queue(client, scene)] == [later.id]
    with app.app_context():
        assert db.session.scalar(sa.select(Need.status).where(Need.id == need.id)) == "open"


def test_approval_respects_capacity_and_volunteers_needed(
    client, scene, create_need, create_offer, app, run_matching
):
    offer = create_offer([scene.group], capacity=1)
    needs = [create_need(scene.group) for _ in range(2)]
    with app.app_context():  # two proposals for one volunteer with room for one need
        for need in needs:
            db.session.add(Match(need_id=need.id, offer_id=offer.id, status="proposed", score=0.5))
        db.session.commit()
    first, second = _queue(client, scene)
    assert (
        client.post(f"/api/v1/matches/{first['id']}/approve", headers=scene.headers).status_code
        == 200
    )
    resp = client.post(f"/api/v1/matches/{second['id']}/approve", headers=scene.headers)
    assert resp.status_code == 409 and "capacity" in resp.get_json()["message"]
    assert resp.get_json()["code"] == "conflict"
    assert {m["status"] for m in _queue(client, scene, "proposed")} == {"proposed"}


def test_approve_all_above_a_score(client, scene, create_need, create_offer, app):
    offers = [create_offer([scene.group]) for _ in range(3)]
    need = create_need(scene.group, volunteers_needed=2)
    with app.app_context():
        for offer, score in zip(offers, (0.9, 0.8, 0.3)):
            db.session.add(
                Match(need_id=need.id, offer_id=offer.id, status="proposed", score=score)
            )
        db.session.commit()
    resp = client.post(
        f"/api/v1/groups/{scene.group.slug}/matches/approve-above",
        json={"min_score": 0.5},
        headers=scene.headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert [m["offer"]["id"] for m in resp.get_json()["approved"]] == [offers[0].id, offers[1].id]
    assert resp.get_json()["skipped"] == []
    assert [m["score"] for m in _queue(client, scene)] == [0.3]
    resp = client.post(
        f"/api/v1/groups/{scene.group.slug}/matches/approve-above",
        json={"min_score": 0.1},
        headers=scene.headers,
    )  # the need is full now: the last one is skipped, not approved
    assert resp.get_json()["approved"] == [] and len(resp.get_json()["skipped"]) == 1


def test_a_volunteer_cannot_approve(
    client, scene, create_person, create_need, create_offer, token_for, run_matching
):
    volunteer = create_person()
    create_need(scene.group)
    create_offer([scene.group], volunteer=volunteer)
    run_matching(scene)
    [proposal] = _queue(client, scene)
    resp = client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=token_for(volunteer))
    assert resp.status_code == 403 and resp.get_json()["code"] == "forbidden"
    resp = client.post(
        f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=token_for(volunteer)
    )
    assert resp.status_code == 403
    assert _queue(client, scene)[0]["status"] == "proposed"


def test_another_groups_coordinator_can_neither_see_nor_decide(
    client, scene, create_person, create_group, create_need, create_offer, token_for, run_matching
):
    outsider = create_person()
    create_group(coordinators=[outsider], slug="islington")
    create_need(scene.group)
    create_offer([scene.group])
    run = run_matching(scene)
    [proposal] = _queue(client, scene)
    headers = token_for(outsider)
    assert (
        client.get(f"/api/v1/matches?group={scene.group.slug}", headers=headers).status_code == 403
    )
    assert client.get(f"/api/v1/matches/{proposal['id']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/matching-runs/{run['id']}", headers=headers).status_code == 403
    assert (
        client.get(f"/api/v1/groups/{scene.group.slug}/unmatched", headers=headers).status_code
        == 403
    )
    for action, body in (("approve", None), ("reject", {"reason": "no"}), ("cancel", None)):
        resp = client.post(f"/api/v1/matches/{proposal['id']}/{action}", json=body, headers=headers)
        assert resp.status_code == 403, (action, resp.get_json())
    resp = client.post(
        f"/api/v1/groups/{scene.group.slug}/matches/approve-above",
        json={"min_score": 0},
        headers=headers,
    )
    assert resp.status_code == 403
    assert client.get("/api/v1/matches", headers=headers).get_json()["items"] == []
    assert _queue(client, scene)[0]["status"] == "proposed"


def test_bad_input_gets_clear_errors(
    client, scene, create_need, create_offer, run_matching, create_person, token_for
):
    create_need(scene.group)
    volunteer = create_person()
    create_offer([scene.group], volunteer=volunteer)
    run_matching(scene)
    [proposal] = _queue(client, scene)
    assert client.post("/api/v1/matches/999999/approve", headers=scene.headers).status_code == 404
    assert client.get("/api/v1/matching-runs/999999", headers=scene.headers).status_code == 404
    assert (
        client.post("/api/v1/groups/nowhere/matching-runs", headers=scene.headers).status_code
        == 404
    )
    assert client.get("/api/v1/matches?status=maybe", headers=scene.headers).status_code == 422
    assert client.post(f"/api/v1/matches/{proposal['id']}/approve").status_code == 401
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/complete", json={"hours": 2}, headers=scene.headers
    )
    assert resp.status_code == 409
    assert resp.get_json()["errors"]["status"] == ["Only an approved match can be completed."]
    assert resp.get_json()["message"].startswith("A proposed match cannot be completed.")
    client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers)
    for hours in (-1, 0, "two", None, 10_000):
        resp = client.post(
            f"/api/v1/matches/{proposal['id']}/complete",
            json={"hours": hours},
            headers=token_for(volunteer),
        )
        assert resp.status_code == 422 and "hours" in resp.get_json()["errors"], hours
    resp = client.post(
        f"/api/v1/matches/{proposal['id']}/reject",
        data="{not json",
        content_type="application/json",
        headers=scene.headers,
    )
    assert resp.status_code == 400
    assert (
        client.post(f"/api/v1/matches/{proposal['id']}/approve", headers=scene.headers).status_code
        == 409
    )

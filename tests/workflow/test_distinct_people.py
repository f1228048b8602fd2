"""A need's volunteers are distinct people, even when one person has several offers in the group."""

from __future__ import annotations

from mutualaid.extensions import db
from mutualaid.models import Match


def test_a_run_proposes_one_person_once_per_need(
    scene, create_person, create_need, create_offer, run_matching, matches_of
):
    volunteer = create_person(name="Two-offer Tess")
    first = create_offer([scene.group], volunteer=volunteer)
    second = create_offer([scene.group], volunteer=volunteer)
    need = create_need(scene.group, volunteers_needed=2)
    run = run_matching(scene)
    proposed = matches_of(need_id=need.id)
    assert len(proposed) == 1 and proposed[0][1] in {first.id, second.id}
    assert run["stats"]["proposals"] == 1


def test_a_two_offer_person_and_another_person_both_fill_a_two_volunteer_need(
    scene, create_person, create_need, create_offer, run_matching, matches_of
):
    # the two-offer person's offers score higher (longer reach), so keeping the best two
    # offers and then dropping one of the person's would leave a slot open
    volunteer = create_person(name="Two-offer Tess")
    first = create_offer([scene.group], volunteer=volunteer, max_travel_km=20.0)
    second = create_offer([scene.group], volunteer=volunteer, max_travel_km=20.0)
    other = create_offer([scene.group], max_travel_km=5.0)
    need = create_need(scene.group, volunteers_needed=2)
    run = run_matching(scene)
    proposed = {offer for _, offer, _ in matches_of(need_id=need.id)}
    assert len(proposed) == 2 and other.id in proposed
    assert len(proposed & {first.id, second.id}) == 1
    assert run["stats"]["proposals"] == 2 and run["stats"]["unmatched"] == 0


def test_approval_refuses_the_same_person_twice(
    scene, create_person, create_need, create_offer, app, client
):
    volunteer = create_person()
    first = create_offer([scene.group], volunteer=volunteer)
    second = create_offer([scene.group], volunteer=volunteer)
    need = create_need(scene.group, volunteers_needed=2)
    with app.app_context():
        rows = [
            Match(need_id=need.id, offer_id=o.id, status="proposed", score=0.5)
            for o in (first, second)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids = [m.id for m in rows]
    assert (
        client.post(f"/api/v1/matches/{ids[0]}/approve", headers=scene.headers).status_code == 200
    )
    resp = client.post(f"/api/v1/matches/{ids[1]}/approve", headers=scene.headers)
    assert resp.status_code == 409 and "already helping" in resp.get_json()["message"]


def test_a_person_already_helping_is_not_proposed_again(
    scene, create_person, create_need, create_offer, app, run_matching, matches_of
):
    volunteer = create_person()
    first = create_offer([scene.group], volunteer=volunteer)
    second = create_offer([scene.group], volunteer=volunteer)
    need = create_need(scene.group, volunteers_needed=2)
    with app.app_context():
        db.session.add(Match(need_id=need.id, offer_id=first.id, status="approved", score=0.5))
        db.session.commit()
    run_matching(scene)
    assert matches_of(need_id=need.id, status="proposed") == []
    assert (need.id, second.id, "proposed") not in matches_of()


def test_a_person_is_never_proposed_for_their_own_need(
    scene, create_person, create_need, create_offer, run_matching, matches_of
):
    both = create_person(name="Gives-and-takes Gita")
    own_offer = create_offer([scene.group], volunteer=both)
    other_offer = create_offer([scene.group])
    need = create_need(scene.group, requester=both, volunteers_needed=2)
    run = run_matching(scene)
    proposed = {offer for _, offer, _ in matches_of(need_id=need.id)}
    assert proposed == {other_offer.id}
    assert own_offer.id not in proposed
    assert run["stats"]["proposals"] == 1


def test_approval_refuses_a_match_to_ones_own_need(
    scene, create_person, create_need, create_offer, app, client
):
    both = create_person()
    own_offer = create_offer([scene.group], volunteer=both)
    need = create_need(scene.group, requester=both)
    with app.app_context():
        row = Match(need_id=need.id, offer_id=own_offer.id, status="proposed", score=0.5)
        db.session.add(row)
        db.session.commit()
        match_id = row.id
    resp = client.post(f"/api/v1/matches/{match_id}/approve", headers=scene.headers)
    assert resp.status_code == 409 and "their own need" in resp.get_json()["message"]
    with app.app_context():
        assert db.session.get(Match, match_id).status == "proposed"

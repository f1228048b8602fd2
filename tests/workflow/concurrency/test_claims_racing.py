"""Claims racing each other and a matching run, over HTTP on real threads."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match

from .conftest import race

CLAIM_RACES = 40


def test_two_claims_of_one_volunteer_make_one_proposal(served, bulk, scene, create_person, app):
    resident, volunteer = create_person(), create_person()
    needs = bulk.needs(scene.group.id, resident.id, CLAIM_RACES)
    bulk.offers(volunteer.id, scene.group.id, 1, capacity=CLAIM_RACES)
    token = served.token(volunteer)
    outcomes = []
    for need_id in needs:
        first, second = race(
            lambda n=need_id: served.call("POST", f"/api/v1/needs/{n}/claim", token),
            lambda n=need_id: served.call("POST", f"/api/v1/needs/{n}/claim", token),
        )
        outcomes.append((first.status, second.status))
    assert set(outcomes) <= {(201, 409), (409, 201)}, sorted(set(outcomes))
    with app.app_context():
        per_need = dict(
            db.session.execute(
                sa.select(Match.need_id, sa.func.count(Match.id)).group_by(Match.need_id)
            ).all()
        )
    assert per_need == {n: 1 for n in needs}


def test_a_run_racing_claims_keeps_every_claim_and_proposes_no_pair_twice(
    served, bulk, scene, create_person, app
):
    resident, volunteer = create_person(), create_person()
    needs = bulk.needs(scene.group.id, resident.id, CLAIM_RACES)
    bulk.offers(volunteer.id, scene.group.id, 1, capacity=CLAIM_RACES)
    bulk.offers(create_person().id, scene.group.id, 1, capacity=CLAIM_RACES)  # the run's choice
    token, coordinator = served.token(volunteer), served.token(scene.coordinator)

    def claims():
        return [served.call("POST", f"/api/v1/needs/{n}/claim", token) for n in needs]

    def runs():
        started = []
        for _ in range(3):
            reply = served.call(
                "POST", f"/api/v1/groups/{scene.group.slug}/matching-runs", coordinator
            )
            if reply.status == 202:
                started.append(served.wait_for_run(reply.body["id"], coordinator))
        return started

    made, finished = race(claims, runs)
    assert [r.status for r in made] == [201] * CLAIM_RACES, [r.body for r in made]
    assert finished and all(r["status"] == "succeeded" for r in finished), finished
    finished.append(runs()[0])  # and once more after every claim
    assert finished[-1]["status"] == "succeeded"
    with app.app_context():
        claimed = set(
            db.session.scalars(
                sa.select(Match.id).where(Match.is_claim.is_(True), Match.status == "proposed")
            )
        )
        pairs = db.session.execute(
            sa.select(Match.need_id, Match.offer_id, sa.func.count(Match.id))
            .where(Match.status == "proposed")
            .group_by(Match.need_id, Match.offer_id)
        ).all()
    assert claimed == {r.body["id"] for r in made}
    assert [p for p in pairs if p[2] > 1] == []

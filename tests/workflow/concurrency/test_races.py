"""Edits and approvals racing each other over HTTP, on real threads: nothing is over-committed."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, Need, Offer

from .conftest import race

NEED_RACES = 300
CAPACITY_RACES = 100


def test_lowering_a_need_races_an_approval_never_overfills(served, bulk, scene, create_person, app):
    resident, volunteer_a, volunteer_b = create_person(), create_person(), create_person()
    needs = bulk.needs(scene.group.id, resident.id, NEED_RACES, volunteers_needed=2)
    offers_a = bulk.offers(volunteer_a.id, scene.group.id, 1, capacity=NEED_RACES)
    offers_b = bulk.offers(volunteer_b.id, scene.group.id, 1, capacity=NEED_RACES)
    bulk.matches([(n, offers_a[0]) for n in needs], "approved")  # one of two places taken
    proposals = bulk.matches([(n, offers_b[0]) for n in needs], "proposed")
    resident_token, coordinator_token = served.token(resident), served.token(scene.coordinator)

    outcomes = []
    for need_id, match_id in zip(needs, proposals):
        lower, approve = race(
            lambda n=need_id: served.call(
                "PATCH", f"/api/v1/needs/{n}", resident_token, {"volunteers_needed": 1}
            ),
            lambda m=match_id: served.call(
                "POST", f"/api/v1/matches/{m}/approve", coordinator_token
            ),
        )
        outcomes.append((lower.status, approve.status))
        if lower.status == 422:
            assert "volunteers_needed" in lower.body["errors"], lower.body
    # one of the two wins each race, and the loser is told why; no other answer
    assert set(outcomes) <= {(200, 409), (422, 200)}, sorted(set(outcomes))
    with app.app_context():
        held = dict(
            db.session.execute(
                sa.select(Match.need_id, sa.func.count(Match.id))
                .where(Match.status == "approved")
                .group_by(Match.need_id)
            ).all()
        )
        wanted = dict(db.session.execute(sa.select(Need.id, Need.volunteers_needed)).all())
    over = [n for n in needs if held.get(n, 0) > wanted[n]]
    assert over == [], f"{len(over)} of {NEED_RACES} needs have more volunteers than places"


def test_lowering_a_capacity_races_an_approval_never_overcommits(
    served, bulk, scene, create_person, app
):
    resident, volunteer = create_person(), create_person()
    taken = bulk.needs(scene.group.id, resident.id, CAPACITY_RACES)
    wanted = bulk.needs(scene.group.id, resident.id, CAPACITY_RACES)
    offers = bulk.offers(volunteer.id, scene.group.id, CAPACITY_RACES, capacity=2)
    bulk.matches(list(zip(taken, offers)), "approved")  # one of two places taken
    proposals = bulk.matches(list(zip(wanted, offers)), "proposed")
    volunteer_token, coordinator_token = served.token(volunteer), served.token(scene.coordinator)

    outcomes = []
    for offer_id, match_id in zip(offers, proposals):
        lower, approve = race(
            lambda o=offer_id: served.call(
                "PATCH", f"/api/v1/offers/{o}", volunteer_token, {"capacity": 1}
            ),
            lambda m=match_id: served.call(
                "POST", f"/api/v1/matches/{m}/approve", coordinator_token
            ),
        )
        outcomes.append((lower.status, approve.status))
        if lower.status == 422:
            assert "capacity" in lower.body["errors"], lower.body
    assert set(outcomes) <= {(200, 409), (422, 200)}, sorted(set(outcomes))
    with app.app_context():
        busy = dict(
            db.session.execute(
                sa.select(Match.offer_id, sa.func.count(Match.id))
                .where(Match.status == "approved")
                .group_by(Match.offer_id)
            ).all()
        )
        capacity = dict(db.session.execute(sa.select(Offer.id, Offer.capacity)).all())
    over = [o for o in offers if busy.get(o, 0) > capacity[o]]
    assert over == [], f"{len(over)} of {CAPACITY_RACES} offers are over capacity"

"""Volunteers choose: browse open needs (list and map points), claim one, preview a need."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.models import Match, MatchStatus
from mutualaid.services import matching_runs
from mutualaid.services import preview as preview_service

TUESDAY_MORNING = [{"weekday": 1, "start": "09:00", "end": "11:00"}]
THURSDAY_EVENING = [{"weekday": 3, "start": "18:00", "end": "19:00"}]


@pytest.fixture
def scene(hackney, create_person, create_need, create_offer, token_for):
    """Hackney with a volunteer (cooking, E8 2AA, 5 km, free every day 08-18) and three needs."""
    group, coordinator = hackney
    volunteer = create_person(name="Vera Volunteer")
    offer = create_offer(groups=[group], volunteer=volunteer, skills=["cooking", "shopping"])
    needs = {
        "cooking": create_need(
            group, skills=["cooking"], category="food", title="Cook a meal", windows=TUESDAY_MORNING
        ),
        "legal": create_need(
            group, skills=["legal-advice"], category="legal-aid", title="Read a letter"
        ),
        "evening": create_need(
            group, category="befriending", title="Evening call", windows=THURSDAY_EVENING
        ),
    }
    return {
        "group": group,
        "coordinator": coordinator,
        "volunteer": volunteer,
        "offer": offer,
        "needs": needs,
        "headers": token_for(volunteer),
        "coordinator_headers": token_for(coordinator),
    }


def _titles(body):
    return {item["title"] for item in body["items"]}


def test_browse_lists_the_open_needs_of_my_groups(client, scene, create_group, create_need):
    elsewhere = create_group(slug="islington", postcode="N1 1AA", radius_km=5)
    create_need(elsewhere, postcode="N1 1AA", title="Not my group")
    resp = client.get("/api/v1/browse/needs", headers=scene["headers"])
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert _titles(body) == {"Cook a meal", "Read a letter", "Evening call"}
    assert body["total"] == 3 and body["offer"] == scene["offer"].id
    assert body["groups"] == ["hackney"]
    item = next(i for i in body["items"] if i["title"] == "Cook a meal")
    assert (item["lat"], item["lon"]) == pytest.approx(geo.district_centre("E8"))
    assert item["distance_band"] == "under 1 km" and item["category_name"] == "Food"
    # the three needs are in E8: one map point holds them all
    [point] = body["markers"]
    assert point["district"] == "E8" and len(point["needs"]) == 3
    assert (point["lat"], point["lon"]) == pytest.approx(geo.district_centre("E8"))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("category=food", {"Cook a meal"}),
        ("skill=legal-advice", {"Read a letter"}),
        ("day=thu", {"Evening call"}),
        ("day=tuesday", {"Cook a meal", "Read a letter"}),
        ("within_km=50", {"Cook a meal", "Read a letter", "Evening call"}),
    ],
)
def test_browse_filters(client, scene, query, expected):
    body = client.get(f"/api/v1/browse/needs?{query}", headers=scene["headers"]).get_json()
    assert _titles(body) == expected


def test_browse_distance_is_measured_from_the_chosen_offer(
    client, scene, create_offer, create_need
):
    far = create_offer(groups=[scene["group"]], volunteer=scene["volunteer"], postcode="E17 4AA")
    near_e17 = create_need(scene["group"], postcode="E17 4AA", title="In Walthamstow")
    body = client.get(
        f"/api/v1/browse/needs?within_km=2&offer={far.id}", headers=scene["headers"]
    ).get_json()
    assert body.get("offer") == far.id and _titles(body) == {"In Walthamstow"}, body
    body = client.get("/api/v1/browse/needs?within_km=2", headers=scene["headers"]).get_json()
    assert "In Walthamstow" not in _titles(body) and near_e17.id not in {
        i["id"] for i in body["items"]
    }


def test_browse_refuses_someone_elses_offer(client, scene, create_offer, assert_error):
    other = create_offer(groups=[scene["group"]])
    resp = client.get(f"/api/v1/browse/needs?offer={other.id}", headers=scene["headers"])
    assert_error(resp, 422, "offer")


def test_browse_leaves_out_my_own_and_closed_needs(client, scene, create_need):
    create_need(scene["group"], requester=scene["volunteer"], title="My own")
    create_need(scene["group"], title="Closed one", status="cancelled")
    create_need(
        scene["group"], title="Past", on_date=date.today() - timedelta(days=3), windows=None
    )
    body = client.get("/api/v1/browse/needs", headers=scene["headers"]).get_json()
    assert not {"My own", "Closed one", "Past"} & _titles(body)


def test_browse_without_an_offer_is_empty(client, hackney, create_person, create_need, token_for):
    create_need(hackney[0])
    body = client.get("/api/v1/browse/needs", headers=token_for(create_person())).get_json()
    assert body["items"] == [] and body["markers"] == [] and body["offer"] is None


# --- claims -------------------------------------------------------------------------------------


def test_claim_makes_a_proposal_marked_as_a_claim(client, app, scene):
    need = scene["needs"]["cooking"]
    resp = client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"])
    body = resp.get_json()
    assert resp.status_code == 201, body
    assert body["status"] == "proposed" and body["claim"] is True
    assert body["offer"]["id"] == scene["offer"].id and body["need"]["id"] == need.id
    assert body["distance_km"] is None and body["distance_band"] == "under 1 km"
    listed = client.get("/api/v1/browse/needs", headers=scene["headers"]).get_json()
    item = next(i for i in listed["items"] if i["id"] == need.id)
    assert item["claimed"] is True and item["proposed"] is True
    # the coordinators see it in their queue, marked, and approve it like any other
    queue = client.get(
        "/api/v1/matches?group=hackney", headers=scene["coordinator_headers"]
    ).get_json()
    assert [(m["id"], m["claim"]) for m in queue["items"]] == [(body["id"], True)]
    approved = client.post(
        f"/api/v1/matches/{body['id']}/approve", headers=scene["coordinator_headers"]
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"


@pytest.mark.parametrize(
    "which, status, words",
    [
        ("legal", 422, "Legal advice"),
        ("evening", 422, "not free"),
    ],
)
def test_an_unsuitable_claim_is_refused_with_the_engines_reason(
    client, app, scene, assert_error, which, status, words
):
    need = scene["needs"][which]
    body = assert_error(
        client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]), status, "need"
    )
    assert words in body["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_a_claim_out_of_reach_is_refused(
    client, app, hackney, create_person, create_offer, create_need, token_for, assert_error
):
    volunteer = create_person()
    create_offer(groups=[hackney[0]], volunteer=volunteer, postcode="E8 2AA", max_travel_km=0.5)
    need = create_need(hackney[0], postcode="E8 4AA")
    body = assert_error(
        client.post(f"/api/v1/needs/{need.id}/claim", headers=token_for(volunteer)), 422, "need"
    )
    assert "further away than you said you would travel (0.5 km)" in body["message"]


def test_claims_that_make_no_sense_are_409(
    client, app, scene, create_need, create_person, token_for, assert_error
):
    mine = create_need(scene["group"], requester=scene["volunteer"], skills=["cooking"])
    body = assert_error(
        client.post(f"/api/v1/needs/{mine.id}/claim", headers=scene["headers"]), 409
    )
    assert "your own request" in body["message"]

    need = scene["needs"]["cooking"]
    assert (
        client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]).status_code == 201
    )
    body = assert_error(
        client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]), 409
    )
    assert "already offered to help" in body["message"]

    stranger = token_for(create_person())
    body = assert_error(client.post(f"/api/v1/needs/{need.id}/claim", headers=stranger), 409)
    assert "no active offer in Hackney Mutual Aid" in body["message"]

    closed = create_need(scene["group"], skills=["cooking"], status="cancelled")
    body = assert_error(
        client.post(f"/api/v1/needs/{closed.id}/claim", headers=scene["headers"]), 409
    )
    assert "no longer looking" in body["message"]
    assert_error(client.post("/api/v1/needs/999999/claim", headers=scene["headers"]), 404)


def test_already_helping_is_409(client, app, scene, assert_error):
    need = scene["needs"]["cooking"]
    with app.app_context():
        db.session.add(
            Match(need_id=need.id, offer_id=scene["offer"].id, status=MatchStatus.APPROVED)
        )
        db.session.commit()
    body = assert_error(
        client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]), 409
    )
    assert "already helping" in body["message"]


def test_a_rejected_volunteer_cannot_claim_again(client, app, scene, assert_error):
    need = scene["needs"]["cooking"]
    with app.app_context():
        db.session.add(
            Match(need_id=need.id, offer_id=scene["offer"].id, status=MatchStatus.REJECTED)
        )
        db.session.commit()
    body = assert_error(
        client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]), 422, "need"
    )
    assert "already decided" in body["message"]


def test_a_run_keeps_a_claim_and_a_claim_takes_over_a_runs_proposal(client, app, scene):
    need = scene["needs"]["cooking"]
    claim = client.post(f"/api/v1/needs/{need.id}/claim", headers=scene["headers"]).get_json()
    # the volunteer gets busier: no longer free on Tuesdays, so a run would not propose them
    with app.app_context():
        from mutualaid.models import Offer

        offer = db.session.get(Offer, scene["offer"].id)
        offer.availability = [{"weekday": 5, "start": "08:00", "end": "18:00"}]
        db.session.commit()
        run = matching_runs.execute_run(scene["group"])
        assert run.status == "succeeded", run.error
        row = db.session.get(Match, claim["id"])
        assert row is not None and row.status == "proposed" and row.is_claim

    # a run's proposal the volunteer then claims becomes a claim (same row)
    other = scene["needs"]["evening"]
    with app.app_context():
        offer = db.session.get(Offer, scene["offer"].id)
        offer.availability = [{"weekday": 3, "start": "17:00", "end": "20:00"}]
        db.session.commit()
        matching_runs.execute_run(scene["group"])
        proposed = db.session.scalar(sa.select(Match).where(Match.need_id == other.id))
        assert proposed is not None and not proposed.is_claim
        proposed_id = proposed.id
    resp = client.post(f"/api/v1/needs/{other.id}/claim", headers=scene["headers"])
    assert resp.status_code == 201 and resp.get_json()["id"] == proposed_id
    assert resp.get_json()["claim"] is True


# --- the preview ----------------------------------------------------------------------------


def _preview_body(**overrides):
    body = {
        "group": "hackney",
        "skills": ["cooking"],
        "postcode": "E8 1AA",
        "when": {"weekly": [{"weekday": "tue", "start": "09:00", "end": "10:00"}]},
    }
    body.update(overrides)
    return body


def test_preview_counts_people_who_could_help(
    client, scene, create_offer, create_person, token_for
):
    resident = token_for(create_person())
    # a second offer of the same volunteer counts once
    create_offer(groups=[scene["group"]], volunteer=scene["volunteer"], skills=["cooking"])
    create_offer(groups=[scene["group"]], skills=["cooking"])  # someone else
    create_offer(groups=[scene["group"]], skills=["cooking"], postcode="E17 4AA")  # too far
    create_offer(groups=[scene["group"]], skills=["driving"])  # no skill
    create_offer(
        groups=[scene["group"]],
        skills=["cooking"],
        availability=[{"weekday": 5, "start": "08:00", "end": "18:00"}],
    )  # not free
    resp = client.post("/api/v1/needs/preview", json=_preview_body(), headers=resident)
    body = resp.get_json()
    assert resp.status_code == 200, body
    assert body == {
        "volunteers": 2,
        "message": "2 volunteers in Hackney Mutual Aid could help with this.",
    }
    body = client.post(
        "/api/v1/needs/preview", json=_preview_body(remote_ok=True), headers=resident
    ).get_json()
    assert body["volunteers"] == 3  # the far one too
    body = client.post(
        "/api/v1/needs/preview", json=_preview_body(skills=["legal-advice"]), headers=resident
    ).get_json()
    assert body["volunteers"] == 0 and "No volunteer" in body["message"]


def test_preview_follows_changes_to_the_offers(
    client, app, scene, create_offer, create_person, monkeypatch
):
    monkeypatch.setattr(preview_service, "RECHECK_SECONDS", 0.0)  # read the version each time
    headers = scene["coordinator_headers"]

    def count(**overrides):
        body = _preview_body(**overrides)
        return client.post("/api/v1/needs/preview", json=body, headers=headers).get_json()[
            "volunteers"
        ]

    assert count() == 1
    other = create_offer(groups=[scene["group"]], skills=["cooking"])
    assert count() == 2
    client.delete(f"/api/v1/offers/{scene['offer'].id}", headers=scene["headers"])
    assert count() == 1
    # an approval fills the other offer (capacity 1): nobody is left
    with app.app_context():
        db.session.add(
            Match(need_id=scene["needs"]["legal"].id, offer_id=other.id, status="approved")
        )
        db.session.commit()
    assert count() == 0
    # a verified check counts, an unverified one not
    checked = create_offer(groups=[scene["group"]], skills=["first-aid"], verified=False)
    assert count(skills=["first-aid"]) == 0
    resp = client.post(
        f"/api/v1/offers/{checked.id}/credentials",
        json={"skill": "first-aid", "expires_on": (date.today() + timedelta(days=90)).isoformat()},
        headers=headers,
    )
    assert resp.status_code in (200, 201), resp.get_json()
    assert count(skills=["first-aid"]) == 1


def test_preview_leaves_out_the_asker(client, scene):
    body = client.post(
        "/api/v1/needs/preview", json=_preview_body(), headers=scene["headers"]
    ).get_json()
    assert body["volunteers"] == 0


def test_preview_errors(client, scene, assert_error):
    headers = scene["coordinator_headers"]
    assert_error(
        client.post(
            "/api/v1/needs/preview", json=_preview_body(postcode="N1 1AA"), headers=headers
        ),
        422,
        "postcode",
    )
    assert_error(
        client.post("/api/v1/needs/preview", json=_preview_body(group="nowhere"), headers=headers),
        422,
        "group",
    )
    assert_error(
        client.post("/api/v1/needs/preview", json=_preview_body(when={}), headers=headers), 422
    )
    assert_error(client.post("/api/v1/needs/preview", json=_preview_body()), 401)


def test_the_new_operations_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/browse/needs"]
    assert "post" in paths["/api/v1/needs/{need_id}/claim"]
    assert "post" in paths["/api/v1/needs/preview"]
    assert "get" in paths["/api/v1/groups/{slug}/public-needs"]
    assert "put" in paths["/api/v1/groups/{slug}/public-page"]
    claim = paths["/api/v1/needs/{need_id}/claim"]["post"]["responses"]
    assert {"201", "404", "409", "422"} <= set(claim)

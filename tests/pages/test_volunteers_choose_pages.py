"""Volunteers choose, on the pages: "Find a need" (list and map data), "I can help with this",
and "Who could help" on the need form (the button without JavaScript, the script's endpoint)."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.models import Match, Need

TUESDAY = [{"weekday": 1, "start": "09:00", "end": "11:00"}]


@pytest.fixture
def scene(create_group, create_person, create_need, create_offer, login):
    coordinator = create_person(name="Cora Coordinator")
    group = create_group(slug="hackney", name="Hackney Mutual Aid", coordinators=[coordinator])
    volunteer = create_person(name="Vera Volunteer")
    offer = create_offer(groups=[group], volunteer=volunteer, skills=["cooking"])
    resident = create_person(name="Rosa Resident", phone="07700 123456")
    cooking = create_need(
        group,
        requester=resident,
        skills=["cooking"],
        category="food",
        title="Cook a meal",
        address="Flat 9, 1 Hidden Road",
        windows=TUESDAY,
    )
    legal = create_need(group, skills=["legal-advice"], title="Read a letter", postcode="E9 5AA")
    return {
        "group": group,
        "volunteer": volunteer,
        "offer": offer,
        "resident": resident,
        "cooking": cooking,
        "legal": legal,
        "client": login(volunteer),
        "coordinator": login(coordinator),
    }


def _markers(text: str) -> list[dict]:
    found = re.search(r"data-markers='([^']*)'", text)
    assert found, "no map data on the page"
    return json.loads(html.unescape(found.group(1)))


def test_browse_page_lists_needs_and_map_points(scene):
    resp = scene["client"].get("/needs/browse")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Cook a meal" in text and "Read a letter" in text and "2 open needs" in text
    points = {p["district"]: p for p in _markers(text)}
    assert set(points) == {"E8", "E9"}
    assert (points["E8"]["lat"], points["E8"]["lon"]) == pytest.approx(geo.district_centre("E8"))
    assert points["E8"]["needs"] == [
        {"id": scene["cooking"].id, "title": "Cook a meal", "url": f"/needs/{scene['cooking'].id}"}
    ]
    assert "vendor/leaflet/leaflet.js" in text and "js/needs-map.js" in text
    csp = resp.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_only_the_map_pages_may_load_tiles(scene):
    for path in ("/needs/mine", "/offers/mine", "/needs/new", "/"):
        csp = scene["client"].get(path).headers["Content-Security-Policy"]
        assert "openstreetmap" not in csp, path


def test_browse_page_filters_without_javascript(scene):
    text = scene["client"].get("/needs/browse?category=food&skill=&day=tue").get_data(as_text=True)
    assert "Cook a meal" in text and "Read a letter" not in text and "1 open need" in text
    assert '<option value="food" selected>' in text and '<option value="tue" selected>' in text
    text = scene["client"].get("/needs/browse?day=fri").get_data(as_text=True)
    assert "No open need matches these filters." in text and "data-markers" not in text


def test_browse_page_reports_a_bad_filter(scene):
    resp = scene["client"].get("/needs/browse?within_km=-3")
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)


def test_browse_page_without_an_offer(scene, login, create_person):
    text = login(create_person()).get("/needs/browse").get_data(as_text=True)
    assert "Offer your time" in text and "Cook a meal" not in text


def test_claim_from_the_need_page(app, scene):
    client, need = scene["client"], scene["cooking"]
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "I can help with this" in page
    resp = client.post(f"/needs/{need.id}/claim")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/needs/{need.id}")
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "You offered to help with this" in page and "I can help with this</button>" not in page
    with app.app_context():
        [match] = db.session.scalars(sa.select(Match)).all()
        assert match.is_claim and match.status == "proposed" and match.need_id == need.id


def test_an_unsuitable_claim_says_why_on_the_page(app, scene):
    client, need = scene["client"], scene["legal"]
    resp = client.post(f"/needs/{need.id}/claim", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "This request needs Legal advice" in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_no_claim_button_on_my_own_need_or_without_an_offer(scene, login, create_person):
    need = scene["cooking"]
    own = login(scene["resident"]).get(f"/needs/{need.id}").get_data(as_text=True)
    assert "I can help with this" not in own
    stranger = login(create_person()).get(f"/needs/{need.id}").get_data(as_text=True)
    assert "I can help with this" not in stranger


def test_check_button_shows_the_count_and_saves_nothing(app, scene, login, need_form):
    client = login(scene["resident"])
    form = need_form(scene["group"], skills=["cooking"], title="", check="1")
    form.update(when_kind="weekly", date="", start="", end="")
    form.update({"weekly-0-weekday": "tue", "weekly-0-start": "09:00", "weekly-0-end": "10:00"})
    resp = client.post("/needs/new", data=form)
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "1 volunteer in Hackney Mutual Aid could help with this." in text
    assert "There is a problem" not in text  # the empty title waits for the real submit
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 2  # the scene's two


def test_preview_endpoint_for_the_script(scene, login, need_form):
    client = login(scene["resident"])
    form = need_form(scene["group"], skills=["cooking"], when_kind="weekly")
    form.update({"weekly-0-weekday": "tue", "weekly-0-start": "09:00", "weekly-0-end": "10:00"})
    body = client.post("/needs/preview", data=form).get_json()
    assert body == {
        "volunteers": 1,
        "message": "1 volunteer in Hackney Mutual Aid could help with this.",
    }
    body = client.post("/needs/preview", data={"postcode": "E8 1AA"}).get_json()
    assert body["volunteers"] is None and "Choose the group" in body["message"]


def test_share_description_is_kept(app, scene, login, need_form):
    client = login(scene["resident"])
    resp = client.post("/needs/new", data=need_form(scene["group"], share_description="y"))
    assert resp.status_code == 302
    with app.app_context():
        need = db.session.scalars(sa.select(Need).order_by(Need.id.desc())).first()
        assert need.is_description_public is True


def test_preview_on_the_edit_form_takes_the_needs_group_for_its_owner_only(
    scene, login, create_person
):
    need = scene["cooking"]
    form = {
        "need_id": str(need.id),
        "skills": "cooking",
        "postcode": "E8 1AA",
        "when_kind": "weekly",
        "weekly-0-weekday": "tue",
        "weekly-0-start": "09:00",
        "weekly-0-end": "10:00",
    }
    owner = login(scene["resident"]).post("/needs/preview", data=form).get_json()
    assert owner["volunteers"] == 1
    stranger = login(create_person()).post("/needs/preview", data=form).get_json()
    assert stranger["volunteers"] is None
    page = login(scene["resident"]).get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert f'name="need_id" value="{need.id}"' in page and "Check who could help" in page

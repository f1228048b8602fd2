"""Privacy of what volunteers choose from: the browse list, the map data, a claim, the preview
and the public page show no address, name, phone, email, full postcode or exact point of a
resident (nor of another volunteer)."""

from __future__ import annotations

import pytest

from mutualaid import geo

ADDRESS = "Flat 7, 31 Secret Row"
RESIDENT = {"name": "Rosa Private", "email": "rosa.private@example.org", "phone": "07700 111222"}
OTHER_VOLUNTEER = {
    "name": "Otto Otherhelper",
    "email": "otto.other@example.org",
    "phone": "07700 555666",
}
POSTCODE = "E8 4AA"


@pytest.fixture
def world(client, hackney, create_person, create_need, create_offer, token_for, login):
    group, coordinator = hackney
    resident = create_person(**RESIDENT)
    volunteer = create_person(name="Viktor Helper")
    create_offer(groups=[group], volunteer=volunteer, skills=["cooking"])
    create_offer(
        groups=[group],
        volunteer=create_person(**OTHER_VOLUNTEER),
        skills=["cooking"],
        note="Key safe code 4321",
    )
    need = create_need(
        group,
        requester=resident,
        skills=["cooking"],
        postcode=POSTCODE,
        address=ADDRESS,
        title="Soup please",
        description="Ring twice",
        is_description_public=False,
    )
    point = geo.resolve(POSTCODE)
    assert (point.lat, point.lon) != geo.district_centre("E8")  # an exact point to hide
    client.put(
        "/api/v1/groups/hackney/public-page",
        json={"published": True},
        headers=token_for(coordinator),
    )
    return {
        "need": need,
        "point": (point.lat, point.lon),
        "headers": token_for(volunteer),
        "page": login(volunteer),
        "resident_page": login(resident),
    }


def _leaks(text: str, point: tuple[float, float]) -> list[str]:
    secrets = [ADDRESS, POSTCODE, *RESIDENT.values(), *OTHER_VOLUNTEER.values(), "Key safe"]
    secrets += [repr(point[0]), repr(point[1]), f"{point[0]:.4f}", f"{point[1]:.4f}"]
    return [s for s in secrets if s in text]


def test_browse_list_and_map_data(client, world):
    for resp in (
        client.get("/api/v1/browse/needs", headers=world["headers"]),
        client.get("/api/v1/browse/needs?within_km=5&day=tue", headers=world["headers"]),
        world["page"].get("/needs/browse"),
        world["page"].get("/needs/browse?category=legal-aid"),
    ):
        assert resp.status_code == 200
        assert _leaks(resp.get_data(as_text=True), world["point"]) == []
    body = client.get("/api/v1/browse/needs", headers=world["headers"]).get_json()
    assert body["items"] and body["markers"]
    for item in body["items"]:
        assert not {"address", "postcode", "requester", "description"} & set(item)


def test_claim(client, world):
    need = world["need"]
    resp = client.post(f"/api/v1/needs/{need.id}/claim", headers=world["headers"])
    assert resp.status_code == 201
    assert _leaks(resp.get_data(as_text=True), world["point"]) == []
    claim = resp.get_json()
    assert claim["need"]["full_view"] is False and claim["distance_km"] is None
    # a claim is not an approval: the need's page still shows the public part only
    page = world["page"].get(f"/needs/{need.id}").get_data(as_text=True)
    assert _leaks(page, world["point"]) == []
    listed = client.get("/api/v1/matches", headers=world["headers"])
    assert _leaks(listed.get_data(as_text=True), world["point"]) == []


def test_preview(client, world, need_payload):
    body = {
        "group": "hackney",
        "skills": ["cooking"],
        "postcode": "E8 1AA",
        "when": {"weekly": [{"weekday": "tue", "start": "09:00", "end": "10:00"}]},
    }
    resp = client.post("/api/v1/needs/preview", json=body, headers=world["headers"])
    assert resp.status_code == 200 and set(resp.get_json()) == {"volunteers", "message"}
    assert _leaks(resp.get_data(as_text=True), world["point"]) == []
    form = {
        "group": "hackney",
        "skills": "cooking",
        "postcode": "E8 1AA",
        "when_kind": "weekly",
        "weekly-0-weekday": "tue",
        "weekly-0-start": "09:00",
        "weekly-0-end": "10:00",
    }
    resp = world["resident_page"].post("/needs/preview", data=form)
    assert resp.get_json()["volunteers"] == 2
    assert _leaks(resp.get_data(as_text=True), world["point"]) == []


def test_public_page(client, world):
    for resp in (client.get("/api/v1/groups/hackney/public-needs"), client.get("/g/hackney/needs")):
        assert resp.status_code == 200
        text = resp.get_data(as_text=True)
        assert _leaks(text, world["point"]) == []
        assert "Soup please" not in text and "Ring twice" not in text  # not shared

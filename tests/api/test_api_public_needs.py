"""A group's public page of open needs: off by default, switched by its coordinators, coarse."""

from __future__ import annotations

import pytest

from mutualaid import geo


@pytest.fixture
def group_with_needs(hackney, create_need, create_person):
    group, coordinator = hackney
    create_need(
        group,
        skills=["cooking"],
        category="food",
        title="Soup for my neighbour",
        description="She likes lentils.",
        is_description_public=True,
        windows=[
            {"weekday": 1, "start": "09:00", "end": "10:00"},
            {"weekday": 3, "start": "09:00", "end": "10:00"},
        ],
    )
    create_need(group, title="Private title", description="Private words", postcode="E9 5AA")
    create_need(group, title="Cancelled one", status="cancelled")
    return group, coordinator


def test_the_page_is_off_until_a_coordinator_publishes_it(
    client, group_with_needs, token_for, create_person, assert_error
):
    _, coordinator = group_with_needs
    assert_error(client.get("/api/v1/groups/hackney/public-needs"), 404)
    assert client.get("/g/hackney/needs").status_code == 404
    member = token_for(create_person())
    assert_error(
        client.put("/api/v1/groups/hackney/public-page", json={"published": True}, headers=member),
        403,
    )
    resp = client.put(
        "/api/v1/groups/hackney/public-page",
        json={"published": True},
        headers=token_for(coordinator),
    )
    assert resp.status_code == 200
    assert resp.get_json() == {"published": True, "url": "/g/hackney/needs"}
    assert client.get("/api/v1/groups/hackney/public-needs").status_code == 200
    client.put(
        "/api/v1/groups/hackney/public-page",
        json={"published": False},
        headers=token_for(coordinator),
    )
    assert_error(client.get("/api/v1/groups/hackney/public-needs"), 404)


def _publish(client, token_for, coordinator):
    resp = client.put(
        "/api/v1/groups/hackney/public-page",
        json={"published": True},
        headers=token_for(coordinator),
    )
    assert resp.status_code == 200


def test_the_page_shows_what_was_shared_and_nothing_else(client, group_with_needs, token_for):
    _publish(client, token_for, group_with_needs[1])
    body = client.get("/api/v1/groups/hackney/public-needs").get_json()
    assert body["total"] == 2
    shared, private = body["items"][1], body["items"][0]  # newest first
    assert shared == {
        "category": "food",
        "category_name": "Food",
        "district": "E8",
        "days": "Every Tuesday, Thursday",
        "skills": ["Cooking"],
        "volunteers_needed": 1,
        "remote_ok": False,
        "title": "Soup for my neighbour",
        "description": "She likes lentils.",
    }
    assert private["title"] is None and private["description"] is None
    assert private["district"] == "E9"
    assert {m["district"]: m["count"] for m in body["markers"]} == {"E8": 1, "E9": 1}
    e8 = next(m for m in body["markers"] if m["district"] == "E8")
    assert (e8["lat"], e8["lon"]) == pytest.approx(geo.district_centre("E8"))
    assert body["area"]["radius_km"] == 3


def test_the_page_for_people(client, group_with_needs, token_for):
    _publish(client, token_for, group_with_needs[1])
    resp = client.get("/g/hackney/needs")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert (
        '<meta property="og:title" content="Open requests for help in Hackney Mutual Aid">' in text
    )
    assert '<meta property="og:url" content="http://127.0.0.1:5000/g/hackney/needs">' in text
    assert "2 people need help in Hackney Mutual Aid" in text
    assert "Soup for my neighbour" in text and "She likes lentils." in text
    assert "Private title" not in text and "Private words" not in text
    assert (
        "data-area=" in text
        and "https://tile.openstreetmap.org" in resp.headers["Content-Security-Policy"]
    )


def test_the_coordinators_switch_page(client, group_with_needs, login, create_person):
    _, coordinator = group_with_needs
    page = login(coordinator)
    assert "not published" in page.get("/groups/hackney/public-page").get_data(as_text=True)
    resp = page.post("/groups/hackney/public-page", data={"published": "y"})
    assert resp.status_code == 302
    assert client.get("/g/hackney/needs").status_code == 200
    assert "Public page of needs: published" in page.get("/").get_data(as_text=True)
    assert login(create_person()).get("/groups/hackney/public-page").status_code == 403

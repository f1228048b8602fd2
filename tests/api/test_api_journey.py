"""The API journey: register, get a token, post needs and offers, read, change and cancel them."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Need, Person, utcnow


def _register_and_login(client, email="ana@example.org", name="Ana"):
    resp = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "long enough pw", "name": name, "phone": "07700 900123"},
    )
    assert resp.status_code == 202, resp.get_json()
    token = client.post(
        "/api/v1/auth/token", json={"email": email.upper(), "password": "long enough pw"}
    )
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    return client.get("/api/v1/me", headers=headers).get_json(), headers


def test_register_token_and_me(client):
    person, headers = _register_and_login(client)
    assert person["email"] == "ana@example.org" and "password" not in person
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["id"] == person["id"]
    token = client.post(
        "/api/v1/auth/token", json={"email": "ana@example.org", "password": "long enough pw"}
    )
    assert set(token.get_json()) == {"token", "expires_at"}
    assert token.get_json()["expires_at"].endswith("+00:00")


def test_register_duplicate_and_bad_login(client, assert_error):
    _register_and_login(client)
    again = client.post(
        "/api/v1/auth/register",
        json={"email": "ANA@example.org", "password": "another pw 1", "name": "Ana again"},
    )
    assert again.status_code == 202  # alike for a taken email: see tests/test_accounts.py
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 1
    assert_error(
        client.post(
            "/api/v1/auth/token", json={"email": "ana@example.org", "password": "wrong pw!"}
        ),
        401,
    )
    body = assert_error(
        client.post(
            "/api/v1/auth/register",
            json={"email": "not-an-email", "password": "short", "name": "Ana"},
        ),
        422,
    )
    assert set(body["errors"]) == {"email", "password"}
    assert_error(
        client.post(
            "/api/v1/auth/register",
            json={"email": "b@example.org", "password": "long enough", "name": "  "},
        ),
        422,
        "name",
    )
    assert_error(
        client.post(
            "/api/v1/auth/register",
            json={
                "email": "c@example.org",
                "password": "long enough",
                "name": "Cy",
                "phone": "call me",
            },
        ),
        422,
        "phone",
    )


def test_skills_and_groups_are_public(client, hackney, assert_error):
    skills = client.get("/api/v1/skills").get_json()
    dbs = next(s for s in skills if s["slug"] == "dbs-checked")
    assert dbs["is_credential"] is True
    groups = client.get("/api/v1/groups").get_json()
    assert [g["slug"] for g in groups] == ["hackney"]
    assert client.get("/api/v1/groups/hackney").get_json()["radius_km"] == 3
    assert_error(client.get("/api/v1/groups/nowhere"), 404)


def test_admin_creates_groups(client, create_person, token_for, assert_error):
    admin = token_for(create_person(is_admin=True))
    member = token_for(create_person())
    by_radius = {"name": "Leeds Helpers", "slug": "leeds", "postcode": "ls1 1aa", "radius_km": 5}
    assert_error(client.post("/api/v1/groups", json=by_radius, headers=member), 403)
    assert_error(client.post("/api/v1/groups", json=by_radius), 401)
    resp = client.post("/api/v1/groups", json=by_radius, headers=admin)
    assert resp.status_code == 201 and resp.get_json()["postcode"] == "LS1 1AA"
    assert_error(client.post("/api/v1/groups", json=by_radius, headers=admin), 409, "slug")
    by_districts = {"name": "North Hackney", "slug": "north-hackney", "districts": ["n16", "E5"]}
    resp = client.post("/api/v1/groups", json=by_districts, headers=admin)
    assert resp.status_code == 201 and resp.get_json()["districts"] == ["E5", "N16"]
    bad = [
        ({"name": "X group", "slug": "x"}, "districts"),
        ({"name": "X group", "slug": "x", "postcode": "E8"}, "radius_km"),
        ({"name": "X group", "slug": "x", "districts": ["QQ9"]}, "districts"),
        (
            {"name": "X group", "slug": "x", "districts": ["E8"], "postcode": "E8", "radius_km": 1},
            "districts",
        ),
        ({"name": "X group", "slug": "x", "postcode": "ZZ99 9ZZ", "radius_km": 1}, "postcode"),
        ({"name": "X group", "slug": "Bad Slug", "districts": ["E8"]}, "slug"),
        ({"name": "X group", "slug": "x", "postcode": "E8", "radius_km": 0}, "radius_km"),
    ]
    for payload, field in bad:
        assert_error(client.post("/api/v1/groups", json=payload, headers=admin), 422, field)


def test_need_lifecycle(client, hackney, create_person, token_for, app, need_payload, assert_error):
    resident = create_person(name="Rita Resident")
    headers = token_for(resident)
    resp = client.post("/api/v1/needs", json=need_payload(), headers=headers)
    assert resp.status_code == 201, resp.get_json()
    need = resp.get_json()
    assert need["status"] == "open" and need["district"] == "E8" and need["full_view"] is True
    assert (
        need["address"] == "Flat 2, 10 Mare Street" and need["requester"]["name"] == "Rita Resident"
    )
    assert need["when"]["start"] == "09:00" and need["skills"] == ["legal-advice"]

    got = client.get(f"/api/v1/needs/{need['id']}", headers=headers).get_json()
    assert got == need
    listed = client.get("/api/v1/needs?mine=true", headers=headers).get_json()
    assert [n["id"] for n in listed["items"]] == [need["id"]] and listed["total"] == 1

    weekly = {
        "weekly": [
            {"weekday": "tue", "start": "07:30", "end": "09:00"},
            {"weekday": 4, "start": "07:30", "end": "09:00"},
        ]
    }
    patched = client.patch(
        f"/api/v1/needs/{need['id']}",
        json={"when": weekly, "volunteers_needed": 2, "title": "Breakfast club helpers"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_json()
    body = patched.get_json()
    assert body["when"] == {  # from today, for the group's default eight weeks
        "weekly": [
            {"weekday": "tue", "start": "07:30", "end": "09:00"},
            {"weekday": "fri", "start": "07:30", "end": "09:00"},
        ],
        "from": utcnow().date().isoformat(),
        "until": (utcnow().date() + timedelta(days=55)).isoformat(),
    }
    assert body["volunteers_needed"] == 2 and body["title"] == "Breakfast club helpers"
    assert body["address"] == "Flat 2, 10 Mare Street"  # untouched by a partial update

    deleted = client.delete(f"/api/v1/needs/{need['id']}", headers=headers)
    assert deleted.status_code == 200 and deleted.get_json()["status"] == "cancelled"
    with app.app_context():
        assert db.session.get(Need, need["id"]).status == "cancelled"  # the row stays
    assert client.get("/api/v1/needs", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/needs?status=cancelled", headers=headers).get_json()["total"] == 1
    assert_error(
        client.patch(f"/api/v1/needs/{need['id']}", json={"title": "Again"}, headers=headers), 409
    )


def test_coordinator_can_change_and_cancel(client, hackney, create_person, token_for, need_payload):
    _, coordinator = hackney
    resident = create_person()
    need = client.post("/api/v1/needs", json=need_payload(), headers=token_for(resident)).get_json()
    coord = token_for(coordinator)
    resp = client.patch(f"/api/v1/needs/{need['id']}", json={"urgency": "low"}, headers=coord)
    assert resp.status_code == 200 and resp.get_json()["urgency"] == "low"
    assert (
        client.delete(f"/api/v1/needs/{need['id']}", headers=coord).get_json()["status"]
        == "cancelled"
    )


def test_audit_trail_records_actor(client, hackney, create_person, token_for, app, need_payload):
    resident = create_person()
    headers = token_for(resident)
    need_id = client.post("/api/v1/needs", json=need_payload(), headers=headers).get_json()["id"]
    client.patch(f"/api/v1/needs/{need_id}", json={"title": "New title"}, headers=headers)
    client.delete(f"/api/v1/needs/{need_id}", headers=headers)
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == "need", AuditEvent.entity_id == str(need_id))
            .order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.actor_id) for e in events] == [
            ("create", resident.id),
            ("update", resident.id),
            ("update", resident.id),
        ]
        assert events[1].changes["title"] == ["Help with a housing letter", "New title"]
        assert events[2].changes["status"] == ["open", "cancelled"]
        assert "Mare Street" not in str(
            [e.changes for e in events]
        )  # the address stays out of the trail


def test_poster_joins_group(client, hackney, create_person, token_for, app, need_payload):
    group, _ = hackney
    resident = create_person()
    client.post("/api/v1/needs", json=need_payload(), headers=token_for(resident))
    with app.app_context():
        person = db.session.get(Person, resident.id)
        assert [(m.group_id, m.role) for m in person.memberships] == [(group.id, "member")]


def test_offer_lifecycle_and_credentials(
    client, hackney, create_person, token_for, offer_payload, assert_error
):
    _, coordinator = hackney
    volunteer = create_person(name="Vic Volunteer")
    headers = token_for(volunteer)
    resp = client.post("/api/v1/offers", json=offer_payload(), headers=headers)
    assert resp.status_code == 201, resp.get_json()
    offer = resp.get_json()
    assert offer["groups"] == ["hackney"] and offer["skills"] == ["befriending", "dbs-checked"]
    assert offer["availability"][0] == {"weekday": "tue", "start": "07:30", "end": "12:00"}
    assert offer["credentials"] == [
        {
            "skill": "dbs-checked",
            "verified": False,
            "verified_at": None,
            "expires_on": None,
            "usable": False,
            "verified_by_group": None,
        }
    ]
    assert offer["volunteer"]["name"] == "Vic Volunteer" and offer["active"] is True

    expires = (date.today() + timedelta(days=365)).isoformat()
    url = f"/api/v1/offers/{offer['id']}/credentials"
    assert_error(
        client.post(url, json={"skill": "dbs-checked", "expires_on": expires}, headers=headers), 403
    )
    coord = token_for(coordinator)
    resp = client.post(url, json={"skill": "dbs-checked", "expires_on": expires}, headers=coord)
    assert resp.status_code == 200, resp.get_json()
    cred = resp.get_json()["credentials"][0]
    assert cred["verified"] is True and cred["usable"] is True and cred["expires_on"] == expires
    assert cred["verified_by_group"] == "Hackney Mutual Aid"
    assert_error(
        client.post(url, json={"skill": "befriending", "expires_on": expires}, headers=coord),
        422,
        "skill",
    )
    assert_error(
        client.post(url, json={"skill": "first-aid", "expires_on": expires}, headers=coord),
        422,
        "skill",
    )
    assert_error(
        client.post(url, json={"skill": "nope", "expires_on": expires}, headers=coord), 422, "skill"
    )
    assert_error(
        client.post(url, json={"skill": "dbs-checked", "expires_on": "2001-01-01"}, headers=coord),
        422,
        "expires_on",
    )

    patched = client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"capacity": 3, "skills": ["dbs-checked"]},
        headers=headers,
    )
    assert patched.status_code == 200
    assert (
        patched.get_json()["capacity"] == 3
        and patched.get_json()["credentials"][0]["verified"] is True
    )
    withdrawn = client.delete(f"/api/v1/offers/{offer['id']}", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["active"] is False
    assert client.get("/api/v1/offers", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/offers?mine=1", headers=headers).get_json()["total"] == 1


def test_lists_paginate_and_filter(
    client, hackney, create_group, create_person, token_for, need_payload, offer_payload
):
    create_group(slug="islington", postcode="N1 1AA", radius_km=5)
    headers = token_for(create_person())
    ids = [
        client.post(
            "/api/v1/needs",
            json=need_payload(title=f"Need number {i}", category="food" if i % 2 else "transport"),
            headers=headers,
        ).get_json()["id"]
        for i in range(5)
    ]
    client.post(
        "/api/v1/needs", json=need_payload(group="islington", postcode="N1 1AA"), headers=headers
    )
    page = client.get("/api/v1/needs?group=hackney&limit=2&offset=1", headers=headers).get_json()
    assert page["total"] == 5 and [n["id"] for n in page["items"]] == ids[::-1][1:3]
    food = client.get("/api/v1/needs?category=food", headers=headers).get_json()
    assert food["total"] == 2 and {n["category"] for n in food["items"]} == {"food"}
    assert client.get("/api/v1/needs?status=matched", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/needs", headers=headers).get_json()["total"] == 6

    client.post("/api/v1/offers", json=offer_payload(skills=["cooking"]), headers=headers)
    client.post(
        "/api/v1/offers",
        json=offer_payload(groups=["islington"], skills=["driving"]),
        headers=headers,
    )
    assert client.get("/api/v1/offers?group=islington", headers=headers).get_json()["total"] == 1
    by_skill = client.get("/api/v1/offers?skill=cooking", headers=headers).get_json()
    assert [o["skills"] for o in by_skill["items"]] == [["cooking"]]
    assert client.get("/api/v1/offers?active=false", headers=headers).get_json()["total"] == 0

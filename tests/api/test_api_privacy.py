"""Privacy: a resident's address and contact reach only the owner, the group's coordinators, admins
and a volunteer whose match is approved (or completed); a volunteer's contact likewise."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.models import Match

ADDRESS = "Flat 7, 31 Secret Row"
RESIDENT = {"name": "Rosa Private", "email": "rosa.private@example.org", "phone": "07700 111222"}
VOLUNTEER = {"name": "Viktor Helper", "email": "viktor.helper@example.org", "phone": "07700 333444"}
NEED_PRIVATE_KEYS = {"address", "postcode", "requester", "volunteers"}


@pytest.fixture
def world(
    client, app, hackney, create_group, create_person, token_for, need_payload, offer_payload
):
    """Hackney's need by Rosa; Viktor's offer; people around them; ``match(status)`` links them."""
    _, coordinator = hackney
    other_coordinator = create_person()
    create_group(slug="islington", postcode="N1 1AA", radius_km=5, coordinators=[other_coordinator])
    resident = create_person(**RESIDENT)
    volunteer = create_person(**VOLUNTEER)
    people = {
        "resident": resident,
        "volunteer": volunteer,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "other_resident": create_person(),
        "admin": create_person(is_admin=True),
    }
    headers = {role: token_for(p) for role, p in people.items()}
    need = client.post(
        "/api/v1/needs",
        json=need_payload(
            address=ADDRESS, postcode="E8 3AA", volunteers_needed=2, category="childcare"
        ),
        headers=headers["resident"],
    ).get_json()
    offer = client.post(
        "/api/v1/offers",
        json=offer_payload(note="Key safe code 4321"),
        headers=headers["volunteer"],
    ).get_json()

    def match(status):
        with app.app_context():
            row = Match(need_id=need["id"], offer_id=offer["id"], status=status, score=0.9)
            db.session.add(row)
            db.session.commit()
            return row.id

    return {"need": need, "offer": offer, "headers": headers, "match": match, "people": people}


def _leaks_resident(text: str) -> bool:
    return any(secret in text for secret in (ADDRESS, *RESIDENT.values(), "E8 3AA"))


def _leaks_volunteer(text: str) -> bool:
    return any(secret in text for secret in (*VOLUNTEER.values(), "Key safe code", "E8 2AA"))


def _need_reads(client, need_id, headers):
    """Every way of reading the need: by id and through each list and filter."""
    yield client.get(f"/api/v1/needs/{need_id}", headers=headers)
    for query in (
        "",
        "?group=hackney",
        "?category=childcare",
        "?status=open",
        "?limit=100",
        "?offset=0",
    ):
        yield client.get(f"/api/v1/needs{query}", headers=headers)


def _need_in(resp, need_id):
    body = resp.get_json()
    items = body.get("items", [body])
    return next(n for n in items if n["id"] == need_id)


@pytest.mark.parametrize("role", ["volunteer", "other_resident", "other_coordinator"])
def test_others_never_see_resident_details(client, world, role):
    need = world["need"]
    for resp in _need_reads(client, need["id"], world["headers"][role]):
        assert resp.status_code == 200
        assert not _leaks_resident(resp.get_data(as_text=True))
        seen = _need_in(resp, need["id"])
        assert seen["full_view"] is False and not NEED_PRIVATE_KEYS & set(seen)
        assert (seen["lat"], seen["lon"]) == pytest.approx(geo.district_centre("E8"))
        assert (
            seen["title"] == need["title"]
            and seen["district"] == "E8"
            and seen["when"] == need["when"]
        )


@pytest.mark.parametrize("role", ["resident", "coordinator", "admin"])
def test_owner_coordinator_and_admin_see_everything(client, world, role):
    need = world["need"]
    for resp in _need_reads(client, need["id"], world["headers"][role]):
        seen = _need_in(resp, need["id"])
        assert (
            seen["full_view"] is True
            and seen["address"] == ADDRESS
            and seen["postcode"] == "E8 3AA"
        )
        assert {k: seen["requester"][k] for k in RESIDENT} == RESIDENT
        assert (seen["lat"], seen["lon"]) == (need["lat"], need["lon"])


@pytest.mark.parametrize(
    "status, revealed",
    [
        ("proposed", False),
        ("rejected", False),
        ("declined", False),
        ("cancelled", False),
        ("approved", True),
        ("completed", True),
    ],
)
def test_volunteer_sees_resident_only_once_approved(client, world, status, revealed):
    world["match"](status)
    need = world["need"]
    for resp in _need_reads(client, need["id"], world["headers"]["volunteer"]):
        seen = _need_in(resp, need["id"])
        assert _leaks_resident(resp.get_data(as_text=True)) is revealed
        assert seen["full_view"] is revealed
        if revealed:
            assert seen["address"] == ADDRESS and seen["requester"]["phone"] == RESIDENT["phone"]
            assert (
                "volunteers" not in seen
            )  # other volunteers' contacts stay with the owner and coordinators
    other = world["headers"]["other_resident"]
    assert not _leaks_resident(
        client.get(f"/api/v1/needs/{need['id']}", headers=other).get_data(as_text=True)
    )


def test_owner_and_coordinator_see_approved_volunteers(client, world):
    need_url = f"/api/v1/needs/{world['need']['id']}"
    world["match"]("proposed")
    for role in ("resident", "coordinator"):
        assert client.get(need_url, headers=world["headers"][role]).get_json()["volunteers"] == []
    world["match"]("approved")
    for role in ("resident", "coordinator"):
        volunteers = client.get(need_url, headers=world["headers"][role]).get_json()["volunteers"]
        assert [{k: v[k] for k in VOLUNTEER} for v in volunteers] == [VOLUNTEER]


@pytest.mark.parametrize("role", ["other_resident", "other_coordinator", "resident"])
def test_others_never_see_volunteer_details(client, world, role):
    offer = world["offer"]
    for url in (
        f"/api/v1/offers/{offer['id']}",
        "/api/v1/offers",
        "/api/v1/offers?group=hackney",
        "/api/v1/offers?skill=befriending",
    ):
        resp = client.get(url, headers=world["headers"][role])
        assert resp.status_code == 200 and not _leaks_volunteer(resp.get_data(as_text=True))
        body = resp.get_json()
        seen = next(o for o in body.get("items", [body]) if o["id"] == offer["id"])
        assert seen["full_view"] is False and not {
            "volunteer",
            "note",
            "postcode",
            "credentials",
        } & set(seen)


@pytest.mark.parametrize("role", ["volunteer", "coordinator", "admin"])
def test_volunteer_coordinator_and_admin_see_offer(client, world, role):
    seen = client.get(
        f"/api/v1/offers/{world['offer']['id']}", headers=world["headers"][role]
    ).get_json()
    assert seen["full_view"] is True and seen["volunteer"]["phone"] == VOLUNTEER["phone"]


@pytest.mark.parametrize(
    "status, revealed", [("proposed", False), ("approved", True), ("completed", True)]
)
def test_resident_sees_volunteer_once_approved(client, world, status, revealed):
    world["match"](status)
    resp = client.get(
        f"/api/v1/offers/{world['offer']['id']}", headers=world["headers"]["resident"]
    )
    assert _leaks_volunteer(resp.get_data(as_text=True)) is revealed
    # Contact only: where the volunteer lives, their note and their checks stay private.
    assert not {"postcode", "note", "credentials"} & set(resp.get_json())
    assert resp.get_json()["full_view"] is False


def test_strangers_cannot_widen_their_view(client, world, assert_error):
    """Filters and unknown parameters never switch on the private view."""
    headers = world["headers"]["other_resident"]
    for query in ("?mine=true", "?full_view=true", "?requester=1", "?fields=address"):
        resp = client.get(f"/api/v1/needs{query}", headers=headers)
        assert resp.status_code in (200, 422) and not _leaks_resident(resp.get_data(as_text=True))
    assert client.get("/api/v1/needs?mine=true", headers=headers).get_json()["total"] == 0


# ---- the account pages, the export and the emails ---------------------------------------------


def _browser(app, person):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = person.get_id()
    return browser


@pytest.mark.parametrize(
    ("status", "revealed"), [("proposed", False), ("rejected", False), ("approved", True)]
)
def test_the_export_follows_the_privacy_rule(client, world, status, revealed):
    world["match"](status)
    headers = world["headers"]
    for role in ("other_resident", "other_coordinator", "volunteer"):
        export = client.get("/api/v1/me/export", headers=headers[role])
        assert export.status_code == 200
        leaks = _leaks_resident(export.get_data(as_text=True))
        assert leaks is (revealed and role == "volunteer"), role
    resident = client.get("/api/v1/me/export", headers=headers["resident"]).get_data(as_text=True)
    assert ADDRESS in resident  # their own
    assert _leaks_volunteer(resident) is revealed


def test_the_new_pages_leak_nothing(app, world):
    world["match"]("proposed")
    people = world["people"]
    for role in ("volunteer", "other_resident", "other_coordinator"):
        browser = _browser(app, people[role])
        for url in ("/account", "/account/tokens", "/account/delete", "/privacy", "/matches/mine"):
            resp = browser.get(url)
            assert resp.status_code == 200, (role, url)
            assert not _leaks_resident(resp.get_data(as_text=True)), (role, url)
        export = browser.get("/account/export").get_data(as_text=True)
        assert not _leaks_resident(export), role


def test_emails_reach_only_those_entitled(app, client, world):
    from mutualaid.models import OutboxMessage

    people, headers = world["people"], world["headers"]
    match_id = world["match"]("proposed")
    # Everything that sends mail, by everyone around the need.
    client.post(
        "/api/v1/auth/register",
        json={"email": RESIDENT["email"], "password": "a long password 1", "name": "Someone"},
    )
    for email in (RESIDENT["email"], VOLUNTEER["email"], people["other_resident"].email):
        client.post("/api/v1/auth/password-reset", json={"email": email})
    client.patch("/api/v1/me", json={"email": "new.rosa@example.org"}, headers=headers["resident"])
    client.post("/api/v1/auth/verify-email/resend", headers=headers["other_resident"])
    assert (
        client.post(f"/api/v1/matches/{match_id}/approve", headers=headers["coordinator"])
    ).status_code == 200
    client.post(f"/api/v1/matches/{match_id}/cancel", headers=headers["volunteer"])
    with app.app_context():
        mails = [(m.to_email, m.body) for m in db.session.scalars(sa.select(OutboxMessage))]
    assert len(mails) >= 8
    for to, body in mails:
        if _leaks_resident(body):
            assert to in (RESIDENT["email"], "new.rosa@example.org", VOLUNTEER["email"]), to
        if _leaks_volunteer(body):
            # The group's coordinators approved the match: they may read who stepped back,
            # never the volunteer's contact details.
            if to == people["coordinator"].email:
                assert VOLUNTEER["phone"] not in body and VOLUNTEER["email"] not in body
                continue
            assert to in (VOLUNTEER["email"], RESIDENT["email"]), to

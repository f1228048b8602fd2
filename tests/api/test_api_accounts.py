"""The account lifecycle through the API: register (alike for taken emails), confirm the address,
reset and change the password, revoke tokens, profile, export, erasure, deactivation."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import ApiToken, AuditEvent, Match, Need, OutboxMessage, Person
from mutualaid.services import accounts
from tests.conftest import PASSWORD

API = "/api/v1"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mails(app):
    """``mails(to=None)`` -> [(to, subject, body)] in the outbox, oldest first."""

    def rows(to: str | None = None) -> list[tuple[str, str, str]]:
        with app.app_context():
            query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
            if to is not None:
                query = query.where(OutboxMessage.to_email == to)
            return [(m.to_email, m.subject, m.body) for m in db.session.scalars(query)]

    return rows


def _link(body: str, path: str) -> str:
    found = re.search(rf"{re.escape(path)}([A-Za-z0-9_.\-]+)", body)
    assert found, body
    return found.group(1)


def _register(client, email, name="Ana Silva", password="long enough pw"):
    return client.post(
        f"{API}/auth/register",
        json={"email": email, "password": password, "name": name, "phone": "07700 900123"},
    )


def _token(client, email, password=PASSWORD):
    resp = client.post(f"{API}/auth/token", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


# ---- hole 5: registration tells no one who has an account -------------------------------------


def test_registration_answers_alike_for_a_new_and_a_taken_email(
    client, create_person, mails, monkeypatch
):
    owner = create_person(email="taken@example.org", name="Tara Taken")
    hashed = []
    real_hash = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda pw: hashed.append(pw) or real_hash(pw))

    new = _register(client, "fresh@example.org", password="first long pw 1")
    taken = _register(client, "TAKEN@example.org", password="second long pw 2")

    assert (new.status_code, new.get_json()) == (taken.status_code, taken.get_json())
    assert new.status_code == 202 and "confirm" in new.get_json()["message"]
    # The same work on both paths: one password hash each, one mail each.
    assert hashed == ["first long pw 1", "second long pw 2"]
    assert [s for _, s, _ in mails("fresh@example.org")] == ["Confirm your email address"]
    assert [s for _, s, _ in mails(owner.email)] == [
        "Someone tried to register with your email address"
    ]
    # The owner's account is untouched: the old password still works, the new one does not.
    _token(client, owner.email)
    assert (
        client.post(
            f"{API}/auth/token", json={"email": owner.email, "password": "second long pw 2"}
        ).status_code
        == 401
    )


# ---- email verification -----------------------------------------------------------------------


def test_needs_and_offers_are_published_once_the_address_is_confirmed(
    client, hackney, create_person, need_payload, offer_payload, mails, assert_error
):
    _register(client, "ana@example.org")
    ana = _token(client, "ana@example.org", "long enough pw")
    assert client.get(f"{API}/me", headers=ana).get_json()["email_verified"] is False
    need = client.post(f"{API}/needs", json=need_payload(), headers=ana).get_json()
    offer = client.post(f"{API}/offers", json=offer_payload(), headers=ana).get_json()
    neighbour = _token(client, create_person().email)

    def listed():
        needs = client.get(f"{API}/needs?group=hackney", headers=neighbour).get_json()["items"]
        offers = client.get(f"{API}/offers?group=hackney", headers=neighbour).get_json()["items"]
        return [n["id"] for n in needs], [o["id"] for o in offers]

    assert listed() == ([], [])
    assert_error(client.get(f"{API}/needs/{need['id']}", headers=neighbour), 404)
    assert_error(client.get(f"{API}/offers/{offer['id']}", headers=neighbour), 404)
    assert client.get(f"{API}/needs/{need['id']}", headers=ana).status_code == 200
    # The owner still sees their own.
    mine = client.get(f"{API}/needs?mine=true", headers=ana).get_json()["items"]
    assert [n["id"] for n in mine] == [need["id"]]

    assert_error(client.post(f"{API}/auth/verify-email", json={"token": "forged"}), 422, "token")
    token = _link(mails("ana@example.org")[0][2], "/verify-email/")
    resp = client.post(f"{API}/auth/verify-email", json={"token": token})
    assert resp.status_code == 200 and resp.get_json()["email_verified"] is True
    assert listed() == ([need["id"]], [offer["id"]])
    assert client.get(f"{API}/needs/{need['id']}", headers=neighbour).status_code == 200


def test_a_confirmation_link_expires(app, client, mails, assert_error):
    _register(client, "ana@example.org")
    token = _link(mails("ana@example.org")[0][2], "/verify-email/")
    app.config["VERIFY_EMAIL_HOURS"] = -1  # every link is now older than its lifetime
    try:
        assert_error(client.post(f"{API}/auth/verify-email", json={"token": token}), 422, "token")
    finally:
        app.config["VERIFY_EMAIL_HOURS"] = 72


def test_a_new_confirmation_link_on_request(client, mails):
    _register(client, "ana@example.org")
    ana = _token(client, "ana@example.org", "long enough pw")
    assert client.post(f"{API}/auth/verify-email/resend", headers=ana).status_code == 202
    assert len(mails("ana@example.org")) == 2


# ---- password reset ---------------------------------------------------------------------------


def test_password_reset_end_to_end(client, create_person, mails, assert_error):
    person = create_person(email="ana@example.org", name="Ana Silva")
    old_token = _token(client, person.email)
    known = client.post(f"{API}/auth/password-reset", json={"email": "ANA@example.org"})
    unknown = client.post(f"{API}/auth/password-reset", json={"email": "nobody@example.org"})
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    assert known.status_code == 202
    assert [to for to, _, _ in mails()] == ["ana@example.org"]
    token = _link(mails()[0][2], "/password/reset/")

    weak = client.post(
        f"{API}/auth/password-reset/confirm", json={"token": token, "password": "password"}
    )
    assert_error(weak, 422, "password")
    done = client.post(
        f"{API}/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert done.status_code == 204
    # Single use: the link named the old password, which is gone.
    again = client.post(
        f"{API}/auth/password-reset/confirm", json={"token": token, "password": "yet another pw 9"}
    )
    assert_error(again, 422, "token")
    # Every token of the account ended; the new password works, the old one does not.
    assert client.get(f"{API}/me", headers=old_token).status_code == 401
    _token(client, person.email, NEW_PASSWORD)
    assert (
        client.post(
            f"{API}/auth/token", json={"email": person.email, "password": PASSWORD}
        ).status_code
        == 401
    )


def test_a_reset_link_expires_within_the_hour(app, client, create_person, mails, assert_error):
    assert app.config["RESET_PASSWORD_MINUTES"] <= 60
    person = create_person()
    client.post(f"{API}/auth/password-reset", json={"email": person.email})
    token = _link(mails()[0][2], "/password/reset/")
    app.config["RESET_PASSWORD_MINUTES"] = -1
    try:
        resp = client.post(
            f"{API}/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
        )
        assert_error(resp, 422, "token")
    finally:
        app.config["RESET_PASSWORD_MINUTES"] = 60


def test_a_deactivated_account_gets_no_reset_link(client, create_person, mails):
    person = create_person(is_active_account=False)
    resp = client.post(f"{API}/auth/password-reset", json={"email": person.email})
    assert resp.status_code == 202 and mails() == []


# ---- hole 4: revocation -----------------------------------------------------------------------


def test_delete_auth_token_revokes_that_token_only(client, create_person):
    person = create_person()
    first, second = _token(client, person.email), _token(client, person.email)
    assert client.delete(f"{API}/auth/token", headers=first).status_code == 204
    assert client.get(f"{API}/me", headers=first).status_code == 401
    assert client.get(f"{API}/me", headers=second).status_code == 200


def test_password_change_revokes_every_other_token(client, create_person, assert_error):
    person = create_person()
    this, other = _token(client, person.email), _token(client, person.email)
    url = f"{API}/me/password"
    assert_error(
        client.post(
            url, json={"current_password": "wrong one", "password": NEW_PASSWORD}, headers=this
        ),
        422,
        "current_password",
    )
    assert_error(
        client.post(url, json={"current_password": PASSWORD, "password": "12345678"}, headers=this),
        422,
        "password",
    )
    assert client.get(f"{API}/me", headers=other).status_code == 200  # nothing changed yet
    resp = client.post(
        url, json={"current_password": PASSWORD, "password": NEW_PASSWORD}, headers=this
    )
    assert resp.status_code == 204
    assert client.get(f"{API}/me", headers=this).status_code == 200
    assert client.get(f"{API}/me", headers=other).status_code == 401
    _token(client, person.email, NEW_PASSWORD)


def test_listing_and_revoking_ones_own_tokens(client, create_person, assert_error):
    person, stranger = create_person(), create_person()
    this, other = _token(client, person.email), _token(client, person.email)
    theirs = _token(client, stranger.email)
    items = client.get(f"{API}/me/tokens", headers=this).get_json()["items"]
    assert len(items) == 2 and sum(t["current"] for t in items) == 1
    other_id = next(t["id"] for t in items if not t["current"])
    their_id = client.get(f"{API}/me/tokens", headers=theirs).get_json()["items"][0]["id"]
    assert_error(client.delete(f"{API}/me/tokens/{their_id}", headers=this), 404)
    assert client.get(f"{API}/me", headers=theirs).status_code == 200
    assert client.delete(f"{API}/me/tokens/{other_id}", headers=this).status_code == 204
    assert client.get(f"{API}/me", headers=other).status_code == 401
    assert len(client.get(f"{API}/me/tokens", headers=this).get_json()["items"]) == 1


# ---- hole 7: lone surrogates ------------------------------------------------------------------


def _raw(client, method, url, body, headers=None):
    return client.open(
        url, method=method, data=body, content_type="application/json", headers=headers or {}
    )


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/auth/token", '{"email": "a@example.org", "password": "x\\ud800"}', "password"),
        ("/auth/token", '{"email": "a\\udfff@example.org", "password": "x"}', "email"),
        (
            "/auth/register",
            '{"email": "a@example.org", "password": "long enough pw", "name": "A\\ud800"}',
            "name",
        ),
        ("/auth/password-reset", '{"email": "\\ud83d"}', "email"),
    ],
)
def test_a_lone_surrogate_is_refused_by_field(client, assert_error, url, body, field):
    assert_error(_raw(client, "POST", API + url, body), 422, field)


def test_lone_surrogates_in_titles_notes_reasons_and_keys(
    client, hackney, create_person, need_payload, offer_payload, assert_error
):
    import json

    headers = _token(client, create_person().email)
    need = json.dumps(need_payload(title="TITLE")).replace("TITLE", "Help\\ud800")
    assert_error(_raw(client, "POST", f"{API}/needs", need, headers), 422, "title")
    offer = json.dumps(offer_payload(note="NOTE")).replace("NOTE", "\\udc00")
    assert_error(_raw(client, "POST", f"{API}/offers", offer, headers), 422, "note")
    nested = json.dumps(need_payload()).replace('"start": "09:00"', '"start": "0\\ud8009"')
    assert_error(_raw(client, "POST", f"{API}/needs", nested, headers), 422, "when.start")
    key = '{"reason\\ud800": "x"}'
    resp = _raw(client, "POST", f"{API}/matches/1/reject", key, headers)
    assert resp.status_code in (403, 404, 422) and resp.status_code != 500
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


# ---- profile ----------------------------------------------------------------------------------


def test_profile_changes_and_an_email_change_is_confirmed_from_the_new_address(
    client, create_person, mails, assert_error
):
    person = create_person(email="ana@example.org", name="Ana")
    other = create_person(email="bo@example.org", name="Bo")
    headers = _token(client, person.email)
    resp = client.patch(
        f"{API}/me", json={"name": "Ana Silva", "phone": "07700 900999"}, headers=headers
    )
    assert resp.status_code == 200
    assert resp.get_json()["name"] == "Ana Silva" and resp.get_json()["phone"] == "07700 900999"
    assert_error(client.patch(f"{API}/me", json={"name": ""}, headers=headers), 422, "name")
    assert_error(
        client.patch(f"{API}/me", json={"phone": "call me"}, headers=headers), 422, "phone"
    )

    # A taken address answers the same; its owner is told, the account keeps its email.
    taken = client.patch(f"{API}/me", json={"email": "BO@example.org"}, headers=headers)
    new = client.patch(f"{API}/me", json={"email": "ana.new@example.org"}, headers=headers)
    assert taken.status_code == new.status_code == 200
    assert taken.get_json()["email"] == new.get_json()["email"] == "ana@example.org"
    assert [s for _, s, _ in mails(other.email)] == [
        "Someone tried to register with your email address"
    ]
    assert [s for _, s, _ in mails("ana@example.org")] == [
        "A change of email address was asked for"
    ] * 2
    token = _link(mails("ana.new@example.org")[0][2], "/verify-email/")
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 200
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert me["email"] == "ana.new@example.org" and me["email_verified"] is True


# ---- access: the export -----------------------------------------------------------------------


def test_the_export_holds_the_account_its_needs_offers_and_mail(
    client, hackney, create_person, need_payload, offer_payload
):
    person = create_person(email="ana@example.org", name="Ana Silva", phone="07700 900555")
    headers = _token(client, person.email)
    client.post(f"{API}/needs", json=need_payload(address="Flat 9, 1 Mare St"), headers=headers)
    client.post(f"{API}/offers", json=offer_payload(note="Has a van"), headers=headers)
    client.post(f"{API}/auth/verify-email/resend", headers=headers)
    resp = client.get(f"{API}/me/export", headers=headers)
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    data = resp.get_json()
    assert data["account"]["email"] == "ana@example.org"
    assert data["account"]["phone"] == "07700 900555"
    assert data["needs"][0]["address"] == "Flat 9, 1 Mare St"
    assert data["offers"][0]["note"] == "Has a van"
    assert {m["group"] for m in data["memberships"]} == {"hackney"}
    assert len(data["api_tokens"]) == 1 and "token_hash" not in str(data)
    assert any(a["record"].startswith("need ") for a in data["activity"])


# ---- erasure ----------------------------------------------------------------------------------


@pytest.fixture
def agreed(app, client, hackney, create_person, need_payload, offer_payload):
    """Rosa's need and Viktor's offer, matched and approved; Viktor also gave 3 hours before."""
    group, coordinator = hackney
    rosa = create_person(name="Rosa Private", email="rosa@example.org", phone="07700 111222")
    viktor = create_person(name="Viktor Helper", email="viktor@example.org", phone="07700 333444")
    rosa_h, viktor_h = _token(client, rosa.email), _token(client, viktor.email)
    need = client.post(
        f"{API}/needs",
        json=need_payload(address="Flat 7, 31 Secret Row", volunteers_needed=2),
        headers=rosa_h,
    ).get_json()
    done_need = client.post(  # help given earlier: not at the same time as the live one
        f"{API}/needs",
        json=need_payload(
            when={"date": date.today().isoformat(), "start": "07:00", "end": "08:00"}
        ),
        headers=rosa_h,
    ).get_json()
    offer = client.post(f"{API}/offers", json=offer_payload(), headers=viktor_h).get_json()
    with app.app_context():
        live = Match(need_id=need["id"], offer_id=offer["id"], status="proposed", score=0.9)
        done = Match(
            need_id=done_need["id"], offer_id=offer["id"], status="completed", score=0.8, hours=3.0
        )
        db.session.add_all([live, done])
        db.session.commit()
        live_id, done_id = live.id, done.id
    coord_h = _token(client, coordinator.email)
    assert client.post(f"{API}/matches/{live_id}/approve", headers=coord_h).status_code == 200
    return {
        "rosa": rosa, "viktor": viktor, "rosa_h": rosa_h, "viktor_h": viktor_h,
        "coord_h": coord_h, "need": need, "offer": offer, "live": live_id, "done": done_id,
        "group": group,
    }  # fmt: skip


def test_erasing_a_residents_account(app, client, agreed, mails, assert_error):
    rosa = agreed["rosa"]
    assert_error(
        client.post(f"{API}/me/erase", json={"password": "wrong"}, headers=agreed["rosa_h"]),
        422,
        "password",
    )
    assert any(s.startswith("You are matched") for _, s, _ in mails("viktor@example.org"))
    resp = client.post(f"{API}/me/erase", json={"password": PASSWORD}, headers=agreed["rosa_h"])
    assert resp.status_code == 204
    assert client.get(f"{API}/me", headers=agreed["rosa_h"]).status_code == 401
    assert (
        client.post(
            f"{API}/auth/token", json={"email": rosa.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    with app.app_context():
        person = db.session.get(Person, rosa.id)
        assert person.erased_dt is not None and person.name == "A former member"
        assert person.email != rosa.email and person.phone is None
        need = db.session.get(Need, agreed["need"]["id"])
        assert need.status == "cancelled" and need.address is None and need.postcode == "E8"
        assert db.session.get(Match, agreed["live"]).status == "cancelled"
        events = db.session.scalars(sa.select(AuditEvent)).all()
        assert not any(
            secret in str(e.changes) for e in events for secret in (rosa.email, "Rosa Private")
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count(ApiToken.id)).where(ApiToken.person_id == rosa.id)
            )
            == 0
        )
    # Viktor is told, with no one's details; nothing left in the outbox names Rosa.
    # (the mail that gave Viktor her address and phone is deleted with the rest)
    assert [s for _, s, _ in mails("viktor@example.org")] == ["Match ended: a request for help"]
    for _, _, body in mails():
        assert not any(
            s in body for s in (rosa.email, "Rosa Private", "07700 111222", "Secret Row")
        )


def test_erasing_a_volunteers_account_keeps_the_groups_hours(app, client, agreed, mails):
    from mutualaid.services import privacy

    with app.app_context():
        before = privacy.holding_hours(agreed["group"].id)
    resp = client.post(f"{API}/me/erase", json={"password": PASSWORD}, headers=agreed["viktor_h"])
    assert resp.status_code == 204
    with app.app_context():
        assert privacy.holding_hours(agreed["group"].id) == before == 3.0
        assert db.session.get(Match, agreed["live"]).status == "declined"
        assert db.session.get(Need, agreed["need"]["id"]).status == "open"
    # The coordinator's history shows a former volunteer.
    done = client.get(f"{API}/matches/{agreed['done']}", headers=agreed["coord_h"]).get_json()
    assert done["hours"] == 3.0 and done["offer"]["volunteer"]["name"] == "A former volunteer"
    assert "viktor" not in str(done).lower()
    assert [s for _, s, _ in mails("rosa@example.org")][-1].startswith("Match ended")


# ---- admin deactivation -----------------------------------------------------------------------


def test_an_admin_deactivates_an_account(client, create_person, assert_error):
    admin = create_person(is_admin=True)
    person = create_person()
    admin_h, person_h = _token(client, admin.email), _token(client, person.email)
    assert_error(client.post(f"{API}/people/{admin.id}/deactivate", headers=person_h), 403)
    assert_error(client.post(f"{API}/people/999999/deactivate", headers=admin_h), 404)
    assert_error(client.post(f"{API}/people/{admin.id}/deactivate", headers=admin_h), 422)
    resp = client.post(f"{API}/people/{person.id}/deactivate", headers=admin_h)
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert client.get(f"{API}/me", headers=person_h).status_code == 401
    assert (
        client.post(
            f"{API}/auth/token", json={"email": person.email, "password": PASSWORD}
        ).status_code
        == 401
    )
    assert client.post(f"{API}/people/{person.id}/reactivate", headers=admin_h).status_code == 200
    _token(client, person.email)

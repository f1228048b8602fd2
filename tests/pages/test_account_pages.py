"""The account pages: log out for real (hole 4), tokens, profile, password, reset, confirmation,
export, deletion, the privacy notice, and an expired form (hole 13)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from mutualaid.config import Config
from mutualaid.extensions import db
from mutualaid.models import Need, OutboxMessage, Person
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _mails(app, to=None):
    with app.app_context():
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            query = query.where(OutboxMessage.to_email == to)
        return [(m.to_email, m.subject, m.body) for m in db.session.scalars(query)]


def _path(body: str, prefix: str) -> str:
    return re.search(rf"({re.escape(prefix)}[A-Za-z0-9_.\-]+)", body).group(1)


def _logged_in_as(client) -> bool:
    return "Logged in as" in _text(client.get("/"))


def _log_in(app, person, password=PASSWORD):
    client = app.test_client()
    resp = client.post("/login", data={"email": person.email, "password": password})
    assert resp.status_code == 302, _text(resp)
    return client


# ---- hole 4: logging out ends the session on the server ---------------------------------------


def test_an_old_session_cookie_stops_working_after_logout(app, create_person):
    person = create_person()
    client = _log_in(app, person)
    cookie = client.get_cookie("session").value
    copy = app.test_client()
    copy.set_cookie("session", cookie)
    assert _logged_in_as(copy)
    assert client.post("/logout").status_code == 302
    assert not _logged_in_as(client)
    stolen = app.test_client()
    stolen.set_cookie("session", cookie)  # replayed as it was before the logout
    assert not _logged_in_as(stolen)
    assert stolen.get("/account").status_code == 302


def test_changing_the_password_on_the_page_ends_every_other_session(app, create_person):
    person = create_person(email="ana@example.org", name="Ana Silva")
    here, elsewhere = _log_in(app, person), _log_in(app, person)
    wrong = here.post(
        "/account/password", data={"current_password": "nope", "password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and "Your current password is not right." in _text(wrong)
    both = here.post(
        "/account/password", data={"current_password": "nope", "password": "ana@example.org"}
    )
    html = _text(both)  # every message at once
    assert both.status_code == 422 and html.count('aria-invalid="true"') == 2
    assert "Your current password is not right." in html
    assert _logged_in_as(elsewhere)
    done = here.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert _logged_in_as(here) and not _logged_in_as(elsewhere)
    _log_in(app, person, NEW_PASSWORD)


def test_the_tokens_page_lists_and_revokes(app, client, create_person, login):
    person = create_person()
    token = client.post(
        "/api/v1/auth/token", json={"email": person.email, "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    browser = login(person)
    html = _text(browser.get("/account/tokens"))
    token_id = int(re.search(r"/account/tokens/(\d+)/revoke", html).group(1))
    assert browser.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "You have no API tokens that still work." in _text(browser.get("/account/tokens"))
    other = login(create_person())
    assert other.post(f"/account/tokens/{token_id}/revoke").status_code == 404


def test_log_out_everywhere(app, create_person, login):
    person = create_person()
    one, two = _log_in(app, person), _log_in(app, person)
    assert one.post("/account/sessions/end").status_code == 302
    assert not _logged_in_as(one) and not _logged_in_as(two)


# ---- profile ----------------------------------------------------------------------------------


def test_the_profile_page_saves_details_and_shows_every_error_at_once(app, create_person, login):
    person = create_person(email="ana@example.org", name="Ana")
    browser = login(person)
    page = _text(browser.get("/account"))
    assert 'value="ana@example.org"' in page and 'href="/privacy"' in page
    bad = browser.post(
        "/account/profile", data={"name": "", "phone": "call me", "email": "not an email"}
    )
    html = _text(bad)
    assert bad.status_code == 422
    assert "Enter your name." in html and "Enter a phone number" in html
    assert 'value="call me"' in html  # what was typed is kept
    ok = browser.post(
        "/account/profile",
        data={"name": "Ana Silva", "phone": "07700 900777", "email": "ana.new@example.org"},
        follow_redirects=True,
    )
    assert "open the link we sent to ana.new@example.org" in _text(ok)
    with app.app_context():
        row = db.session.get(Person, person.id)
        assert (row.name, row.phone, row.email) == ("Ana Silva", "07700 900777", "ana@example.org")
    link = _path(_mails(app, "ana.new@example.org")[0][2], "/verify-email/")
    assert browser.get(link).status_code == 302
    with app.app_context():
        assert db.session.get(Person, person.id).email == "ana.new@example.org"


# ---- register and confirm ---------------------------------------------------------------------


def test_register_then_confirm_through_the_pages(app, client):
    resp = client.post(
        "/register",
        data={"name": "Ana Silva", "email": "ana@example.org", "password": "long enough pw"},
    )
    assert "Check your email" in _text(resp)
    browser = app.test_client()
    browser.post("/login", data={"email": "ana@example.org", "password": "long enough pw"})
    home = _text(browser.get("/"))
    assert "Please confirm your email address" in home
    assert browser.post("/verify-email/resend", data={"next": "/"}).status_code == 302
    mails = _mails(app, "ana@example.org")
    assert len(mails) == 2
    assert browser.get("/verify-email/not-a-real-token").status_code == 400
    assert browser.get(_path(mails[-1][2], "/verify-email/")).status_code == 302
    assert "Please confirm your email address" not in _text(browser.get("/"))


def test_registering_a_taken_email_gets_the_same_page(client, create_person):
    create_person(email="taken@example.org")
    new = client.post(
        "/register", data={"name": "Bo", "email": "new@example.org", "password": "long enough pw"}
    )
    taken = client.post(
        "/register",
        data={"name": "Bo", "email": "taken@example.org", "password": "long enough pw"},
    )
    assert new.status_code == taken.status_code == 200
    assert _text(new) == _text(taken)


# ---- password reset ---------------------------------------------------------------------------


def test_reset_through_the_pages(app, client, create_person):
    person = create_person(email="ana@example.org")
    assert "Forgotten your password?" in _text(client.get("/login"))
    known = client.post("/password/forgot", data={"email": "ana@example.org"})
    unknown = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200 and _text(known) == _text(unknown)
    link = _path(_mails(app)[0][2], "/password/reset/")
    page = client.get(link)
    assert page.status_code == 200 and "Choose a new password" in _text(page)
    weak = client.post(link, data={"password": "password"})
    assert weak.status_code == 422 and "There is a problem" in _text(weak)
    done = client.post(link, data={"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    used = client.get(link)
    assert used.status_code == 400 and "has been used" in _text(used)
    _log_in(app, person, NEW_PASSWORD)


# ---- export and deletion ----------------------------------------------------------------------


def test_download_my_data(create_person, login):
    person = create_person(name="Ana Silva", phone="07700 900444")
    resp = login(person).get("/account/export")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    data = json.loads(_text(resp))
    assert data["account"]["name"] == "Ana Silva" and data["account"]["phone"] == "07700 900444"


def test_delete_my_account_on_the_page(app, create_group, create_person, login, need_form):
    person = create_person(name="Ana Silva")
    group = create_group(members=[person])
    browser = login(person)
    assert browser.post("/needs/new", data=need_form(group)).status_code == 302
    assert "cannot be undone" in _text(browser.get("/account/delete"))
    wrong = browser.post("/account/delete", data={"password": "nope"})
    assert wrong.status_code == 422 and "Your password is not right." in _text(wrong)
    done = browser.post("/account/delete", data={"password": PASSWORD}, follow_redirects=True)
    assert "Your account is deleted" in _text(done) and not _logged_in_as(browser)
    with app.app_context():
        need = db.session.scalar(sa.select(Need))
        assert need.status == "cancelled" and need.address is None
        assert db.session.get(Person, person.id).name == "A former member"


# ---- the privacy notice -----------------------------------------------------------------------


def test_the_privacy_notice_says_when_addresses_are_erased(client, app):
    html = _text(client.get("/privacy"))
    assert f"{app.config['RETENTION_DAYS']} days after the" in html


def test_every_form_that_takes_an_address_or_phone_links_the_notice(
    client, create_group, create_person, login
):
    person = create_person()
    create_group(members=[person])
    browser = login(person)
    for url, browser_ in (("/register", client), ("/needs/new", browser), ("/account", browser)):
        html = _text(browser_.get(url))
        main = html.split('<main id="main"')[1].split("</main>")[0]
        assert 'href="/privacy"' in main, url


# ---- hole 13: forms expire, kindly ------------------------------------------------------------


def test_csrf_tokens_have_a_lifetime():
    assert Config.WTF_CSRF_TIME_LIMIT is not None and 0 < Config.WTF_CSRF_TIME_LIMIT <= 24 * 3600


@pytest.fixture
def csrf_expired(app):
    app.config.update(WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=-1)  # every token is too old
    yield
    app.config.update(WTF_CSRF_ENABLED=False, WTF_CSRF_TIME_LIMIT=Config.WTF_CSRF_TIME_LIMIT)


def test_an_expired_form_says_so_kindly(app, create_person, csrf_expired):
    person = create_person()
    client = app.test_client()
    page = _text(client.get("/login"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "http://localhost/login"},
    )
    html = _text(resp)
    assert resp.status_code == 400
    assert "This form has expired" in html and "Nothing was saved" in html
    assert 'href="/login"' in html and "CSRF" not in html
    assert not _logged_in_as(client)

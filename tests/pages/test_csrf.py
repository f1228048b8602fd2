"""CSRF protection on the page forms (disabled elsewhere in tests for brevity)."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_post_without_token_is_refused_with_a_page(app, csrf_on, create_person):
    person = create_person()
    client = app.test_client()
    resp = client.post("/login", data={"email": person.email, "password": "correct horse battery"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'lang="en-GB"' in html and "CSRF" in html and "Logged in as" not in html
    assert "Logged in as" not in client.get("/").get_data(as_text=True)


def test_post_with_the_forms_token_is_accepted(app, csrf_on, create_person):
    person = create_person()
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    resp = client.post(
        "/login",
        data={"email": person.email, "password": "correct horse battery", "csrf_token": token},
    )
    assert resp.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Logged in as" in home
    # logging out needs the token too
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": _token(home)}).status_code == 302

"""The password rule: at least 10 characters, not common, not the account's own name or email."""

from __future__ import annotations

import pytest

from mutualaid import passwords


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("12345678", "at least 10"),
        ("password", "at least 10"),
        (" " * 8, "at least 10"),
        (" " * 12, "more than spaces"),
        ("1234567890", "most common"),
        ("qwertyuiop", "most common"),
        ("Password123", "most common"),  # case does not make it rarer
        ("aaaaaaaaaaaa", "most common"),
        ("ana.okoro@example.org", "name or email"),
        ("ANA.OKORO@example.org", "name or email"),
        ("ana.okoro1", None),
        ("Ana Okoro Smith", "name or email"),
        ("correct horse battery", None),
        ("x" * 1001, "at most 1000"),
    ],
)
def test_the_rule(password, problem):
    found = passwords.problems(password, "ana.okoro@example.org", "Ana Okoro Smith")
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0].lower()


def test_registration_refuses_weak_passwords_field_by_field(client):
    for weak in ("12345678", "password", " " * 8, "sam@example.org", "1234567890"):
        resp = client.post(
            "/api/v1/auth/register",
            json={"email": "sam@example.org", "password": weak, "name": "Sam Okoro"},
        )
        assert resp.status_code == 422, weak
        assert list(resp.get_json()["errors"]) == ["password"], weak
    ok = client.post(
        "/api/v1/auth/register",
        json={"email": "sam@example.org", "password": "a long password", "name": "Sam Okoro"},
    )
    assert ok.status_code == 202


def test_the_register_page_says_why(client):
    resp = client.post(
        "/register", data={"name": "Bo Li", "email": "bo@example.org", "password": "password123"}
    )
    assert resp.status_code == 422
    assert "one of the most common" in resp.get_data(as_text=True)

"""The operators' account commands: deactivate and reactivate."""

from __future__ import annotations

from tests.conftest import PASSWORD


def _token(client, person):
    return client.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})


def test_deactivate_and_reactivate_an_account(client, runner, create_person):
    person = create_person(email="ana@example.org")
    token = _token(client, person).get_json()["token"]
    result = runner.invoke(args=["deactivate-account", "ANA@example.org"])
    assert result.exit_code == 0, result.output
    assert "Deactivated ana@example.org" in result.output
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _token(client, person).status_code == 401
    assert runner.invoke(args=["reactivate-account", "ana@example.org"]).exit_code == 0
    assert _token(client, person).status_code == 200


def test_an_unknown_email_is_a_one_line_error(runner):
    result = runner.invoke(args=["deactivate-account", "nobody@example.org"])
    assert result.exit_code == 1 and "No account with email nobody@example.org." in result.output

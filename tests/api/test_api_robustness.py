"""Robustness: lock contention is a retryable 503, ids out of range are 404, and 405 says what
is allowed."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from mutualaid.services import skills as skills_svc


class _DeadlockDetected(Exception):
    sqlstate = "40P01"


@pytest.mark.parametrize(
    "orig", [Exception("database is locked"), _DeadlockDetected("deadlock detected")]
)
def test_contention_is_503_with_retry_after(client, monkeypatch, orig):
    def busy():
        raise OperationalError("SELECT 1", {}, orig)

    monkeypatch.setattr(skills_svc, "list_skills", busy)
    resp = client.get("/api/v1/skills")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["code"] == "busy" and set(resp.get_json()) == {
        "code",
        "status",
        "message",
        "errors",
    }


def test_other_operational_errors_are_not_called_busy(client, monkeypatch):
    def broken():
        raise OperationalError("SELECT 1", {}, Exception("no such table: skills"))

    monkeypatch.setattr(skills_svc, "list_skills", broken)
    resp = client.get("/api/v1/skills")
    assert resp.status_code == 500 and resp.get_json()["code"] == "internal_error"
    assert "no such table" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/matches/117278654811696286612393876783104/cancel",
        "/api/v1/needs/99999999999999999999",
        "/api/v1/offers/2147483648",
    ],
)
def test_ids_beyond_the_database_are_not_found(client, create_person, token_for, url):
    headers = token_for(create_person())
    resp = (
        client.post(url, headers=headers)
        if url.endswith("cancel")
        else client.get(url, headers=headers)
    )
    assert resp.status_code == 404 and resp.get_json()["code"] == "not_found"


def test_timestamps_carry_their_zone(client, create_person, create_group, token_for):
    create_group(slug="zoned")
    group = next(g for g in client.get("/api/v1/groups").get_json() if g["slug"] == "zoned")
    assert group["created_at"].endswith("+00:00")


def test_method_not_allowed_says_what_is(client):
    resp = client.put("/api/v1/skills")
    assert resp.status_code == 405 and set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert resp.get_json()["code"] == "method_not_allowed"

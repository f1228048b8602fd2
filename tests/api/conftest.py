"""Helpers for the API tests: a JSON client and valid payloads."""

from __future__ import annotations

from datetime import date, timedelta

import pytest


def _need_payload(**overrides):
    data = {
        "group": "hackney",
        "category": "legal-aid",
        "title": "Help with a housing letter",
        "description": "My landlord sent a notice I do not understand.",
        "skills": ["legal-advice"],
        "postcode": "E8 1AA",
        "address": "Flat 2, 10 Mare Street",
        "when": {
            "date": (date.today() + timedelta(days=7)).isoformat(),
            "start": "09:00",
            "end": "11:00",
        },
        "volunteers_needed": 1,
        "urgency": "high",
        "remote_ok": False,
    }
    data.update(overrides)
    return data


def _offer_payload(**overrides):
    data = {
        "groups": ["hackney"],
        "skills": ["befriending", "dbs-checked"],
        "postcode": "E8 2AA",
        "max_travel_km": 4,
        "availability": [
            {"weekday": "tue", "start": "07:30", "end": "12:00"},
            {"weekday": 3, "start": "18:00", "end": "20:00"},
        ],
        "capacity": 2,
        "note": "Retired solicitor, can phone or visit.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def hackney(create_group, create_person):
    """The group ``hackney`` (3 km around E8 1AA) with its coordinator."""
    coordinator = create_person(name="Cora Coordinator")
    group = create_group(
        slug="hackney", name="Hackney Mutual Aid", radius_km=3, coordinators=[coordinator]
    )
    return group, coordinator


def _assert_error(resp, status, field=None):
    """The response is the error shape with ``status``, naming ``field`` when given."""
    body = resp.get_json()
    assert resp.status_code == status, body
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["status"] == status and body["message"]
    if field is not None:
        assert field in body["errors"], body
    return body


@pytest.fixture
def need_payload():
    """``need_payload(**overrides)`` -> a valid POST /needs body for the group ``hackney``."""
    return _need_payload


@pytest.fixture
def offer_payload():
    """``offer_payload(**overrides)`` -> a valid POST /offers body for the group ``hackney``."""
    return _offer_payload


@pytest.fixture
def assert_error():
    """``assert_error(resp, status, field=None)`` checks the error shape and returns the body."""
    return _assert_error

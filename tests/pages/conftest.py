"""Page-test helpers: a logged-in browser per person, and form posts that look like a browser's."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mutualaid.extensions import db


@pytest.fixture
def need_form():
    """``need_form(group, **overrides)`` -> the fields a browser posts from "I need help"."""

    def factory(group, /, **overrides):
        data = {
            "group": group.slug,
            "category": "legal-aid",
            "title": "Help reading a tenancy letter",
            "description": "My landlord wrote to me.",
            "skills": ["legal-advice"],
            "postcode": "E8 1AA",
            "address": "Flat 3, 12 Mare Street",
            "when_kind": "once",
            "date": (date.today() + timedelta(days=10)).isoformat(),
            "start": "09:00",
            "end": "11:00",
            "volunteers_needed": "1",
            "urgency": "normal",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return factory


@pytest.fixture
def offer_form():
    def factory(group, /, **overrides):
        data = {
            "groups": [group.slug],
            "skills": ["cooking"],
            "postcode": "E8 2AA",
            "max_travel_km": "4",
            "slots": ["tue-morning", "tue-afternoon", "sat-evening"],
            "capacity": "2",
            "note": "No Sundays.",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return factory


@pytest.fixture
def read(app):
    """``read(lambda: ...)`` -> its value, computed in a fresh app context (a fresh session).

    Tests that make requests must not hold an app context of their own: requests would share it,
    and with it the logged-in user cached in ``g`` and the session's identity map.
    """

    def run(fn):
        with app.app_context():
            try:
                result = fn()
                db.session.expunge_all()  # keep what was loaded readable after the context ends
                return result
            finally:
                db.session.rollback()

    return run

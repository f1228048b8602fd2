"""Helpers for the matching workflow: a group with a coordinator, and runs without the scheduler."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Group, Match, OutboxMessage, Person


@dataclass
class Scene:
    group: Group
    coordinator: Person
    headers: dict[str, str]


@pytest.fixture
def scene(create_person, create_group, token_for) -> Scene:
    coordinator = create_person(name="Cora Coordinator")
    group = create_group(coordinators=[coordinator], slug="hackney", name="Hackney Mutual Aid")
    return Scene(group, coordinator, token_for(coordinator))


@pytest.fixture
def run_matching(client):
    """``run_matching(scene)`` -> the finished run as the API shows it at its ``Location``.

    The tests' executor is inline: the run is over when the 202 comes back.
    """

    def run(scene: Scene) -> dict:
        resp = client.post(
            f"/api/v1/groups/{scene.group.slug}/matching-runs", headers=scene.headers
        )
        assert resp.status_code == 202, resp.get_json()
        polled = client.get(resp.headers["Location"], headers=scene.headers)
        assert polled.status_code == 200 and polled.get_json()["id"] == resp.get_json()["id"]
        return polled.get_json()

    return run


@pytest.fixture
def matches_of(app):
    """``matches_of(need_id=..)`` -> [(need_id, offer_id, status)] straight from the database."""

    def rows(**where) -> list[tuple[int, int, str]]:
        with app.app_context():
            query = sa.select(Match.need_id, Match.offer_id, Match.status).order_by(Match.id)
            for key, value in where.items():
                query = query.where(getattr(Match, key) == value)
            return [tuple(r) for r in db.session.execute(query)]

    return rows


@pytest.fixture
def outbox(app):
    def rows() -> list[OutboxMessage]:
        with app.app_context():
            found = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
            for m in found:
                db.session.expunge(m)
            return found

    return rows


@pytest.fixture
def browser(login):
    """``browser(person)`` -> a test client logged in as that person (session set directly)."""
    return login

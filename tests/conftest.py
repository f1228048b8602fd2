"""Fixtures: the app built once per session on a migrated database, emptied after every test.

SQLite by default (a file in a temporary directory, so threads and a live server can share it);
PostgreSQL when ``DATABASE_URL`` points there. The schema always comes from ``migrations/``.
"""

from __future__ import annotations

import itertools
import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mutualaid import audit, geo
from mutualaid.config import TestConfig
from mutualaid.extensions import db
from mutualaid.models import Group, Membership, Need, Offer, OfferSkill, Person, Skill, utcnow
from mutualaid.services import accounts, preview

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from web import create_app

    url = os.environ.get("DATABASE_URL")
    if url:
        from mutualaid.config import database_url

        url = database_url()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_FILE_DIR": str(tmp_path_factory.mktemp("mail")),
        }
    )
    with app.app_context():
        with db.engine.begin() as conn:  # start from nothing, whatever an earlier run left
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        skills = [dict(r._mapping) for r in db.session.execute(sa.select(Skill.__table__))]
        db.session.remove()
    app.config["_SEED_SKILLS"] = skills
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_database(app):
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        conn.execute(Skill.__table__.insert(), app.config["_SEED_SKILLS"])


@pytest.fixture(autouse=True)
def _clean_db(request, app):
    audit.set_actor(None)
    yield
    audit.set_actor(None)
    _dispose_other_apps(app)
    preview.forget_cached_offers()  # ids start again in an emptied database
    with app.app_context():
        db.session.remove()
        _empty_database(app)


def _dispose_other_apps(app):
    """Close the pooled connections of apps a test built for itself (``create_app(...)``), so
    that none is left for the garbage collector to finalise in the middle of a later test."""
    for other, engines in list(db._app_engines.items()):
        if other is not app:
            for engine in engines.values():
                engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for tests that call services directly."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_seq = itertools.count(1)


@pytest.fixture
def create_person(app):
    def factory(**kw) -> Person:
        n = next(_seq)
        with app.app_context():
            person = Person(
                email=kw.pop("email", f"person{n}@example.org").lower(),
                password_hash=accounts.hash_password(kw.pop("password", PASSWORD)),
                name=kw.pop("name", f"Person {n}"),
                phone=kw.pop("phone", f"07700 900{n:03d}"),
                email_verified_dt=kw.pop("email_verified_dt", utcnow()),
                **kw,
            )
            db.session.add(person)
            db.session.commit()
            db.session.refresh(person)
            db.session.expunge(person)
            return person

    return factory


@pytest.fixture
def create_group(app):
    def factory(coordinators=(), members=(), **kw) -> Group:
        n = next(_seq)
        with app.app_context():
            postcode = kw.pop("postcode", "E8 1AA")
            place = geo.resolve(postcode)
            group = Group(
                name=kw.pop("name", f"Group {n}"),
                slug=kw.pop("slug", f"group-{n}"),
                centre_postcode=place.postcode,
                centre_lat=place.lat,
                centre_lon=place.lon,
                radius_km=kw.pop("radius_km", 10.0),
                **kw,
            )
            db.session.add(group)
            db.session.flush()
            for p in coordinators:
                db.session.add(Membership(group_id=group.id, person_id=p.id, role="coordinator"))
            for p in members:
                db.session.add(Membership(group_id=group.id, person_id=p.id, role="member"))
            db.session.commit()
            db.session.refresh(group)
            db.session.expunge(group)
            return group

    return factory


def _skills(slugs):
    return list(db.session.scalars(sa.select(Skill).where(Skill.slug.in_(list(slugs)))))


@pytest.fixture
def create_need(app, create_person):
    def factory(group, requester=None, skills=(), postcode="E8 1AA", **kw) -> Need:
        requester = requester or create_person()
        with app.app_context():
            place = geo.resolve(postcode)
            on_date = kw.pop("on_date", None)
            windows = kw.pop("windows", None)
            if windows is None:
                windows = [
                    {
                        "weekday": on_date.weekday() if on_date else 1,
                        "start": "09:00",
                        "end": "11:00",
                    }
                ]
            if on_date is None:  # weekly: from today, for eight weeks, unless given
                kw.setdefault("starts_on", date.today())
                kw.setdefault("ends_on", kw["starts_on"] + timedelta(days=55))
            need = Need(
                group_id=group.id,
                requester_id=requester.id,
                category=kw.pop("category", "legal-aid"),
                title=kw.pop("title", "Help with a housing letter"),
                description=kw.pop("description", "Landlord sent a notice."),
                postcode=place.postcode,
                district=place.district,
                lat=place.lat,
                lon=place.lon,
                address=kw.pop("address", "Flat 2, 10 Mare Street"),
                on_date=on_date,
                windows=windows,
                **kw,
            )
            need.skills = _skills(skills)
            db.session.add(need)
            db.session.commit()
            db.session.refresh(need)
            db.session.expunge(need)
            return need

    return factory


@pytest.fixture
def create_offer(app, create_person):
    def factory(
        groups=(), volunteer=None, skills=(), postcode="E8 2AA", verified=True, **kw
    ) -> Offer:
        volunteer = volunteer or create_person()
        with app.app_context():
            place = geo.resolve(postcode)
            offer = Offer(
                volunteer_id=volunteer.id,
                postcode=place.postcode,
                district=place.district,
                lat=place.lat,
                lon=place.lon,
                max_travel_km=kw.pop("max_travel_km", 5.0),
                availability=kw.pop(
                    "availability",
                    [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)],
                ),
                capacity=kw.pop("capacity", 1),
                **kw,
            )
            offer.groups = [db.session.get(Group, g.id) for g in groups]
            for skill in _skills(skills):
                offer.offer_skills.append(
                    OfferSkill(
                        skill=skill,
                        verified_dt=utcnow() if (verified and skill.is_credential) else None,
                        expires_on=date(2099, 1, 1) if skill.is_credential else None,
                    )
                )
            db.session.add(offer)
            db.session.commit()
            db.session.refresh(offer)
            db.session.expunge(offer)
            return offer

    return factory


@pytest.fixture
def token_for(client):
    """``token_for(person)`` -> an ``Authorization`` header dict for the API."""

    def factory(person, password=PASSWORD):
        resp = client.post("/api/v1/auth/token", json={"email": person.email, "password": password})
        assert resp.status_code == 200, resp.get_json()
        return {"Authorization": f"Bearer {resp.get_json()['token']}"}

    return factory


@pytest.fixture
def login(app):
    """``login(person)`` -> a test client with that person's session.

    The session is set directly (checking a password is slow by design); the log-in page itself
    is tested on its own.
    """

    def factory(person):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = person.get_id()
            session["_fresh"] = True
        return client

    return factory

"""The coordinator's page is cached per group data version and viewer: never stale after a write,
never another group's, role's or session's view."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import redis
import sqlalchemy as sa

from mutualaid.extensions import cache, db
from mutualaid.models import Group, Match, Need

PAGE = "/groups/hackney/coordinate"


@pytest.fixture(params=["SimpleCache", "RedisCache"])
def cached(request, app):
    """The app's cache as configured by default (in memory) and with Redis; emptied around the
    test, so an earlier test's pages are never served."""
    before = {k: app.config.get(k) for k in ("CACHE_TYPE", "CACHE_REDIS_URL", "CACHE_KEY_PREFIX")}
    if request.param == "RedisCache":
        try:
            redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
        except redis.RedisError:
            pytest.skip("no Redis at 127.0.0.1:6379")
        app.config.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL="redis://127.0.0.1:6379/0",
            CACHE_KEY_PREFIX=f"mutualaid-test-{id(app)}:",
        )
    cache.init_app(app)
    with app.app_context():
        cache.clear()
    yield request.param
    with app.app_context():
        cache.clear()
    app.config.update(before)
    cache.init_app(app)


def _statements(app):
    """The SQL each request issues, to see whether the page's body was built again."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
    return seen


def _version(app, group_id):
    with app.app_context():
        return db.session.scalar(sa.select(Group.data_version).where(Group.id == group_id))


def test_a_second_view_is_served_from_the_cache_and_revalidates_with_a_304(
    app, cached, scene, browser, create_need
):
    create_need(scene.group, title="Shopping for Mrs Green")
    page = browser(scene.coordinator)
    seen = _statements(app)
    first = page.get(PAGE)
    assert first.status_code == 200 and "Shopping for Mrs Green" in first.text
    assert any("FROM needs" in s for s in seen)
    seen.clear()
    again = page.get(PAGE)
    assert again.text == first.text.replace(_token(first), _token(again))
    assert not any("FROM needs" in s or "FROM offers" in s for s in seen), seen
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "no-store"  # personal
    unchanged = page.get(PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""


def test_a_new_need_an_approval_and_a_run_each_show_on_the_next_view(
    app, cached, scene, browser, create_need, create_offer, create_person, run_matching
):
    need = create_need(scene.group, title="Lift to the clinic")
    page = browser(scene.coordinator)
    before = page.get(PAGE)
    etag = before.headers["ETag"]
    assert "Posted. Your group" in before.text

    volunteer = create_person(name="Vera Volunteer")
    create_offer([scene.group], volunteer=volunteer)
    version = _version(app, scene.group.id)
    run_matching(scene)  # a run: the need now has a proposal
    assert _version(app, scene.group.id) > version
    after_run = page.get(PAGE, headers={"If-None-Match": etag})
    assert after_run.status_code == 200 and after_run.headers["ETag"] != etag
    assert "A volunteer has been suggested" in after_run.text
    assert "Vera Volunteer" in after_run.text  # the new offer too

    with app.app_context():
        match_id = db.session.scalar(sa.select(Match.id).where(Match.need_id == need.id))
    assert page.post(f"/matches/{match_id}/approve").status_code in (302, 303)
    approved = page.get(PAGE)
    assert "Agreed: Vera Volunteer is coming." in approved.text
    assert "A volunteer has been suggested" not in approved.text

    resident = create_person()
    posted = browser(resident).post(
        "/needs/new",
        data={
            "group": scene.group.slug,
            "category": "food",
            "title": "Prescription pick-up",
            "description": "From the chemist on Mare Street.",
            "postcode": "E8 1AA",
            "address": "1 Mare Street",
            "when_kind": "once",
            "date": (date.today() + timedelta(days=3)).isoformat(),
            "start": "10:00",
            "end": "12:00",
            "volunteers_needed": "1",
            "urgency": "normal",
        },
    )
    assert posted.status_code in (302, 303), posted.text
    with app.app_context():
        assert db.session.scalar(sa.select(Need.id).where(Need.title == "Prescription pick-up"))
    assert "Prescription pick-up" in page.get(PAGE).text


def test_an_edit_made_without_the_web_app_also_moves_the_version(app, cached, scene, create_need):
    need = create_need(scene.group, title="Befriending calls")
    version = _version(app, scene.group.id)
    with app.app_context():  # a job or the command line, through the ORM
        db.session.get_one(Need, need.id).title = "Befriending visits"
        db.session.commit()
    assert _version(app, scene.group.id) == version + 1
    with app.app_context():  # a transaction that rolls back moves nothing
        db.session.get_one(Need, need.id).title = "Something else"
        db.session.flush()
        db.session.rollback()
        db.session.commit()
    assert _version(app, scene.group.id) == version + 1


def _token(resp) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', resp.text).group(1)


def test_another_group_another_role_and_another_coordinator_never_get_a_cached_view(
    app, cached, scene, browser, create_group, create_need, create_person, create_offer
):
    create_need(scene.group, title="Hackney private need", address="12 Secret Row")
    create_offer([scene.group], volunteer=create_person(phone="07700 900999"))
    coordinator = browser(scene.coordinator)
    mine = coordinator.get(PAGE)
    assert mine.status_code == 200 and "07700 900999" in mine.text

    other_coordinator = create_person()
    create_group(coordinators=[other_coordinator], slug="islington", name="Islington")
    member = create_person()
    with app.app_context():
        from mutualaid.models import Membership

        db.session.add(Membership(group_id=scene.group.id, person_id=member.id, role="member"))
        db.session.commit()
    for outsider in (other_coordinator, member):
        resp = browser(outsider).get(PAGE)
        assert resp.status_code == 403
        assert "Hackney private need" not in resp.text and "07700 900999" not in resp.text
        assert (
            browser(outsider).get(PAGE, headers={"If-None-Match": mine.headers["ETag"]}).status_code
            == 403
        )

    # A second coordinator of the same group: their own entry, and their own form tokens.
    second = create_person()
    with app.app_context():
        from mutualaid.models import Membership

        db.session.add(Membership(group_id=scene.group.id, person_id=second.id, role="coordinator"))
        db.session.commit()
    theirs = browser(second).get(PAGE)
    assert theirs.status_code == 200 and "Hackney private need" in theirs.text
    assert theirs.headers["ETag"] != mine.headers["ETag"]
    assert _token(theirs) != _token(mine) and _token(mine) not in theirs.text
    assert "<!--csrf-token-->" not in theirs.text and "<!--csrf-token-->" not in mine.text
    with app.app_context():
        keys = [k for k in _cache_keys(cached, app) if f":{scene.group.id}:" in k]
    assert {f":p{scene.coordinator.id}:" in k for k in keys} == {True, False}  # one per viewer


def _cache_keys(kind, app):
    if kind == "RedisCache":
        client = redis.Redis.from_url(app.config["CACHE_REDIS_URL"])
        prefix = app.config["CACHE_KEY_PREFIX"]
        return [k.decode()[len(prefix) :] for k in client.scan_iter(f"{prefix}*")]
    return list(cache.cache._cache)

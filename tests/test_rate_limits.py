"""Rate limits on logging in and registering: per address, and per account for failed attempts."""

from __future__ import annotations

import pytest

from mutualaid.extensions import db
from tests.conftest import PASSWORD
from web import create_app

SMALL_LIMITS = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_ADDRESS": "6 per minute",
    "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
    "REGISTER_LIMIT_PER_ADDRESS": "2 per minute",
    "REGISTER_LIMIT_PER_ACCOUNT": "5 per minute",
    "RESET_LIMIT_PER_ADDRESS": "2 per minute",
    "RESET_LIMIT_PER_ACCOUNT": "5 per minute",
}


@pytest.fixture
def limited(app):
    """A client of an app sharing the suite's database, with small limits switched on."""
    limited_app = create_app({**dict(app.config), **SMALL_LIMITS})
    yield limited_app.test_client()
    with limited_app.app_context():  # its own engine: close its connections (PostgreSQL)
        db.session.remove()
        db.engine.dispose()


def _token(client, email, password):
    return client.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_wrong_passwords_for_one_account_are_stopped_even_before_the_right_one(
    limited, create_person
):
    person = create_person(email="ana@example.org")
    for _ in range(3):
        assert _token(limited, person.email, "not the password").status_code == 401
    resp = _token(limited, person.email, PASSWORD)
    assert resp.status_code == 429
    body = resp.get_json()
    assert body["code"] == "too_many_requests" and body["status"] == 429
    assert body["message"].startswith("Too many attempts") and body["errors"] == {}
    assert int(resp.headers["Retry-After"]) > 0
    # Another account from the same address is not blocked by ana's counter.
    other = create_person(email="bo@example.org")
    assert _token(limited, other.email, PASSWORD).status_code == 200


def test_right_passwords_do_not_count_against_the_account(limited, create_person):
    person = create_person(email="cy@example.org")
    for _ in range(5):
        assert _token(limited, person.email, PASSWORD).status_code == 200


def test_one_address_is_limited_across_accounts(limited, create_person):
    codes = [
        _token(limited, f"p{i}@example.org", "whatever-password").status_code for i in range(7)
    ]
    assert codes[:6] == [401] * 6 and codes[6] == 429


def test_the_login_page_is_limited_too(limited, create_person):
    person = create_person(email="di@example.org")
    for _ in range(3):
        resp = limited.post("/login", data={"email": person.email, "password": "nope-nope-nope"})
        assert resp.status_code == 401
    resp = limited.post("/login", data={"email": person.email, "password": PASSWORD})
    assert resp.status_code == 429 and "Retry-After" in resp.headers
    assert "text/html" in resp.content_type and "Too many attempts" in resp.get_data(as_text=True)


def test_registration_is_limited_per_address(limited):
    codes = [
        limited.post(
            "/api/v1/auth/register",
            json={"email": f"new{i}@example.org", "password": "a long password", "name": "New"},
        ).status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]


def test_limits_are_off_when_disabled(client, create_person):
    person = create_person(email="ed@example.org")
    codes = {_token(client, person.email, "wrong-password").status_code for _ in range(10)}
    assert codes == {401}


def _redis_url() -> str | None:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        return None
    return url


def test_workers_share_their_counters_through_redis(app, create_person):
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(url).flushdb()
    config = {**dict(app.config), **SMALL_LIMITS, "RATELIMIT_STORAGE_URI": url}
    apps = [create_app(config), create_app(config)]
    first, second = (a.test_client() for a in apps)
    person = create_person(email="fi@example.org")
    for client in (first, second, first):
        assert _token(client, person.email, "not the password").status_code == 401
    assert _token(second, person.email, PASSWORD).status_code == 429
    redis.Redis.from_url(url).flushdb()
    for each in apps:
        with each.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/auth/password-reset", {"email": "ana@example.org"}),
        ("/api/v1/auth/password-reset/confirm", {"token": "x", "password": "a long password"}),
    ],
)
def test_password_reset_is_limited_per_address(limited, url, body):
    codes = [limited.post(url, json=body).status_code for _ in range(3)]
    assert codes[2] == 429 and 429 not in codes[:2]


def test_the_forgotten_password_page_is_limited(limited):
    codes = [
        limited.post("/password/forgot", data={"email": f"p{i}@example.org"}).status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]


def test_every_door_that_takes_a_password_is_limited():
    from web.limits import LIMITED_VIEWS

    for endpoint in (
        "pages.forgot_password",
        "api.request_reset",
        "pages.reset_password",
        "api.reset_password",
        "pages.account_password",
        "api.change_password",
        "pages.delete_account",
        "api.erase_me",
    ):
        assert endpoint in LIMITED_VIEWS

"""Bad input: every error is 4xx in the shape ``{code, status, message, errors}``; never a 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualaid.extensions import db
from mutualaid.models import ApiToken, Need, utcnow


@pytest.fixture
def resident(create_person, token_for, hackney):
    person = create_person(name="Rita Resident")
    return person, token_for(person)


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'{"title": ', "application/json"),
        (b"not json at all", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"a string"', "application/json"),
        (b"42", "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"title=x", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_malformed_body_is_400(client, resident, assert_error, raw, content_type):
    _, headers = resident
    for url in ("/api/v1/needs", "/api/v1/offers", "/api/v1/auth/register", "/api/v1/auth/token"):
        body = assert_error(
            client.post(url, data=raw, content_type=content_type, headers=headers), 400
        )
        assert body["code"] == "bad_request"


def test_not_logged_in_is_401(client, app, resident, need_payload, assert_error):
    _, headers = resident
    need_id = client.post("/api/v1/needs", json=need_payload(), headers=headers).get_json()["id"]
    for method, url in [
        ("get", "/api/v1/needs"),
        ("post", "/api/v1/needs"),
        ("get", f"/api/v1/needs/{need_id}"),
        ("patch", f"/api/v1/needs/{need_id}"),
        ("delete", f"/api/v1/needs/{need_id}"),
        ("get", "/api/v1/offers"),
        ("post", "/api/v1/offers"),
        ("get", "/api/v1/me"),
    ]:
        for bad in (
            {},
            {"Authorization": "Bearer nonsense"},
            {"Authorization": "Basic abc"},
            {"Authorization": "Bearer "},
            {"Authorization": "Bearer \x00"},
        ):
            assert_error(getattr(client, method)(url, json={}, headers=bad), 401)
    with app.app_context():  # an expired token stops working
        db.session.execute(sa.update(ApiToken).values(expires_dt=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(client.get("/api/v1/needs", headers=headers), 401)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/needs/999999",
        "/api/v1/needs/99999999999999999999999",
        "/api/v1/needs/0",
        "/api/v1/needs/abc",
        "/api/v1/offers/999999",
        "/api/v1/offers/99999999999999999999",
        "/api/v1/no-such-thing",
    ],
)
def test_unknown_id_is_404(client, resident, assert_error, url):
    _, headers = resident
    for method in ("get", "patch", "delete"):
        if url.endswith("no-such-thing") and method != "get":
            continue
        assert_error(getattr(client, method)(url, json={"title": "x"}, headers=headers), 404)
    assert_error(
        client.post(
            f"{url}/credentials",
            json={"skill": "dbs-checked", "expires_on": "2099-01-01"},
            headers=headers,
        ),
        404,
    )


def test_not_allowed_is_403(
    client, create_person, token_for, resident, need_payload, offer_payload, assert_error
):
    _, headers = resident
    need_id = client.post("/api/v1/needs", json=need_payload(), headers=headers).get_json()["id"]
    offer_id = client.post("/api/v1/offers", json=offer_payload(), headers=headers).get_json()["id"]
    stranger = token_for(create_person())
    assert_error(
        client.patch(f"/api/v1/needs/{need_id}", json={"title": "Taken over"}, headers=stranger),
        403,
    )
    assert_error(client.patch(f"/api/v1/needs/{need_id}", json={"title": 5}, headers=stranger), 403)
    assert_error(client.delete(f"/api/v1/needs/{need_id}", headers=stranger), 403)
    assert_error(
        client.patch(f"/api/v1/offers/{offer_id}", json={"capacity": 5}, headers=stranger), 403
    )
    assert_error(client.delete(f"/api/v1/offers/{offer_id}", headers=stranger), 403)
    assert_error(
        client.post("/api/v1/skills", json={"slug": "x", "name": "X"}, headers=stranger), 403
    )
    assert_error(client.patch("/api/v1/skills/cooking", json={"name": "X"}, headers=stranger), 403)


def test_unknown_references_are_field_errors(
    client, resident, need_payload, offer_payload, assert_error
):
    _, headers = resident
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(skills=["x", "cooking"]), headers=headers),
        422,
    )
    assert body["errors"] == {"skills": ["Unknown skill 'x'."]}
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(group="atlantis"), headers=headers), 422
    )
    assert body["errors"] == {"group": ["Unknown group 'atlantis'."]}
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(postcode="QQ1 1QQ"), headers=headers), 422
    )
    assert list(body["errors"]) == ["postcode"]
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(postcode="M1 1AA"), headers=headers), 422
    )
    assert body["errors"] == {
        "postcode": ["M1 1AA is outside the area of Hackney Mutual Aid. No group covers it yet."]
    }
    body = assert_error(
        client.post(
            "/api/v1/offers",
            json=offer_payload(groups=["hackney", "atlantis"], skills=["nope"]),
            headers=headers,
        ),
        422,
    )
    assert body["errors"] == {
        "groups": ["Unknown group 'atlantis'."],
        "skills": ["Unknown skill 'nope'."],
    }
    assert_error(client.get("/api/v1/needs?group=atlantis", headers=headers), 422, "group")
    assert_error(client.get("/api/v1/offers?skill=nope", headers=headers), 422, "skill")


def test_postcode_spellings_are_accepted(client, resident, need_payload):
    _, headers = resident
    for spelling, expected in (("e81aa", "E8 1AA"), (" E8  1AA ", "E8 1AA"), ("e8", "E8")):
        resp = client.post("/api/v1/needs", json=need_payload(postcode=spelling), headers=headers)
        assert resp.status_code == 201 and resp.get_json()["postcode"] == expected


_PAST = (date.today() - timedelta(days=1)).isoformat()
_SOON = (date.today() + timedelta(days=3)).isoformat()

BAD_NEED_FIELDS = [
    ("title", None),
    ("title", ""),
    ("title", "x" * 201),
    ("title", 12),
    ("title", ["a"]),
    ("title", {"a": 1}),
    ("title", "nul\x00byte"),
    ("description", "x" * 5001),
    ("description", 3.5),
    ("address", "\x00"),
    ("address", {"street": "x"}),
    ("category", "pets"),
    ("category", None),
    ("urgency", "urgent"),
    ("urgency", 3),
    ("remote_ok", "perhaps"),
    ("remote_ok", [True]),
    ("group", 7),
    ("group", "Not A Slug"),
    ("group", ""),
    ("skills", "cooking"),
    ("skills", [1, 2]),
    ("skills", [None]),
    ("skills", ["x"] * 21),
    ("skills", {"slug": "cooking"}),
    ("postcode", ""),
    ("postcode", 12345),
    ("postcode", "x" * 11),
    ("postcode", None),
    ("volunteers_needed", 0),
    ("volunteers_needed", 51),
    ("volunteers_needed", -1),
    ("volunteers_needed", "3"),
    ("volunteers_needed", 2.5),
    ("volunteers_needed", 10**30),
    ("volunteers_needed", None),
    ("volunteers_needed", True),
    ("volunteers_needed", [1]),
    ("when", None),
    ("when", "tuesday"),
    ("when", [1, 2]),
    ("when", {}),
    ("when", {"weekly": []}),
    ("when", {"weekly": "tue"}),
    ("when", {"weekly": [{"weekday": "funday", "start": "09:00", "end": "10:00"}]}),
    ("when", {"weekly": [{"weekday": 7, "start": "09:00", "end": "10:00"}]}),
    ("when", {"weekly": [{"weekday": -1, "start": "09:00", "end": "10:00"}]}),
    ("when", {"weekly": [{"weekday": True, "start": "09:00", "end": "10:00"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "25:00", "end": "26:00"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "9am", "end": "10am"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "10:00", "end": "09:00"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "10:00", "end": "10:00"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "10:00"}]}),
    ("when", {"weekly": [{"weekday": "tue", "start": "10:00", "end": "11:00", "extra": 1}]}),
    ("when", {"weekly": [["tue", "10:00", "11:00"]]}),
    ("when", {"date": _PAST, "start": "09:00", "end": "10:00"}),
    ("when", {"date": "2026-02-30", "start": "09:00", "end": "10:00"}),
    ("when", {"date": "9999-12-31", "start": "09:00", "end": "10:00"}),
    ("when", {"date": 20261201, "start": "09:00", "end": "10:00"}),
    ("when", {"date": _SOON, "start": "11:00", "end": "10:00"}),
    ("when", {"date": _SOON}),
    (
        "when",
        {
            "date": _SOON,
            "start": "09:00",
            "end": "10:00",
            "weekly": [{"weekday": "tue", "start": "09:00", "end": "10:00"}],
        },
    ),
    ("colour", "blue"),
]


@pytest.mark.parametrize(
    "field, value", BAD_NEED_FIELDS, ids=[f"{f}={v!r}"[:60] for f, v in BAD_NEED_FIELDS]
)
def test_bad_need_fields_are_422(client, app, resident, need_payload, assert_error, field, value):
    _, headers = resident
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(**{field: value}), headers=headers), 422
    )
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body
    with app.app_context():  # nothing half-written
        assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_missing_fields_are_each_named(client, resident, assert_error):
    _, headers = resident
    body = assert_error(client.post("/api/v1/needs", json={}, headers=headers), 422)
    assert set(body["errors"]) == {"group", "category", "title", "postcode", "when"}
    body = assert_error(client.post("/api/v1/offers", json={}, headers=headers), 422)
    assert set(body["errors"]) == {"groups", "postcode", "availability"}


def test_weekday_spellings(client, resident, need_payload):
    _, headers = resident
    weekly = [
        {"weekday": d, "start": "09:00", "end": "10:00"} for d in ("mon", "Tuesday", "WED", 3, 6)
    ]
    resp = client.post("/api/v1/needs", json=need_payload(when={"weekly": weekly}), headers=headers)
    assert resp.status_code == 201
    assert [w["weekday"] for w in resp.get_json()["when"]["weekly"]] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "sun",
    ]


BAD_OFFER_FIELDS = [
    ("groups", []),
    ("groups", "hackney"),
    ("groups", None),
    ("groups", [{"slug": "hackney"}]),
    ("max_travel_km", -1),
    ("max_travel_km", 201),
    ("max_travel_km", "far"),
    ("max_travel_km", 1e309),
    ("max_travel_km", True),
    ("capacity", 0),
    ("capacity", 21),
    ("capacity", "2"),
    ("capacity", 10**20),
    ("availability", []),
    ("availability", None),
    ("availability", {"weekday": "tue"}),
    ("availability", [{"weekday": "tue", "start": "18:00", "end": "08:00"}]),
    ("note", "x" * 2001),
    ("note", ["a"]),
    ("active", "sometimes"),
    ("postcode", "NOT A POSTCODE"),
    ("volunteer_id", 1),
]


@pytest.mark.parametrize(
    "field, value", BAD_OFFER_FIELDS, ids=[f"{f}={v!r}"[:60] for f, v in BAD_OFFER_FIELDS]
)
def test_bad_offer_fields_are_422(client, resident, offer_payload, assert_error, field, value):
    _, headers = resident
    body = assert_error(
        client.post("/api/v1/offers", json=offer_payload(**{field: value}), headers=headers), 422
    )
    assert any(key == field or key.startswith(f"{field}.") for key in body["errors"]), body


def test_bad_patches_change_nothing(
    client, app, resident, need_payload, offer_payload, assert_error
):
    _, headers = resident
    need = client.post("/api/v1/needs", json=need_payload(), headers=headers).get_json()
    offer = client.post("/api/v1/offers", json=offer_payload(), headers=headers).get_json()
    for patch in (
        {"title": "Fine title", "volunteers_needed": 0},
        {"title": "Fine title", "skills": ["nope"]},
        {"title": "Fine title", "postcode": "M1 1AA"},
        {"group": "other"},
        {"id": 5},
        {"status": "matched"},
        {"when": {"date": _SOON}},
    ):
        assert_error(client.patch(f"/api/v1/needs/{need['id']}", json=patch, headers=headers), 422)
    assert_error(
        client.patch(
            f"/api/v1/needs/{need['id']}",
            data=b"[",
            content_type="application/json",
            headers=headers,
        ),
        400,
    )
    assert client.get(f"/api/v1/needs/{need['id']}", headers=headers).get_json() == need
    for patch in ({"capacity": 0}, {"groups": []}, {"capacity": 2, "skills": ["nope"]}):
        assert_error(
            client.patch(f"/api/v1/offers/{offer['id']}", json=patch, headers=headers), 422
        )
    assert client.get(f"/api/v1/offers/{offer['id']}", headers=headers).get_json() == offer


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=abc",
        "offset=-1",
        "offset=1e3",
        "offset=99999999999999999999",
        "status=done",
        "category=pets",
        "mine=perhaps",
        "group=Not%20A%20Slug",
        "colour=blue",
        "title=%00",
    ],
)
def test_bad_list_queries_are_422(client, resident, assert_error, query):
    _, headers = resident
    assert_error(client.get(f"/api/v1/needs?{query}", headers=headers), 422)


def test_bad_credentials_requests(
    client, hackney, create_person, token_for, offer_payload, assert_error
):
    _, coordinator = hackney
    offer = client.post(
        "/api/v1/offers", json=offer_payload(), headers=token_for(create_person())
    ).get_json()
    url = f"/api/v1/offers/{offer['id']}/credentials"
    coord = token_for(coordinator)
    for payload, field in (
        ({"skill": "dbs-checked"}, "expires_on"),
        ({"expires_on": "2099-01-01"}, "skill"),
        ({"skill": "dbs-checked", "expires_on": "soon"}, "expires_on"),
        ({"skill": ["dbs-checked"], "expires_on": "2099-01-01"}, "skill"),
    ):
        assert_error(client.post(url, json=payload, headers=coord), 422, field)
    assert_error(client.post(url, json=[], headers=coord), 400)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(
        [
            "group",
            "category",
            "title",
            "skills",
            "postcode",
            "when",
            "volunteers_needed",
            "urgency",
            "remote_ok",
            "address",
        ]
    ),
    value=_json,
)
def test_garbage_need_fields_never_500(client, resident, need_payload, field, value):
    _, headers = resident
    resp = client.post("/api/v1/needs", json=need_payload(**{field: value}), headers=headers)
    assert resp.status_code in (201, 422), resp.get_json()


def test_wrong_method_and_oversized_body(client, resident, assert_error):
    _, headers = resident
    assert_error(client.put("/api/v1/needs", json={}, headers=headers), 405)
    big = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert_error(
        client.post("/api/v1/needs", data=big, content_type="application/json", headers=headers),
        413,
    )


@pytest.mark.parametrize(
    "brk", ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x07"]
)
def test_a_title_must_be_one_line(client, resident, assert_error, brk, need_payload):
    _, headers = resident
    payload = need_payload(title=f"Help with{brk}a letter")
    body = assert_error(client.post("/api/v1/needs", json=payload, headers=headers), 422, "title")
    assert body["errors"] == {
        "title": ["Must be one line, without line breaks or control characters."]
    }


def test_a_postcode_outside_the_group_names_the_group_that_covers_it(
    client, resident, assert_error, need_payload, create_group
):
    _, headers = resident
    create_group(slug="manchester", name="Manchester Mutual Aid", postcode="M1 1AA", radius_km=5)
    body = assert_error(
        client.post("/api/v1/needs", json=need_payload(postcode="M1 1AA"), headers=headers), 422
    )
    assert body["errors"] == {
        "postcode": [
            "M1 1AA is outside the area of Hackney Mutual Aid. It is in the area of "
            "Manchester Mutual Aid: choose that group instead."
        ]
    }

"""One declaration per operation: what the document says is what the server does."""

from __future__ import annotations

import re

import pytest

from mutualaid import passwords
from web._messages import flatten_messages


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_views_carry_no_openapi_yaml(app):
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("api."):
            assert "---" not in (view.__doc__ or ""), endpoint


def test_an_operation_needs_a_token_exactly_when_the_document_says_so(client, doc):
    for path, method, operation in _operations(doc):
        url = re.sub(r"{(\w+_id)}", "1", path).replace("{slug}", "nowhere")
        resp = client.open(url, method=method.upper(), json={})
        if operation.get("security"):
            assert resp.status_code == 401, (method, path)
            assert "401" in operation["responses"], (method, path)
        else:
            assert resp.status_code != 401 or "401" in operation["responses"], (method, path)


def test_the_document_states_the_rules(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["Register"]["properties"]["password"]["minLength"] == passwords.MIN_LENGTH == 10
    assert schemas["CompleteIn"]["properties"]["hours"]["exclusiveMinimum"] is True
    assert [set(form["required"]) for form in schemas["When"]["oneOf"]] == [
        {"date", "start", "end"},
        {"weekly"},
    ]
    assert [set(form["required"]) for form in schemas["GroupIn"]["oneOf"]] == [
        {"postcode", "radius_km"},
        {"districts"},
    ]
    assert schemas["NeedIn"]["additionalProperties"] is False
    assert "Must name an existing group" in schemas["NeedIn"]["properties"]["group"]["description"]
    assert "required" not in schemas["SkillPatch"]
    weekday = schemas["Window"]["properties"]["weekday"]["oneOf"]
    assert {"type": "integer", "minimum": 0, "maximum": 6} in weekday
    for path, method, operation in _operations(doc):
        body = operation.get("requestBody")
        if body:
            assert {"400", "422"} <= set(operation["responses"]), (method, path)
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert {"414", "422"} <= set(operation["responses"]), (method, path)
        if "{slug}" in path:  # a very long slug is a 414 at the server
            assert "414" in operation["responses"], (method, path)
    decisions = {
        path.rsplit("/", 1)[1]: item["post"]["requestBody"]["required"]
        for path, item in doc["paths"].items()
        if "requestBody" in item.get("post", {}) and "/matches/" in path
    }
    assert decisions == {
        "reject": True,
        "decline": False,
        "cancel": False,
        "complete": True,
        "sessions": True,
        "approve-above": True,
        "notes": True,
    }


def test_a_repeated_query_parameter_is_refused_by_name(
    client, create_person, token_for, assert_error
):
    headers = token_for(create_person())
    body = assert_error(
        client.get("/api/v1/matches?status=proposed&status=approved", headers=headers), 422
    )
    assert body["errors"] == {"status": ["Give this parameter once."]}
    body = assert_error(client.get("/api/v1/needs?limit=5&limit=6&mine=1", headers=headers), 422)
    assert body["errors"] == {"limit": ["Give this parameter once."]}
    assert client.get("/api/v1/needs?limit=5&mine=1", headers=headers).status_code == 200


def test_required_bodies_are_required_and_optional_ones_are_not(
    client, create_person, token_for, assert_error
):
    headers = token_for(create_person())
    for action in ("reject", "complete"):
        body = assert_error(client.post(f"/api/v1/matches/1/{action}", headers=headers), 400)
        assert body["message"].startswith("The request body must be a JSON object")
    for action in ("decline", "cancel"):  # no body is fine: the match is what is missing
        assert_error(client.post(f"/api/v1/matches/1/{action}", headers=headers), 404)


def test_schema_messages_are_dotted_field_paths(
    client, hackney, create_person, token_for, need_payload
):
    weekly = [{"weekday": "tue", "start": "10:00", "end": "11:00"}]
    weekly.append({"weekday": "wed", "start": "10:00", "end": "09:00"})
    resp = client.post(
        "/api/v1/needs",
        json=need_payload(when={"weekly": weekly}, colour="blue"),
        headers=token_for(create_person()),
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "when.weekly.1.end": ["The end must be after the start."],
        "colour": ["Unknown field."],
    }


def test_flatten_messages():
    nested = {
        "when": {"_schema": ["Give one."], "weekly": {0: {"end": ["Too early."]}}},
        "_schema": ["Whole."],
        "skills": ["Bad.", {1: ["Not a slug."]}],
    }
    flat = {
        "when": ["Give one."],
        "when.weekly.0.end": ["Too early."],
        "_schema": ["Whole."],
        "skills": ["Bad."],
        "skills.1": ["Not a slug."],
    }
    assert flatten_messages(nested) == flat
    assert flatten_messages(flat) == flat
    assert flatten_messages(["A list."]) == {"_schema": ["A list."]}

"""The OpenAPI document covers every API endpoint, built from the views and schemas."""

from __future__ import annotations

import re


def test_openapi_covers_every_api_view(client, app):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        assert path in doc["paths"], path
        item = doc["paths"][path]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = item[method.lower()]
            assert operation["summary"] and operation["responses"], (path, method)
        params = item.get("parameters", []) + [
            p for op in item.values() if isinstance(op, dict) for p in op.get("parameters", [])
        ]
        for name in rule.arguments:
            assert any(p.get("in") == "path" and p.get("name") == name for p in params), (
                path,
                name,
            )


def test_openapi_uses_the_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    assert {"NeedIn", "NeedOut", "NeedPatch", "OfferIn", "OfferOut", "GroupIn", "Error"} <= set(
        schemas
    )
    assert set(schemas["NeedIn"]["required"]) == {"group", "category", "title", "postcode", "when"}
    assert "required" not in schemas["NeedPatch"]
    post = doc["paths"]["/api/v1/needs"]["post"]
    assert post["summary"] == "Post a need."
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NeedIn"
    }
    assert "201" in post["responses"] and post["security"] == [{"bearerAuth": []}]
    query_names = {p["name"] for p in doc["paths"]["/api/v1/needs"]["get"]["parameters"]}
    assert {"limit", "offset", "group", "status", "category", "mine"} <= query_names
    assert doc["components"]["responses"]["ValidationError"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/Error"}


def test_openapi_references_resolve(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    refs = []

    def walk(node):
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs
    for ref in refs:
        _, _, kind, name = ref.split("/")
        assert name in doc["components"][kind], ref

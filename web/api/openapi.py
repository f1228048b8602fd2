"""The OpenAPI 3 document, built from every view of this blueprint and the marshmallow schemas.

Convention for views: the first docstring line is the summary; the YAML after ``---`` holds the
operations (``get:``, ``post:`` ...). Schemas are named by class (``NeedInSchema``) or by component
name (``NeedIn``); path parameters are added from the URL rule.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask, current_app
from marshmallow import class_registry
from marshmallow.exceptions import RegistryError
from werkzeug.routing import FloatConverter, IntegerConverter

from mutualaid.schemas import ErrorSchema

from . import bp

_ERRORS = {
    "BadRequest": "The body is not a JSON object.",
    "Unauthorized": "No valid bearer token.",
    "Forbidden": "Not allowed for this account.",
    "NotFound": "No such record.",
    "Conflict": "It clashes with an existing record or state.",
    "ValidationError": "Invalid fields; `errors` lists messages per field.",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _path_type(rule: Any, name: str) -> str:
    converter = getattr(rule, "_converters", {}).get(name)
    if isinstance(converter, IntegerConverter):
        return "integer"
    if isinstance(converter, FloatConverter):
        return "number"
    return "string"


def _schema_class_name(name: str) -> str:
    """``"NeedIn"`` or ``"NeedInSchema"`` -> the registered marshmallow class name, if there is one."""
    for candidate in (name, f"{name}Schema"):
        try:
            class_registry.get_class(candidate)
            return candidate
        except RegistryError:
            continue
    return name


def _normalise(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("schema", "items") and isinstance(value, str):
                node[key] = _schema_class_name(value)
            else:
                _normalise(value)
    elif isinstance(node, list):
        for item in node:
            _normalise(item)
    return node


class ApiFlaskPlugin(FlaskPlugin):
    """FlaskPlugin plus the conventions above: summaries, path parameters, schema names."""

    def path_helper(
        self, path=None, operations=None, parameters=None, *, view=None, app=None, **kwargs
    ):
        openapi_path = super().path_helper(
            path, operations, parameters, view=view, app=app, **kwargs
        )
        rule = self._rule_for_view(view, app=app)
        summary = (
            (view.__doc__ or "").strip().splitlines()[0].strip()
            if (view.__doc__ or "").strip()
            else ""
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = operations.setdefault(method.lower(), {})
            if summary:
                operation.setdefault("summary", summary)
            responses = operation.setdefault("responses", {"200": {"description": "Success."}})
            # Every endpoint that needs a token can answer 401; every one with an id in its path, 404.
            if operation.get("security"):
                responses.setdefault(401, "Unauthorized")
            if rule.arguments:
                responses.setdefault(404, "NotFound")
        declared = {(p.get("in"), p.get("name")) for p in parameters if isinstance(p, dict)}
        for op in operations.values():
            declared |= {
                (p.get("in"), p.get("name"))
                for p in op.get("parameters", [])
                if isinstance(p, dict)
            }
        for name in sorted(rule.arguments):
            if ("path", name) not in declared:
                kind = _path_type(rule, name)
                parameters.append(
                    {"in": "path", "name": name, "required": True, "schema": {"type": kind}}
                )
        _normalise(operations)
        return openapi_path


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="mutualaid",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[ApiFlaskPlugin(), MarshmallowPlugin()],
        info={
            "description": "Residents post needs, volunteers offer time, coordinators approve "
            "the matches the engine proposes. Errors are "
            "`{code, status, message, errors}`."
        },
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in _ERRORS.items():
        spec.components.response(
            name, {"description": description, "content": {"application/json": {"schema": "Error"}}}
        )
    prefix = f"{bp.name}."
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint.startswith(prefix):
            spec.path(view=app.view_functions[rule.endpoint], app=app)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_json():
    """This API's OpenAPI 3 document.
    ---
    get:
      tags: [meta]
      responses:
        200:
          description: The document.
          content:
            application/json:
              schema:
                type: object
    """
    cache = current_app.extensions.setdefault("mutualaid_openapi", {})
    if "spec" not in cache:
        cache["spec"] = build_spec(current_app)
    return cache["spec"]

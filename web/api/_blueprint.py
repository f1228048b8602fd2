"""Each API operation declared once, with flask-smorest: the decorators that parse a request and
dump a response also write the operation into the OpenAPI document.

smorest routes, parses, dumps and documents; it did not fight the error shape
(its error handler is replaced, below), so there is no decorator of our own on apispec. What this
module adds to smorest, and why:

- :class:`ApiParser` takes requests as this API always has. A body that is not a JSON object is
  a 400 saying so (webargs would take a non-JSON body as empty); unknown fields are refused in
  the query string too (webargs would drop them); a query parameter given twice is refused,
  by name (webargs would keep the first).
- :meth:`Blueprint.login_required`: the bearer token, and any check that must come before the
  body is judged (a stranger gets 403, not 422), with ``security``, 401 and 403 in the document;
  the view is given the ``person``.
- :meth:`Blueprint.response` with ``dumped=True``: the privacy rule's views
  (:mod:`mutualaid.services.visibility`) dump through the schema themselves; the schema then
  only documents the response. Such a view may return ``(body, headers)``.
- :class:`SchemaRulesPlugin`: a schema's rules about the whole object (``Meta.json_schema``,
  such as "a date with times, or weekly windows") in its component.
- :class:`Api`: the error responses under the names the document has always used, every one
  with the shape ``{code, status, message, errors}``; smorest's HTTP error handler is
  :func:`web.errors.http_error`, which also turns webargs' 422 into field paths.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar

import flask_smorest
from apispec import BasePlugin
from flask import Flask, Request, jsonify
from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser
from werkzeug import Response

from mutualaid.errors import DomainError
from mutualaid.schemas import ErrorSchema

from .. import errors
from ..auth import require_api_user

#: The webargs location of a JSON body that may be left out (an empty body is ``{}``).
OPTIONAL_JSON = "optional_json"

#: The error responses of the document, by status: (component name, description).
ERROR_RESPONSES = {
    400: ("BadRequest", "The body is not JSON, or not a JSON object."),
    401: ("Unauthorized", "No valid bearer token."),
    403: ("Forbidden", "Not allowed for this account."),
    404: ("NotFound", "No such record."),
    409: ("Conflict", "It clashes with an existing record or state."),
    414: (
        "UriTooLong",
        "The URL (its query string or a text in its path) is longer than the server accepts.",
    ),
    422: (
        "ValidationError",
        "Invalid fields (a query parameter given twice is one); `errors` lists the messages "
        "by field path.",
    ),
}
_OTHER_ERRORS = (
    "Any other error (405, 413, 500, 503 ...), in the same shape; a 503 (`busy`) can be retried."
)


def _json_object(req: Request) -> dict[str, Any]:
    """The request's JSON object, or 400 for anything else (malformed, not JSON, not an object)."""
    try:
        data = req.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting
        data = None
    if isinstance(data, dict):
        return data
    if data is None and req.is_json and req.get_data().strip() not in (b"", b"null"):
        raise DomainError("The request body is not valid JSON.")
    raise DomainError("The request body must be a JSON object (Content-Type: application/json).")


LONE_SURROGATE = "Contains a character that is not valid Unicode (a lone surrogate)."


def _surrogates(value: Any, path: str = "") -> dict[str, list[str]]:
    """The paths of the strings (keys included) in ``value`` that hold a lone surrogate.

    JSON's ``\\ud800`` escapes decode to them, and nothing can encode them: not the password
    hash, not the database. They are refused by field, before anything else reads the body.
    """
    found: dict[str, list[str]] = {}
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            found[path or "_schema"] = [LONE_SURROGATE]
    elif isinstance(value, dict):
        for key, item in value.items():
            name = key.encode("utf-8", "backslashreplace").decode("utf-8")
            where = f"{path}.{name}" if path else name
            found.update(_surrogates(key, where))
            found.update(_surrogates(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_surrogates(item, f"{path}.{index}" if path else str(index)))
    return found


class ApiParser(FlaskParser):
    """webargs' parser, taking bodies and query strings as described in the module docstring."""

    #: No location overrides the schema: unknown fields are refused everywhere.
    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {}
    __location_map__: dict[str, str | Callable] = {
        **FlaskParser.__location_map__,
        OPTIONAL_JSON: "load_optional_json",
    }

    def load_json(self, req: Request, schema: Schema) -> Any:
        data = _json_object(req)
        if bad := _surrogates(data):
            raise ValidationError(bad)
        return data

    def load_optional_json(self, req: Request, schema: Schema) -> Any:
        return self.load_json(req, schema) if req.get_data() else {}

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        repeated = sorted(
            name
            for name, values in req.args.lists()
            if len(values) > 1 and not isinstance(schema.fields.get(name), fields.List)
        )
        if repeated:
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        return self._makeproxy(req.args, schema)


class Blueprint(flask_smorest.Blueprint):
    """smorest's blueprint with this API's parser, error responses and bearer authentication."""

    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING: ClassVar[dict[str, str]] = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        OPTIONAL_JSON: "application/json",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tags: dict[str, str] = {}  # tag -> description: one per module of views

    def route(self, rule: str, *, parameters=None, tags=None, **options: Any) -> Callable:
        """smorest's ``route``, tagged with the view's module.

        A path that names a record can be a 404 (no such record, or not even the right type); one
        with text in it (a slug), a 414 at the server when that text is very long.
        """

        def decorator(func: Callable) -> Callable:
            if "<" in rule:
                func = self.errors(404)(func)
            if re.search(r"<(?!int:)[^>]+>", rule):
                func = self.errors(414)(func)
            if tags is None:
                module = sys.modules[func.__module__]
                tag = module.__name__.rpartition(".")[2]
                self.tags.setdefault(tag, (module.__doc__ or "").strip().splitlines()[0])
            return super(Blueprint, self).route(
                rule, parameters=parameters, tags=tags or [tag], **options
            )(func)

        return decorator

    def arguments(self, schema: Any, *, location: str = "json", required: bool = True, **kwargs):
        """smorest's ``arguments``, documenting the statuses that parsing can answer.

        A JSON body (``required=False``: may be left out) can be a 400 and a 422; a query string a
        414 (at the server, when too long) and a 422.
        """
        if location == "json" and not required:
            location = OPTIONAL_JSON
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        statuses = [422] + ([414] if location in ("query", "querystring") else [400])

        def decorator(func: Callable) -> Callable:
            wrapper = parse(func)
            responses = wrapper._apidoc["arguments"]["responses"]
            responses.pop(422, None)  # smorest's own name for it
            responses.update({status: ERROR_RESPONSES[status][0] for status in statuses})
            return wrapper

        return decorator

    def response(self, status_code: int, schema: Any = None, *, dumped: bool = False, **kwargs):
        """smorest's ``response``; ``dumped``: the view's result is already dumped by ``schema``."""
        respond = super().response(status_code, schema, **kwargs)
        if not dumped:
            return respond

        def decorator(func: Callable) -> Callable:
            @wraps(func)
            def as_json(*args: Any, **kw: Any) -> Response:
                result = func(*args, **kw)
                headers = {}
                if isinstance(result, tuple):  # (body, headers)
                    result, headers = result
                response = jsonify(result)
                response.status_code = status_code
                response.headers.update(headers)
                return response

            return respond(as_json)

        return decorator

    def errors(self, *statuses: int) -> Callable[[Callable], Callable]:
        """Document error responses by status (see :data:`ERROR_RESPONSES`)."""

        def decorator(func: Callable) -> Callable:
            for status in statuses:
                func = self.alt_response(status, response=ERROR_RESPONSES[status][0])(func)
            return func

        return decorator

    def login_required(
        self, func: Callable | None = None, *, check: Callable[..., Any] | None = None
    ) -> Any:
        """A bearer token is required (401), before the request is parsed; the view gets ``person``.

        ``check(person, **path)`` runs next, still before the body is judged: a record that does
        not exist (404) or that this person may not change (403) is said first.
        """

        def decorator(view: Callable) -> Callable:
            @wraps(view)
            def authenticated(*args: Any, **kwargs: Any) -> Any:
                person = require_api_user()
                if check is not None:
                    check(person, **kwargs)
                return view(*args, person=person, **kwargs)

            documented = self.doc(security=[{"bearerAuth": []}])(authenticated)
            return self.errors(401, *([403] if check is not None else []))(documented)

        return decorator(func) if func is not None else decorator


class SchemaRulesPlugin(BasePlugin):
    """A schema's ``Meta.json_schema`` (rules about the whole object, such as ``oneOf``) joins its
    component, so the document states what the schema's validators enforce."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        meta = getattr(schema, "Meta", None)
        return dict(getattr(meta, "json_schema", {})) or None


class Api(flask_smorest.Api):
    """smorest's ``Api``: this API's error responses and error handler."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = "Error"

    def _register_responses(self) -> None:
        content = {"application/json": {"schema": "Error"}}
        self.spec.components.schema("Error", schema=ErrorSchema)
        for name, description in ERROR_RESPONSES.values():
            self.spec.components.response(
                name, {"description": description, "content": content}, lazy=True
            )
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": _OTHER_ERRORS, "content": content},
            lazy=True,
        )

    def _register_pagination_header(self) -> None:
        """No smorest pagination here (lists carry ``total``, ``limit``, ``offset``)."""

    def _register_etag_headers(self) -> None:
        """No ETags here."""

    def handle_http_exception(self, error):
        return errors.http_error(error)


def init_app(app: Flask, blueprint: Blueprint, **spec: Any) -> Api:
    """Register ``blueprint`` with a smorest :class:`Api` whose document holds its operations.

    The document's tags are the blueprint's modules (smorest would tag the blueprint as a whole).
    """
    tags = [{"name": name, "description": text} for name, text in blueprint.tags.items()]
    api = Api(app, spec_kwargs={**spec, "tags": tags, "extra_plugins": [SchemaRulesPlugin()]})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(blueprint)
    return api

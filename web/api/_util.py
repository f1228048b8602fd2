"""Request parsing shared by the API views: JSON bodies and query strings through schemas."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from mutualaid.errors import DomainError, ValidationFailed


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as ``{"when.weekly.0.end": [...]}``."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for path, texts in _flatten(value, name).items():
                out.setdefault(path, []).extend(texts)
        return out
    if isinstance(messages, (list, tuple)):
        texts: list[str] = []
        nested: dict[str, list[str]] = {}
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                for path, more in _flatten(item, prefix).items():
                    nested.setdefault(path, []).extend(more)
            else:
                texts.append(str(item))
        if texts:
            nested.setdefault(prefix or "_schema", []).extend(texts)
        return nested
    return {prefix or "_schema": [str(messages)]}


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """``schema.load(data)``; a :class:`ValidationFailed` (422) with per-field messages if it does not fit."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("The request has invalid fields.", _flatten(exc.messages)) from None


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400 for anything else (malformed, not JSON, not an object)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting
        data = None
    if isinstance(data, dict):
        return data
    if data is None and request.is_json and request.get_data().strip() not in (b"", b"null"):
        raise DomainError("The request body is not valid JSON.")
    raise DomainError("The request body must be a JSON object (Content-Type: application/json).")


def body(schema: Schema) -> dict[str, Any]:
    return load(schema, json_body())


def query(schema: Schema) -> dict[str, Any]:
    return load(schema, request.args.to_dict())

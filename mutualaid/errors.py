"""Domain errors: raised by services, mapped to HTTP statuses by :mod:`web.errors`."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"Invalid {field}: {message}", {field: [message]})


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidState(DomainError):
    status = 409
    code = "invalid_state"


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as one flat mapping: ``{"when.weekly.0.end": ["..."]}``.

    The one shape of ``errors`` everywhere (API responses, error pages, forms). A schema-level
    message (``_schema``) belongs to the field holding that schema, or to ``_schema`` at the top.
    A mapping that is already flat comes back unchanged.
    """
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for path, found in flatten_messages(value, name).items():
                out.setdefault(path, []).extend(found)
        return out
    if isinstance(messages, (list, tuple)):
        texts: list[str] = []
        nested: dict[str, list[str]] = {}
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                for path, more in flatten_messages(item, prefix).items():
                    nested.setdefault(path, []).extend(more)
            else:
                texts.append(str(item))
        if texts:
            nested.setdefault(prefix or "_schema", []).extend(texts)
        return nested
    return {prefix or "_schema": [str(messages)]}

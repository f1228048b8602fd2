"""Domain errors: raised by services, mapped to HTTP statuses by :mod:`web.errors`."""

from __future__ import annotations


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
    status, code = 404, "not_found"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class Conflict(DomainError):
    status, code = 409, "conflict"


class InvalidState(DomainError):
    """The record is in a state that does not allow this (a closed need, a decided match)."""

    status, code = 409, "invalid_state"

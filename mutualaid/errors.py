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

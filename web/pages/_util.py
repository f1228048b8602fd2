"""Small helpers shared by the page views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import g, request
from flask_login import current_user
from marshmallow import Schema, ValidationError

from mutualaid.errors import DomainError
from mutualaid.models import MAX_ID
from mutualaid.services import accounts

from .._messages import flatten_messages

T = TypeVar("T")
F = TypeVar("F")

#: The most time rows a form grows to without JavaScript.
MAX_TIME_ROWS = 21

#: Domain errors a form can show next to its fields; the rest (403, 404) get the error page.
_FORM_STATUSES = {400, 401, 409, 422}


def coordinated_ids() -> set[int]:
    """The groups the logged-in person coordinates (every group for an admin), read once per
    request: the access check, the navigation and its links all ask."""
    if "coordinated_ids" not in g:
        g.coordinated_ids = accounts.coordinated_group_ids(current_user)
    ids: set[int] = g.coordinated_ids
    return ids


class FormRejected(Exception):
    """What a schema or service refused, ready to show on the form."""

    def __init__(self, status: int, message: str, errors: dict[str, Any]):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


def attempt(action: Callable[[], T]) -> T:
    """Run a schema load and a service call; refusals a form can show become ``FormRejected``."""
    try:
        return action()
    except ValidationError as exc:
        raise FormRejected(
            422, "Please correct the errors below.", flatten_messages(exc.messages)
        ) from None
    except DomainError as exc:
        if exc.errors or exc.status in _FORM_STATUSES:
            raise FormRejected(
                exc.status if exc.status >= 400 else 400, exc.message, exc.errors
            ) from None
        raise


def load_all(
    schema: Schema, data: dict[str, Any], references: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """``schema.load(data)``; when it refuses, the fields it let through are checked against the
    database too (``references``: a group that exists, a known postcode inside the area...), so
    every field's problem is shown at once, not one round after another."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        for field, messages in references(valid).items():
            errors.setdefault(field, list(messages))
        raise FormRejected(422, "Please correct the errors below.", errors) from None


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after logging in, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


def form_ids(name: str) -> list[int]:
    """The record ids a form posted under ``name`` (checkboxes, hidden fields); anything that is
    not an id in the columns' range is left out."""
    found = [v for v in request.form.getlist(name) if v.isascii() and v.isdigit()]
    return [int(v) for v in found if 0 < int(v) <= MAX_ID]


def shown_messages(exc: FormRejected, unplaced: list[str]) -> list[str]:
    """The messages for the error summary that no field shows: those, or the refusal itself."""
    return unplaced or ([exc.message] if not exc.errors else [])


def prefilled(make_form: Callable[..., F], data: dict[str, Any], rows: str, count: int) -> F:
    """A form filled with a stored record's ``data``, its time ``rows`` padded to ``count``."""
    form = make_form(data=data)
    entries = getattr(form, rows)
    while len(entries.entries) < count:
        entries.append_entry()
    return form


def add_row_if_asked(rows: Any) -> bool:
    """The no-JavaScript "Add another time" button: one more empty row in ``rows`` (a FieldList).

    Nothing is saved.
    """
    if "add_window" in request.form and len(rows.entries) < MAX_TIME_ROWS:
        rows.append_entry()
        return True
    return False

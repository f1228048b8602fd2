"""Shared field types and small schemas: shape validation only, never a query."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    validate,
    validates_schema,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
#: JSON Schema for "not only whitespace" (the server strips text before judging it).
NOT_BLANK = r"\S"
#: A slug that must name an existing record: the document says so; the service checks it.
EXISTING = "Must name an existing {} (see `GET /api/v1/{}s`)."
#: How far ahead a one-off need may be dated.
MAX_DAYS_AHEAD = 2 * 366


class InSchema(Schema):
    """What a client sends: unknown fields are refused, and the OpenAPI document says so.

    ``Meta.json_schema`` holds JSON Schema keywords about the whole object that no field can
    state (``oneOf`` ...); the API's document adds them to the schema's component.
    """

    class Meta:
        unknown = RAISE


def one_of(*forms: list[str]) -> dict[str, Any]:
    """JSON Schema for "exactly one of these forms": each form's fields, and none of the others'."""

    def others(form: list[str]) -> list[dict[str, Any]]:
        return [{"required": [k]} for other in forms if other is not form for k in other]

    return {"oneOf": [{"required": form, "not": {"anyOf": others(form)}} for form in forms]}


class PatchSchema(InSchema):
    """Base of a PATCH schema: any subset of the fields; a nested field, when given, is whole."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("partial", tuple(self._declared_fields))
        super().__init__(**kwargs)
        for field in self.fields.values():  # what a PATCH leaves out stays as it is
            field.load_default = missing


class UTCDateTime(fields.DateTime):
    """A datetime the database keeps as naive UTC, sent with its zone (``+00:00``)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def _at_least(n: int) -> str:
    """JSON Schema pattern: at least ``n`` characters once surrounding whitespace is stripped."""
    return NOT_BLANK if n == 1 else rf"\S[\s\S]{{{n - 2},}}\S"


class Text(fields.String):
    """A string that a database can store: no NUL characters (PostgreSQL refuses them)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text


class Stripped(Text):
    """A one-line string with surrounding whitespace removed.

    Its length is judged once stripped; the document says so with a pattern.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        least = max(
            (v.min or 0 for v in self.validators if isinstance(v, validate.Length)), default=0
        )
        if least and "pattern" not in self.metadata:
            self.metadata = {**self.metadata, "pattern": _at_least(least)}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Slug(Stripped):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": rf"^\s*{SLUG_RE[1:-1]}\s*$", **kwargs.get("metadata", {})}
        kwargs.setdefault(
            "validate",
            [
                validate.Length(min=1, max=64),
                validate.Regexp(SLUG_RE, error="Not a valid slug (a-z, 0-9 and -)."),
            ],
        )
        super().__init__(**kwargs)


class Int(fields.Integer):
    """A JSON integer (no strings, no floats) that fits the database."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)


class Float(fields.Float):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_nan", False)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" for c in word)


#: A weekday's name as :class:`Weekday` takes it: short or full, in any case, spaces around.
_WEEKDAY_RE = (
    r"^\s*("
    + "|".join(f"{_any_case(s)}({_any_case(f[3:])})?" for s, f in zip(WEEKDAYS, _FULL_NAMES))
    + r")\s*$"
)


class Weekday(fields.Field):
    """``"tue"``/``"Tuesday"`` or ``0``-``6`` (Monday is 0) in, ``0``-``6`` out; dumps ``"tue"``."""

    default_error_messages = {  # noqa: RUF012  (as marshmallow has it)
        "invalid": "Use a weekday: mon, tue, wed, thu, fri, sat, sun (or 0-6, Monday is 0)."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault(
            "oneOf",
            [
                {"type": "string", "pattern": _WEEKDAY_RE},
                {"type": "integer", "minimum": 0, "maximum": 6},
            ],
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            for number, (short, full) in enumerate(zip(WEEKDAYS, _FULL_NAMES)):
                if key in (short, full):
                    return number
        raise self.make_error("invalid")

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else WEEKDAYS[int(value)]


class Clock(Stripped):
    """A time of day as ``HH:MM`` (24-hour); ``H:MM`` is taken too."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"example": "09:00", **kwargs.get("metadata", {})}
        kwargs["metadata"].setdefault("pattern", r"^\s*([01]?[0-9]|2[0-3]):[0-5][0-9]\s*$")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) == 4 and text[1] == ":":
            text = "0" + text  # "9:30" -> "09:30"
        if not _TIME_RE.match(text):
            raise ValidationError("Use a 24-hour time as HH:MM, e.g. 09:30.")
        return text


_AFTER_START = "Later than `start` on the same day."


def _end_after_start(data: dict[str, Any]) -> None:
    start, end = data.get("start"), data.get("end")
    if start and end and end <= start:
        raise ValidationError("The end must be after the start.", "end")


class WindowSchema(InSchema):
    """A weekly time window. Loads to ``{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}``."""

    weekday = Weekday(required=True, metadata={"example": "tue"})
    start = Clock(required=True)
    end = Clock(required=True, metadata={"example": "11:00", "description": _AFTER_START})

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        _end_after_start(data)


class WhenSchema(InSchema):
    """A one-off ``{"date", "start", "end"}`` or ``{"weekly": [windows]}``.

    Loads to ``{"on_date": date | None, "windows": [{"weekday", "start", "end"}]}``: a one-off
    time becomes one window on its date's weekday, so both kinds are stored in one shape.
    """

    class Meta(InSchema.Meta):
        json_schema = one_of(["date", "start", "end"], ["weekly"])

    date = fields.Date(
        metadata={
            "example": "2026-12-01",
            "description": "From today to two years ahead (the server's date).",
        }
    )
    start = Clock()
    end = Clock(metadata={"example": "11:00", "description": _AFTER_START})
    weekly = fields.List(fields.Nested(WindowSchema), validate=validate.Length(min=1, max=21))

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        one_off = any(k in data for k in ("date", "start", "end"))
        if one_off and "weekly" in data:
            raise ValidationError(
                "Give either a date with start and end, or weekly windows, not both."
            )
        if not one_off and "weekly" not in data:
            raise ValidationError("Give a date with start and end, or weekly windows.")
        if one_off:
            errors = {
                k: ["Missing data for required field."]
                for k in ("date", "start", "end")
                if k not in data
            }
            if errors:
                raise ValidationError(errors)
            today = date.today()
            if data["date"] < today:
                raise ValidationError("The date is in the past.", "date")
            if data["date"] > today + timedelta(days=MAX_DAYS_AHEAD):
                raise ValidationError("The date is more than two years ahead.", "date")
            _end_after_start(data)

    @post_load
    def _to_storage(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "weekly" in data:
            return {"on_date": None, "windows": data["weekly"]}
        return {
            "on_date": data["date"],
            "windows": [
                {"weekday": data["date"].weekday(), "start": data["start"], "end": data["end"]}
            ],
        }


class ErrorSchema(Schema):
    """Every API error."""

    code = fields.String(required=True, metadata={"example": "validation_error"})
    status = fields.Integer(required=True, metadata={"example": 422})
    message = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per field (nested fields as dotted paths)."},
    )


class PageArgsSchema(InSchema):
    """``?limit&offset`` of every list."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))

"""Small schemas shared by the others: shape validation only, never a query."""

from __future__ import annotations

from datetime import date, timedelta
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

from ._fields import Clock, Weekday

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
    """A one-off ``{"date", "start", "end"}`` or ``{"weekly": [windows], "from", "until"}``.

    Loads to ``{"on_date": date | None, "windows": [{"weekday", "start", "end"}], "starts_on",
    "ends_on"}``: a one-off time becomes one window on its date's weekday, so both kinds are
    stored in one shape. A weekly need's ``from`` and ``until`` may be left out (``None``): the
    service fills in today and the group's default length.
    """

    class Meta(InSchema.Meta):
        json_schema = {
            "oneOf": [
                {
                    "required": ["date", "start", "end"],
                    "not": {"anyOf": [{"required": [k]} for k in ("weekly", "from", "until")]},
                },
                {
                    "required": ["weekly"],
                    "not": {"anyOf": [{"required": [k]} for k in ("date", "start", "end")]},
                },
            ]
        }

    date = fields.Date(
        metadata={
            "example": "2026-12-01",
            "description": "From today to two years ahead (the server's date).",
        }
    )
    start = Clock()
    end = Clock(metadata={"example": "11:00", "description": _AFTER_START})
    weekly = fields.List(
        fields.Nested(WindowSchema),
        validate=validate.Length(min=1, max=21, error="Give from 1 to 21 weekly times."),
    )
    starts_on = fields.Date(
        data_key="from",
        metadata={
            "example": "2026-12-01",
            "description": "Weekly only: the first day (today if left out).",
        },
    )
    ends_on = fields.Date(
        data_key="until",
        metadata={
            "example": "2027-01-31",
            "description": "Weekly only: the last day, at most a year after the first (the "
            "group's default length if left out).",
        },
    )

    @validates_schema
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        one_off = any(k in data for k in ("date", "start", "end"))
        if one_off and "weekly" in data:
            raise ValidationError(
                "Give either a date with start and end, or weekly windows, not both."
            )
        if one_off:
            for key, name in (("starts_on", "from"), ("ends_on", "until")):
                if key in data:
                    raise ValidationError(f"Only weekly times have `{name}`.", name)
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            raise ValidationError("The end is before the start.", "until")
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
            return {
                "on_date": None,
                "windows": data["weekly"],
                "starts_on": data.get("starts_on"),
                "ends_on": data.get("ends_on"),
            }
        return {
            "on_date": data["date"],
            "windows": [
                {"weekday": data["date"].weekday(), "start": data["start"], "end": data["end"]}
            ],
            "starts_on": None,
            "ends_on": None,
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

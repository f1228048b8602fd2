"""Commitments over time: a weekly need's extension, sessions, a volunteer's pause and limit,
a group's settings. Shape only; the services judge dates against today."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models.matches import SESSION_STATUSES
from ._common import InSchema, PatchSchema
from ._fields import Float, Int, UTCDateTime


class ExtendInSchema(InSchema):
    until = fields.Date(
        required=True,
        metadata={
            "example": "2027-03-31",
            "description": "The new last day: later than the current one, at most a year after "
            "the first day.",
        },
    )


class SessionInSchema(InSchema):
    on_date = fields.Date(
        required=True,
        metadata={"example": "2026-12-01", "description": "A day of the commitment, not ahead."},
    )
    status = fields.String(required=True, validate=validate.OneOf(SESSION_STATUSES))
    hours = Float(
        allow_none=True,
        validate=validate.Range(min=0, max=25, min_inclusive=False),
        metadata={
            "example": 1.5,
            "exclusiveMinimum": True,
            "description": "Required when done: at most the session's length plus an hour.",
        },
    )


class SessionOutSchema(Schema):
    id = fields.Integer()
    on_date = fields.Date()
    status = fields.String(metadata={"enum": list(SESSION_STATUSES)})
    hours = fields.Float(allow_none=True)
    recorded_at = UTCDateTime(attribute="recorded_dt")


class SessionListSchema(Schema):
    items = fields.List(fields.Nested(SessionOutSchema))


class WeekLimitSchema(InSchema):
    """At most ``tasks`` sessions, or at most ``hours`` hours, a week (Monday to Sunday)."""

    tasks = Int(allow_none=True, metadata={"example": 2, "minimum": 1})
    hours = Float(allow_none=True, metadata={"example": 4, "minimum": 1})


class AvailabilityInSchema(PatchSchema):
    """A volunteer's pause and weekly limit (``null`` clears either)."""

    paused_until = fields.Date(
        allow_none=True,
        metadata={"example": "2026-12-24", "description": "Away until this day (today or later)."},
    )
    week_limit = fields.Nested(WeekLimitSchema, allow_none=True)


class AvailabilityOutSchema(Schema):
    paused_until = fields.Date(allow_none=True)
    week_limit = fields.Dict(
        allow_none=True, metadata={"description": '`{"tasks": N}` or `{"hours": H}`, or null.'}
    )


class GroupSettingsInSchema(PatchSchema):
    """A group's settings for needs over time."""

    weekly_weeks = Int(
        validate=validate.Range(min=1, max=52),
        metadata={"description": "Default length of a weekly need, in weeks."},
    )
    expire_after_days = Int(
        validate=validate.Range(min=1, max=365),
        metadata={"description": "A need still without a volunteer expires after these days."},
    )

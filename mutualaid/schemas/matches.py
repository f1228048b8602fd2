"""Matches and matching runs: what comes in and goes out. No queries, no permissions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from mutualaid.services.reasons import REASON_CODES

from ..models.matches import MATCH_STATUSES, RUN_STATUSES
from ._common import EXISTING, InSchema
from ._fields import Float, Slug, Text, UTCDateTime, text_pattern
from .needs import NeedOutSchema

MAX_HOURS = 25.0


class MatchQuerySchema(InSchema):
    """``?status&group``: with ``group``, the group's queue (its coordinators only); else yours."""

    status = fields.String(
        validate=validate.OneOf(MATCH_STATUSES), metadata={"example": "proposed"}
    )
    group = Slug(metadata={"example": "hackney", "description": EXISTING.format("group", "group")})


class RejectInSchema(InSchema):
    reason = Text(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "example": "The volunteer is already helping this resident.",
            "pattern": text_pattern(1),  # the service strips it
        },
    )


class ReasonInSchema(InSchema):
    """An optional reason (decline, cancel)."""

    reason = Text(allow_none=True, validate=validate.Length(max=2000))


class CompleteInSchema(InSchema):
    hours = Float(
        required=True,
        validate=validate.Range(min=0, max=MAX_HOURS, min_inclusive=False),
        metadata={"example": 2.5, "exclusiveMinimum": True},
    )


class ApproveAboveInSchema(InSchema):
    min_score = Float(required=True, validate=validate.Range(min=0), metadata={"example": 0.7})


class ScorePartsSchema(Schema):
    """The parts of the score; they add up to it."""

    closeness = fields.Float(
        metadata={"description": "Up to 0.40 (at distance 0); none at the travel limit."}
    )
    urgency = fields.Float(metadata={"description": "Up to 0.25, by the need's urgency."})
    waiting = fields.Float(metadata={"description": "Up to 0.15; half of it after two days."})
    fairness = fields.Float(
        metadata={"description": "Up to 0.20; less for volunteers busy in the last 30 days."}
    )


class ExplanationSchema(Schema):
    """Why the engine proposed the pair."""

    distance_km = fields.Float(allow_none=True)
    remote = fields.Boolean()
    skills_matched = fields.List(fields.String())
    windows = fields.List(fields.Raw())
    score_parts = fields.Nested(ScorePartsSchema)
    score = fields.Float()
    summary = fields.String()


class MatchOutSchema(Schema):
    """A match with its need and offer as the viewer may see them (contacts only once approved)."""

    id = fields.Integer()
    status = fields.String(metadata={"enum": list(MATCH_STATUSES)})
    score = fields.Float(
        allow_none=True,
        metadata={"description": "Null before approval, except for the group's coordinators."},
    )
    distance_km = fields.Float(
        allow_none=True,
        metadata={
            "description": "Exact for the group's coordinators, and for everyone once approved; "
            "null before that (see `distance_band`)."
        },
    )
    distance_band = fields.String(
        allow_none=True,
        metadata={
            "description": "The distance in a band: 'under 1 km', '1-2 km', '2-5 km', "
            "'5-10 km', '10-20 km', '20 km or more'.",
            "example": "2-5 km",
        },
    )
    explanation = fields.Nested(ExplanationSchema, allow_none=True)
    run_id = fields.Integer(allow_none=True)
    claim = fields.Boolean(
        metadata={"description": 'Proposed by the volunteer ("I can help with this"), not a run.'}
    )
    created_at = UTCDateTime()
    decided_at = UTCDateTime(allow_none=True)
    decided_by = fields.Integer(allow_none=True)
    reason = fields.String(
        allow_none=True,
        metadata={"description": "Shown to the group's coordinators and to whoever gave it."},
    )
    hours = fields.Float(
        allow_none=True,
        metadata={"description": "One-off: as reported. Weekly: the sum of its sessions done."},
    )
    completed_at = UTCDateTime(allow_none=True)
    ended_on = fields.Date(
        allow_none=True,
        metadata={"description": "Weekly help stepped back from after it began: its last day."},
    )
    need = fields.Raw(metadata={"description": "The need, as NeedOut."})
    offer = fields.Raw(metadata={"description": "The volunteer's offer, as OfferOut."})


class MatchListSchema(Schema):
    items = fields.List(fields.Nested(MatchOutSchema))
    total = fields.Integer()


class ApproveAboveOutSchema(Schema):
    approved = fields.List(fields.Nested(MatchOutSchema))
    skipped = fields.List(
        fields.Dict(),
        metadata={"description": "``{match, reason}`` for each proposal that no longer fits."},
    )


class UnmatchedSchema(Schema):
    """A need a run left (partly) unmatched, and why."""

    need = fields.Integer(metadata={"description": "The need's id."})
    open_slots = fields.Integer(metadata={"description": "Volunteers still needed."})
    reason = fields.String()
    reason_code = fields.String(
        metadata={"enum": list(REASON_CODES), "description": "Why, as a code (see `reason`)."}
    )
    action = fields.String(metadata={"description": "What a coordinator can do about it."})
    free_at = fields.List(
        fields.Dict(),
        metadata={
            "description": "For `other_times`: weekly windows when suitable volunteers are free "
            "(`weekday` 0 = Monday, `start`, `end`)."
        },
    )


class RunOutSchema(Schema):
    """A matching run: its status, counts and timings (``stats``), the needs it left unmatched."""

    id = fields.Integer()
    group = fields.String(metadata={"description": "The group's slug."})
    status = fields.String(metadata={"enum": list(RUN_STATUSES)})
    trigger = fields.String(metadata={"enum": ["schedule", "manual", "command"]})
    started_by = fields.Integer(allow_none=True)
    started_at = UTCDateTime()
    finished_at = UTCDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    stats = fields.Dict(allow_none=True)
    unmatched = fields.List(fields.Nested(UnmatchedSchema), allow_none=True)


class RunListSchema(Schema):
    items = fields.List(fields.Nested(RunOutSchema))


class UnmatchedNeedSchema(UnmatchedSchema):
    need_detail = fields.Nested(NeedOutSchema)


class UnmatchedListSchema(Schema):
    run_id = fields.Integer(
        allow_none=True, metadata={"description": "The latest successful run, if any."}
    )
    items = fields.List(fields.Nested(UnmatchedNeedSchema))


__all__ = [
    "ApproveAboveInSchema",
    "ApproveAboveOutSchema",
    "CompleteInSchema",
    "ExplanationSchema",
    "MatchListSchema",
    "MatchOutSchema",
    "MatchQuerySchema",
    "ReasonInSchema",
    "RejectInSchema",
    "RunListSchema",
    "RunOutSchema",
    "UnmatchedListSchema",
    "UnmatchedNeedSchema",
    "UnmatchedSchema",
]

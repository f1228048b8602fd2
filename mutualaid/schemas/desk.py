"""The coordinator's desk: the queue's query, notes, exports. No queries, no permissions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models.alerts import ALERT_MODES
from ..models.matches import MatchStatus
from ..models.needs import CATEGORIES, NEED_STATUSES, URGENCIES
from ..models.notes import NOTE_KINDS
from ._common import InSchema, PageArgsSchema
from ._fields import Text, UTCDateTime, text_pattern
from .matches import MatchOutSchema

#: The orders of the queue, by name.
QUEUE_SORTS = ("urgency", "waiting", "score")


class QueueFilterSchema(InSchema):
    """``?status&q&category&urgency&district&sort&grouped`` of a group's queue."""

    status = fields.String(
        load_default=MatchStatus.PROPOSED.value,
        validate=validate.OneOf([MatchStatus.PROPOSED.value, MatchStatus.APPROVED.value]),
    )
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "Words in a need's title, its district (E8) or a skill."},
    )
    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    urgency = fields.String(validate=validate.OneOf(list(URGENCIES)))
    district = fields.String(validate=validate.Length(max=6), metadata={"example": "E8"})
    sort = fields.String(
        load_default="urgency",
        validate=validate.OneOf(QUEUE_SORTS),
        metadata={"description": "Needs by urgency, by time waiting, or by their best score."},
    )
    grouped = fields.Boolean(
        load_default=True,
        metadata={"description": "A need's matches together (with sort=score: one flat list)."},
    )


class QueueQuerySchema(QueueFilterSchema, PageArgsSchema):
    """The queue's filters, and ``?limit&offset``."""


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(MatchOutSchema))
    total = fields.Integer(metadata={"description": "Every match the query finds, all pages."})
    limit = fields.Integer()
    offset = fields.Integer()


class NoteInSchema(InSchema):
    """A note or a contact made, on a need or a match."""

    body = Text(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={
            "example": "Called Amara: she is fine with Tuesday.",
            "pattern": text_pattern(1),  # the service strips it
        },
    )
    kind = fields.String(
        load_default="note",
        validate=validate.OneOf(NOTE_KINDS),
        metadata={"description": "A plain note, or the contact it records (call, message, visit)."},
    )
    follow_up_on = fields.Date(
        allow_none=True, metadata={"description": "When to get back in touch, if at all."}
    )


class NoteAuthorSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class NoteOutSchema(Schema):
    """A coordinator's note: seen by the group's coordinators only."""

    id = fields.Integer()
    need = fields.Integer(allow_none=True, metadata={"description": "The need's id, if on a need."})
    match = fields.Integer(
        allow_none=True, metadata={"description": "The match's id, if on a match."}
    )
    kind = fields.String(metadata={"enum": list(NOTE_KINDS)})
    body = fields.String()
    follow_up_on = fields.Date(allow_none=True)
    author = fields.Nested(NoteAuthorSchema, allow_none=True)
    created_at = UTCDateTime()


class NeedExportQuerySchema(InSchema):
    """``?category&skill&status&district``, as on the coordinator's page (default: still wanted)."""

    category = fields.String(validate=validate.OneOf(list(CATEGORIES)))
    skill = fields.String(validate=validate.Length(max=64), metadata={"example": "driving"})
    status = fields.String(validate=validate.OneOf(NEED_STATUSES))
    district = fields.String(validate=validate.Length(max=6), metadata={"example": "E8"})


class OfferExportQuerySchema(InSchema):
    """``?skill&district``: active offers, as on the coordinator's page."""

    skill = fields.String(validate=validate.Length(max=64), metadata={"example": "driving"})
    district = fields.String(validate=validate.Length(max=6), metadata={"example": "E8"})


class HoursQuerySchema(InSchema):
    """``?from&to``: the days the hours were recorded, both included."""

    since = fields.Date(data_key="from", metadata={"example": "2026-11-01"})
    until = fields.Date(data_key="to", metadata={"example": "2026-11-30"})


class ImportQuerySchema(InSchema):
    """``?dry_run``: check only (the default), or import the valid rows."""

    dry_run = fields.Boolean(
        load_default=True,
        metadata={"description": "true: report every row's problems and save nothing."},
    )
    map = fields.List(
        fields.String(validate=validate.Length(min=2, max=300)),
        load_default=list,
        metadata={
            "description": "The file's column for a field, as field=Column name (repeat for "
            "more; field= for none). A field not given takes the column named like it."
        },
    )


class RowProblemSchema(Schema):
    line = fields.Integer(metadata={"description": "The row's line in the file (header: 1)."})
    column = fields.String(metadata={"description": "The column, or _row for the whole row."})
    message = fields.String()


class ImportReportSchema(Schema):
    """What a check found or an import did."""

    kind = fields.String(metadata={"enum": ["needs", "offers"]})
    dry_run = fields.Boolean()
    rows = fields.Integer()
    valid = fields.Integer(metadata={"description": "Rows without problems."})
    imported = fields.Integer()
    new_people = fields.Integer(metadata={"description": "Accounts made and invited by email."})
    problems = fields.List(fields.Nested(RowProblemSchema))


class _WeekSchema(Schema):
    week = fields.Date(metadata={"description": "The Monday the week starts on."})
    posted = fields.Integer()
    approved = fields.Integer()
    completed = fields.Integer()
    hours = fields.Float()


class _CategorySchema(Schema):
    category = fields.String()
    name = fields.String()
    posted = fields.Integer()
    matched = fields.Integer()
    fulfilled = fields.Integer()


class ReportSchema(Schema):
    """A group's figures for a period; aggregates only, never a person."""

    since = fields.Date()
    until = fields.Date()
    weeks = fields.List(fields.Nested(_WeekSchema))
    by_category = fields.List(fields.Nested(_CategorySchema))
    needs_posted = fields.Integer()
    needs_matched = fields.Integer(metadata={"description": "Needs with an approved volunteer."})
    fill_rate = fields.Float(allow_none=True)
    time_to_match_hours = fields.Dict(
        metadata={"description": "``{median, longest, needs}``: posting to first approval."}
    )
    hours_given = fields.Float()
    active_volunteers = fields.Integer()
    load_spread = fields.List(fields.Dict(), metadata={"description": "``{matches, volunteers}``"})
    last_run_at = UTCDateTime(allow_none=True)
    skills_missing = fields.List(fields.Dict(), metadata={"description": "``{skill, needs}``"})
    unmatched_reasons = fields.List(fields.Dict(), metadata={"description": "``{code, needs}``"})


class PairingInSchema(InSchema):
    """A coordinator's choice of a volunteer's offer for a need."""

    offer = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    override_reason = Text(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Required to pair a volunteer beyond their reach."},
    )
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "true: only say whether it is feasible."}
    )


class FeasibilitySchema(Schema):
    """The engine's answer for one pair."""

    feasible = fields.Boolean()
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    overridable = fields.Boolean(
        metadata={"description": "Infeasible only for distance: a reason lets it through."}
    )
    score = fields.Float(allow_none=True)
    distance_km = fields.Float(allow_none=True)
    explanation = fields.Dict()


class VolunteerEmailInSchema(InSchema):
    """A message to a group's volunteers, all of them or those with a skill or in a district."""

    subject = Text(required=True, validate=validate.Length(min=1, max=150))
    body = Text(required=True, validate=validate.Length(min=1, max=5000))
    skill = fields.String(validate=validate.Length(max=64))
    district = fields.String(validate=validate.Length(max=6))
    dry_run = fields.Boolean(
        load_default=False, metadata={"description": "true: only count the recipients."}
    )


class VolunteerEmailOutSchema(Schema):
    recipients = fields.Integer()
    queued = fields.Integer()


class AlertModeSchema(InSchema):
    """How a coordinator hears about a group: each time, a daily digest, or not at all."""

    alert_mode = fields.String(required=True, validate=validate.OneOf(ALERT_MODES))

"""The coordinator's desk: the queue's query, notes, exports. No queries, no permissions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models.matches import MatchStatus
from ..models.needs import CATEGORIES, URGENCIES
from ._common import PageArgsSchema
from .matches import MatchOutSchema

#: The orders of the queue, by name.
QUEUE_SORTS = ("urgency", "waiting", "score")


class QueueQuerySchema(PageArgsSchema):
    """``?status&q&category&urgency&district&sort&grouped&limit&offset`` of a group's queue."""

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


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(MatchOutSchema))
    total = fields.Integer(metadata={"description": "Every match the query finds, all pages."})
    limit = fields.Integer()
    offset = fields.Integer()

"""Needs: what a resident asks for."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models.needs import CATEGORIES, NEED_STATUSES, URGENCIES
from ._common import EXISTING, InSchema, PageArgsSchema, PatchSchema, WhenSchema, WindowSchema
from ._fields import Int, Slug, Stripped, Text, UTCDateTime
from .accounts import ContactSchema


class NeedInSchema(InSchema):
    """A need as posted. ``when`` loads to ``{"on_date", "windows"}`` (see :class:`WhenSchema`)."""

    group = Slug(
        required=True,
        metadata={"example": "hackney", "description": EXISTING.format("group", "group")},
    )
    category = Stripped(
        required=True, validate=validate.OneOf(list(CATEGORIES)), metadata={"example": "legal-aid"}
    )
    title = Stripped(
        required=True,
        validate=validate.Length(min=3, max=200, error="Give a title of 3 to 200 characters."),
    )
    description = Text(
        load_default="",
        validate=validate.Length(max=5000, error="Keep the description under 5,000 characters."),
    )
    skills = fields.List(
        Slug(),
        load_default=list,
        validate=validate.Length(max=20, error="Choose at most 20 skills."),
        metadata={"example": ["legal-advice"], "description": EXISTING.format("skill", "skill")},
    )
    postcode = Stripped(
        required=True,
        validate=validate.Length(min=2, max=10, error="Enter a postcode, such as E8 1AA."),
        metadata={"example": "E8 1AA", "description": "A postcode in the group's area."},
    )
    address = Text(
        allow_none=True,
        validate=validate.Length(max=500, error="Keep the address under 500 characters."),
        metadata={
            "description": "Private: only the owner, the group's coordinators and an approved "
            "volunteer see it."
        },
    )
    when = fields.Nested(WhenSchema, required=True)
    volunteers_needed = Int(load_default=1, validate=validate.Range(min=1, max=50))
    urgency = Stripped(load_default="normal", validate=validate.OneOf(URGENCIES))
    remote_ok = fields.Boolean(load_default=False)
    share_description = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Let the group's public page of open needs (if it has one) show the "
            "title and description; otherwise it shows only the category, district, day and "
            "skills."
        },
    )


class NeedPatchSchema(PatchSchema, NeedInSchema):
    """Any subset of a need's fields (``when``, when given, is checked whole)."""


class WindowOutSchema(WindowSchema):
    pass


class WhenOutSchema(Schema):
    date = fields.Date()
    start = fields.String()
    end = fields.String()
    weekly = fields.List(fields.Nested(WindowOutSchema))
    starts_on = fields.Date(data_key="from", metadata={"description": "Weekly: the first day."})
    ends_on = fields.Date(data_key="until", metadata={"description": "Weekly: the last day."})


class ProgressSchema(Schema):
    code = fields.String(
        metadata={
            "enum": ["posted", "looking", "suggested", "agreed", "done", "expired", "cancelled"]
        }
    )
    text = fields.String()


class NeedOutSchema(Schema):
    """A need as a viewer may see it: fields marked private appear only for those entitled."""

    id = fields.Integer()
    group = fields.String(metadata={"description": "The group's slug."})
    group_name = fields.String()
    category = fields.String()
    category_name = fields.String()
    title = fields.String()
    description = fields.String()
    skills = fields.List(fields.String())
    when = fields.Nested(WhenOutSchema)
    volunteers_needed = fields.Integer()
    urgency = fields.String()
    remote_ok = fields.Boolean()
    status = fields.String()
    district = fields.String()
    lat = fields.Float(
        metadata={"description": "Exact for those entitled, else the district's centre."}
    )
    lon = fields.Float()
    created_at = UTCDateTime()
    expires_at = UTCDateTime(allow_none=True)
    share_description = fields.Boolean(
        metadata={"description": "Private: the public page may show the title and description."}
    )
    full_view = fields.Boolean(
        metadata={"description": "Whether the private fields below are included."}
    )
    postcode = fields.String(metadata={"description": "Private."})
    address = fields.String(allow_none=True, metadata={"description": "Private."})
    requester = fields.Nested(ContactSchema, metadata={"description": "Private."})
    volunteers = fields.List(
        fields.Nested(ContactSchema),
        metadata={"description": "Approved volunteers; owner and coordinators only."},
    )
    progress = fields.Nested(
        ProgressSchema,
        metadata={"description": "Where the need stands, in words; owner and coordinators only."},
    )


class NeedQuerySchema(PageArgsSchema):
    """Filters of ``GET /needs``. Without ``status``: open, partly matched and matched.

    With ``mine``, every status.
    """

    group = Slug(metadata={"description": EXISTING.format("group", "group")})
    status = Stripped(validate=validate.OneOf(NEED_STATUSES))
    category = Stripped(validate=validate.OneOf(list(CATEGORIES)))
    mine = fields.Boolean(load_default=False)


class NeedPageSchema(Schema):
    items = fields.List(fields.Nested(NeedOutSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()

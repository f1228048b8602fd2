"""Offers: a volunteer's time."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ._common import EXISTING, InSchema, PageArgsSchema, PatchSchema, WindowSchema
from ._fields import Float, Int, Slug, Stripped, Text, UTCDateTime
from .accounts import ContactSchema
from .needs import WindowOutSchema


class OfferInSchema(InSchema):
    """An offer as posted."""

    groups = fields.List(
        Slug(),
        required=True,
        validate=validate.Length(min=1, max=10, error="Choose from 1 to 10 local groups."),
        metadata={"example": ["hackney"], "description": EXISTING.format("group", "group")},
    )
    skills = fields.List(
        Slug(),
        load_default=list,
        validate=validate.Length(max=30, error="Choose at most 30 skills."),
        metadata={
            "example": ["cooking", "dbs-checked"],
            "description": EXISTING.format("skill", "skill"),
        },
    )
    postcode = Stripped(
        required=True,
        validate=validate.Length(min=2, max=10, error="Enter a postcode, such as E8 2AA."),
        metadata={"example": "E8 2AA", "description": "A postcode the server knows."},
    )
    max_travel_km = Float(load_default=5.0, validate=validate.Range(min=0, max=200))
    availability = fields.List(
        fields.Nested(WindowSchema),
        required=True,
        validate=validate.Length(min=1, max=50, error="Give from 1 to 50 times you are free."),
    )
    capacity = Int(
        load_default=1,
        validate=validate.Range(min=1, max=20),
        metadata={"description": "How many needs at once."},
    )
    note = Text(allow_none=True, validate=validate.Length(max=2000))
    active = fields.Boolean(load_default=True)


class OfferPatchSchema(PatchSchema, OfferInSchema):
    """Any subset of an offer's fields."""


class CredentialInSchema(InSchema):
    """A coordinator's verification of a credential skill (e.g. a DBS check) until a date."""

    skill = Slug(
        required=True,
        metadata={
            "example": "dbs-checked",
            "description": "A credential skill (`is_credential`) that the offer claims.",
        },
    )
    expires_on = fields.Date(
        required=True, metadata={"example": "2027-06-30", "description": "After today."}
    )


class CredentialSchema(Schema):
    skill = fields.String()
    verified = fields.Boolean()
    verified_at = UTCDateTime(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    usable = fields.Boolean(metadata={"description": "Verified and not expired."})
    verified_by_group = fields.String(
        allow_none=True,
        metadata={
            "description": "The group whose coordinator verified it; only that group's "
            "coordinators can renew it."
        },
    )


class OfferOutSchema(Schema):
    """An offer as a viewer may see it: private fields appear only for those entitled."""

    id = fields.Integer()
    groups = fields.List(fields.String())
    skills = fields.List(fields.String())
    district = fields.String()
    lat = fields.Float(
        metadata={"description": "Exact for those entitled, else the district's centre."}
    )
    lon = fields.Float()
    max_travel_km = fields.Float()
    availability = fields.List(fields.Nested(WindowOutSchema))
    capacity = fields.Integer()
    active = fields.Boolean()
    created_at = UTCDateTime()
    full_view = fields.Boolean()
    postcode = fields.String(metadata={"description": "Private."})
    note = fields.String(allow_none=True, metadata={"description": "Private."})
    volunteer = fields.Nested(ContactSchema, metadata={"description": "Private."})
    credentials = fields.List(fields.Nested(CredentialSchema), metadata={"description": "Private."})


class OfferQuerySchema(PageArgsSchema):
    """Filters of ``GET /offers``. Without ``active``: active offers only (all for ``mine``)."""

    group = Slug(metadata={"description": EXISTING.format("group", "group")})
    mine = fields.Boolean(load_default=False)
    active = fields.Boolean()
    skill = Slug(metadata={"description": EXISTING.format("skill", "skill")})


class OfferPageSchema(Schema):
    items = fields.List(fields.Nested(OfferOutSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()

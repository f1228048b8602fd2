"""Offers: a volunteer's time."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from ._common import Float, Int, PageArgsSchema, Slug, Stripped, Text, UTCDateTime, WindowSchema
from .accounts import ContactSchema
from .needs import WindowOutSchema


class OfferInSchema(Schema):
    """An offer as posted; load with ``partial=True`` (or a tuple of field names) for a PATCH."""

    groups = fields.List(
        Slug(),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"example": ["hackney"]},
    )
    skills = fields.List(
        Slug(),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={"example": ["cooking", "dbs-checked"]},
    )
    postcode = Stripped(
        required=True, validate=validate.Length(min=2, max=10), metadata={"example": "E8 2AA"}
    )
    max_travel_km = Float(load_default=5.0, validate=validate.Range(min=0, max=200))
    availability = fields.List(
        fields.Nested(WindowSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    capacity = Int(
        load_default=1,
        validate=validate.Range(min=1, max=20),
        metadata={"description": "How many needs at once."},
    )
    note = Text(allow_none=True, validate=validate.Length(max=2000))
    active = fields.Boolean(load_default=True)


class OfferPatchSchema(OfferInSchema):
    """Any subset of an offer's fields."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("partial", tuple(OfferInSchema._declared_fields))
        super().__init__(**kwargs)


class CredentialInSchema(Schema):
    """A coordinator's verification of a credential skill (e.g. a DBS check) until a date."""

    skill = Slug(required=True, metadata={"example": "dbs-checked"})
    expires_on = fields.Date(required=True, metadata={"example": "2027-06-30"})


class CredentialSchema(Schema):
    skill = fields.String()
    verified = fields.Boolean()
    verified_at = UTCDateTime(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    usable = fields.Boolean(metadata={"description": "Verified and not expired."})


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

    group = Slug()
    mine = fields.Boolean(load_default=False)
    active = fields.Boolean()
    skill = Slug()


class OfferPageSchema(Schema):
    items = fields.List(fields.Nested(OfferOutSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()

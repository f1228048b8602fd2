"""Volunteers choose: browsing open needs, and the "who could help" preview."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..models.needs import CATEGORIES
from ._common import EXISTING, InSchema, WhenSchema
from ._fields import Float, Slug, Stripped, Weekday
from .needs import WhenOutSchema

_COARSE = "The centre of the need's postcode district, never its exact point."


class BrowseQuerySchema(InSchema):
    """Filters of ``GET /browse/needs``."""

    category = Stripped(validate=validate.OneOf(list(CATEGORIES)))
    skill = Slug(metadata={"description": "Needs asking for this skill."})
    day = Weekday(metadata={"description": "Needs with a time on this day of the week."})
    within_km = Float(
        validate=validate.Range(min=0, max=200, min_inclusive=False),
        metadata={"description": "Needs whose district centre is within this distance of `offer`."},
    )
    offer = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "One of your active offers (default: your first)."},
    )


class BrowseNeedSchema(Schema):
    """An open need as a volunteer browsing sees it: no name, address, postcode or contact."""

    id = fields.Integer()
    title = fields.String()
    category = fields.String()
    category_name = fields.String()
    group = fields.String()
    group_name = fields.String()
    district = fields.String()
    skills = fields.List(fields.String())
    when = fields.Nested(WhenOutSchema)
    volunteers_needed = fields.Integer()
    urgency = fields.String()
    remote_ok = fields.Boolean()
    distance_band = fields.String(
        allow_none=True,
        metadata={"description": "From your offer to the district centre, in a band."},
    )
    lat = fields.Float(metadata={"description": _COARSE})
    lon = fields.Float(metadata={"description": _COARSE})
    created_at = fields.DateTime()
    proposed = fields.Boolean(metadata={"description": "You are proposed for it already."})
    claimed = fields.Boolean(metadata={"description": "You offered to help with it."})


class MarkerNeedSchema(Schema):
    id = fields.Integer()
    title = fields.String()


class MarkerSchema(Schema):
    """One map point: a district centre and the needs there."""

    lat = fields.Float(metadata={"description": _COARSE})
    lon = fields.Float()
    district = fields.String()
    needs = fields.List(fields.Nested(MarkerNeedSchema))


class BrowsePageSchema(Schema):
    offer = fields.Integer(
        allow_none=True, metadata={"description": "The offer distances are measured from."}
    )
    groups = fields.List(fields.String(), metadata={"description": "The groups searched."})
    items = fields.List(fields.Nested(BrowseNeedSchema))
    markers = fields.List(fields.Nested(MarkerSchema))
    total = fields.Integer(metadata={"description": "Needs found (items shows at most 200)."})


class PreviewInSchema(InSchema):
    """A need being written: only what decides who could take it."""

    group = Slug(
        required=True,
        metadata={"example": "hackney", "description": EXISTING.format("group", "group")},
    )
    skills = fields.List(
        Slug(),
        load_default=list,
        validate=validate.Length(max=20, error="Choose at most 20 skills."),
        metadata={"example": ["legal-advice"]},
    )
    postcode = Stripped(
        required=True,
        validate=validate.Length(min=2, max=10, error="Enter a postcode, such as E8 1AA."),
        metadata={"example": "E8 1AA"},
    )
    when = fields.Nested(WhenSchema, required=True)
    remote_ok = fields.Boolean(load_default=False)


class PreviewSchema(Schema):
    volunteers = fields.Integer(
        metadata={"description": "Volunteers in the group who could take it: skill, reach, time."}
    )
    message = fields.String(metadata={"example": "3 volunteers in the group could help."})


class PublicNeedSchema(Schema):
    """An open need on a group's public page: no name, address, postcode or contact."""

    category = fields.String()
    category_name = fields.String()
    district = fields.String()
    days = fields.String(metadata={"example": "Every Tuesday, Thursday"})
    skills = fields.List(fields.String(), metadata={"description": "Skill names."})
    volunteers_needed = fields.Integer()
    remote_ok = fields.Boolean()
    title = fields.String(
        allow_none=True, metadata={"description": "Only if the resident chose to share it."}
    )
    description = fields.String(
        allow_none=True, metadata={"description": "Only if the resident chose to share it."}
    )


class PublicGroupSchema(Schema):
    name = fields.String()
    slug = fields.String()
    description = fields.String(allow_none=True)


class PublicMarkerSchema(Schema):
    lat = fields.Float(metadata={"description": "A postcode district's centre."})
    lon = fields.Float()
    district = fields.String()
    count = fields.Integer()


class PublicPageSchema(Schema):
    group = fields.Nested(PublicGroupSchema)
    items = fields.List(fields.Nested(PublicNeedSchema))
    total = fields.Integer()
    markers = fields.List(fields.Nested(PublicMarkerSchema))
    area = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The group's area: `{lat, lon, radius_km}` or `{points: [{lat, lon, "
            "district}]}`."
        },
    )


class PublicSettingInSchema(InSchema):
    published = fields.Boolean(
        required=True, metadata={"description": "Publish the group's page of open needs."}
    )


class PublicSettingSchema(Schema):
    published = fields.Boolean()
    url = fields.String(metadata={"example": "/g/hackney/needs"})

"""Local groups and the skills taxonomy."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ._common import InSchema, PatchSchema, one_of
from ._fields import Float, Slug, Stripped, Text, UTCDateTime

_DISTRICT = validate.Regexp(
    r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$", error="Not a postcode district such as E8 or N16."
)


class GroupInSchema(InSchema):
    """A group's area is a centre postcode with a radius, or a list of postcode districts."""

    class Meta(InSchema.Meta):
        json_schema = one_of(["postcode", "radius_km"], ["districts"])

    name = Stripped(required=True, validate=validate.Length(min=2, max=120))
    slug = Slug(required=True, metadata={"example": "hackney"})
    description = Text(allow_none=True, validate=validate.Length(max=5000))
    postcode = Stripped(
        validate=validate.Length(min=2, max=10),
        metadata={"example": "E8 1AA", "description": "A postcode the server knows."},
    )
    radius_km = Float(
        validate=validate.Range(min=0, max=200, min_inclusive=False),
        metadata={"example": 3, "exclusiveMinimum": True},
    )
    districts = fields.List(
        Stripped(validate=_DISTRICT),
        validate=validate.Length(min=1, max=500),
        metadata={"example": ["E8", "E9"], "description": "Postcode districts the server knows."},
    )

    @validates_schema
    def _area(self, data: dict[str, Any], **kwargs: Any) -> None:
        centre = "postcode" in data or "radius_km" in data
        if centre and "districts" in data:
            raise ValidationError(
                "Give a postcode with radius_km, or districts, not both.", "districts"
            )
        if centre:
            missing = {
                k: ["Missing data for required field."]
                for k in ("postcode", "radius_km")
                if k not in data
            }
            if missing:
                raise ValidationError(missing)
        elif "districts" not in data:
            raise ValidationError(
                "Give the group's area: a postcode with radius_km, or districts.", "districts"
            )

    @post_load
    def _upper(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "districts" in data:
            data["districts"] = sorted({d.upper() for d in data["districts"]})
        return data


class GroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    description = fields.String(allow_none=True)
    postcode = fields.String(attribute="centre_postcode", allow_none=True)
    radius_km = fields.Float(allow_none=True)
    districts = fields.List(fields.String(), allow_none=True)
    created_at = UTCDateTime(attribute="created_dt")
    weekly_weeks = fields.Integer(
        metadata={"description": "Default length of a weekly need, in weeks."}
    )
    expire_after_days = fields.Integer(
        metadata={"description": "A need still without a volunteer expires after these days."}
    )


class SkillInSchema(InSchema):
    slug = Slug(required=True, metadata={"example": "dbs-checked"})
    name = Stripped(required=True, validate=validate.Length(min=1, max=120))
    description = Text(allow_none=True, validate=validate.Length(max=2000))
    is_credential = fields.Boolean(load_default=False)


class SkillPatchSchema(PatchSchema, SkillInSchema):
    """Any subset of a skill's fields."""


class SkillSchema(Schema):
    slug = fields.String()
    name = fields.String()
    description = fields.String(allow_none=True)
    is_credential = fields.Boolean(
        metadata={"description": "Counts only once a coordinator verifies it."}
    )

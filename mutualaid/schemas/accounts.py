"""Registration, tokens and people."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..passwords import MIN_LENGTH
from ._common import InSchema
from ._fields import Email, Stripped, Text, UTCDateTime


class RegisterSchema(InSchema):
    email = Email(required=True, metadata={"example": "ana@example.org"})
    password = Text(
        required=True,
        validate=validate.Length(max=1000),
        load_only=True,
        metadata={
            "description": f"At least {MIN_LENGTH} characters; not one of the 10,000 most "
            "common passwords, nor the account's name or email.",
            "minLength": MIN_LENGTH,
        },
    )
    name = Stripped(
        required=True,
        validate=validate.Length(min=1, max=120, error="Enter a name of up to 120 characters."),
    )
    phone = Stripped(
        allow_none=True,
        validate=[
            validate.Length(max=40),
            validate.Regexp(
                r"^(|\+?[0-9][0-9 ()\-]{5,}[0-9])$",
                error="Enter a phone number of digits, spaces and an optional leading +.",
            ),
        ],
        metadata={"example": "07700 900123"},
    )


class TokenRequestSchema(InSchema):
    email = Stripped(required=True, validate=validate.Length(max=254))
    password = Text(required=True, validate=validate.Length(max=1000), load_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True)
    expires_at = UTCDateTime(required=True)


class PersonSchema(Schema):
    """An account as its owner sees it."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    is_admin = fields.Boolean()


class ContactSchema(Schema):
    """Someone's contact details, shown only to those entitled to them."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)

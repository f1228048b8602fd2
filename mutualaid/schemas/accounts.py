"""Registration, tokens and people."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..passwords import MIN_LENGTH
from ._common import InSchema
from ._fields import Email, Stripped, Text, UTCDateTime


def _new_password() -> Text:
    return Text(
        required=True,
        validate=validate.Length(max=1000),
        load_only=True,
        metadata={
            "description": f"At least {MIN_LENGTH} characters; not one of the 10,000 most "
            "common passwords, nor the account's name or email.",
            "minLength": MIN_LENGTH,
        },
    )


def _phone() -> Stripped:
    return Stripped(
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


class RegisterSchema(InSchema):
    email = Email(required=True, metadata={"example": "ana@example.org"})
    password = _new_password()
    name = Stripped(
        required=True,
        validate=validate.Length(min=1, max=120, error="Enter a name of up to 120 characters."),
    )
    phone = _phone()


class MessageSchema(Schema):
    """What was done, in words (the same words whatever the account's state)."""

    message = fields.String(required=True)


class EmailInSchema(InSchema):
    email = Stripped(required=True, validate=validate.Length(max=254))


class LinkTokenInSchema(InSchema):
    """The token from an emailed link (the last part of its path)."""

    token = Text(required=True, validate=validate.Length(min=1, max=1000))


class ResetInSchema(LinkTokenInSchema):
    password = _new_password()


class PasswordChangeInSchema(InSchema):
    current_password = Text(required=True, validate=validate.Length(max=1000), load_only=True)
    password = _new_password()


class PasswordInSchema(InSchema):
    """The account's password, to confirm something that cannot be undone."""

    password = Text(required=True, validate=validate.Length(max=1000), load_only=True)


class ProfileInSchema(InSchema):
    """Any of name, phone, email; a new email changes once confirmed from that address."""

    name = Stripped(validate=validate.Length(min=1, max=120))
    phone = _phone()
    email = Email(metadata={"example": "ana@example.org"})
    needs_digest = fields.Boolean(
        metadata={"description": "Email me once a day the new needs my offers could take."}
    )


class TokenInfoSchema(Schema):
    """One of your bearer tokens (its value is never shown again)."""

    id = fields.Integer()
    created_at = UTCDateTime()
    expires_at = UTCDateTime()
    current = fields.Boolean(metadata={"description": "The token this request was sent with."})


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenInfoSchema))


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
    email_verified = fields.Boolean(
        attribute="is_verified",
        metadata={
            "description": "Whether the address is confirmed; until it is, your needs "
            "and offers are not published."
        },
    )
    active = fields.Boolean(attribute="is_active_account")
    needs_digest = fields.Boolean(
        attribute="is_needs_digest",
        metadata={
            "description": "A daily email of the new needs your offers could take (category, "
            "district, time and skills only)."
        },
    )


class ContactSchema(Schema):
    """Someone's contact details, shown only to those entitled to them."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)

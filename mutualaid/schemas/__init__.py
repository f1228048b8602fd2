"""Marshmallow schemas: the shape of what comes in and goes out. No queries, no permissions."""

from ._common import ErrorSchema, PageArgsSchema, WhenSchema, WindowSchema
from ._fields import WEEKDAYS
from .accounts import ContactSchema, PersonSchema, RegisterSchema, TokenRequestSchema, TokenSchema
from .groups import GroupInSchema, GroupSchema, SkillInSchema, SkillPatchSchema, SkillSchema
from .needs import (
    NeedInSchema,
    NeedOutSchema,
    NeedPageSchema,
    NeedPatchSchema,
    NeedQuerySchema,
    WhenOutSchema,
    WindowOutSchema,
)
from .offers import (
    CredentialInSchema,
    CredentialSchema,
    OfferInSchema,
    OfferOutSchema,
    OfferPageSchema,
    OfferPatchSchema,
    OfferQuerySchema,
)

__all__ = [
    "WEEKDAYS",
    "ContactSchema",
    "CredentialInSchema",
    "CredentialSchema",
    "ErrorSchema",
    "GroupInSchema",
    "GroupSchema",
    "NeedInSchema",
    "NeedOutSchema",
    "NeedPageSchema",
    "NeedPatchSchema",
    "NeedQuerySchema",
    "OfferInSchema",
    "OfferOutSchema",
    "OfferPageSchema",
    "OfferPatchSchema",
    "OfferQuerySchema",
    "PageArgsSchema",
    "PersonSchema",
    "RegisterSchema",
    "SkillInSchema",
    "SkillPatchSchema",
    "SkillSchema",
    "TokenRequestSchema",
    "TokenSchema",
    "WhenOutSchema",
    "WhenSchema",
    "WindowOutSchema",
    "WindowSchema",
]

"""The data model. Every table here is created and changed only by ``migrations/``."""

from ._base import MAX_ID, get_row, utcnow
from .audit import AuditEvent
from .groups import ROLES, Group, Membership
from .matches import MATCH_STATUSES, RUN_STATUSES, Match, MatchingRun, RunLock
from .needs import CATEGORIES, NEED_STATUSES, URGENCIES, Need, need_skills
from .offers import Offer, OfferSkill, offer_groups
from .outbox import OutboxMessage
from .people import ApiToken, Person
from .postcodes import UnitPostcode
from .skills import Skill

__all__ = [
    "CATEGORIES",
    "MATCH_STATUSES",
    "MAX_ID",
    "NEED_STATUSES",
    "ROLES",
    "RUN_STATUSES",
    "URGENCIES",
    "ApiToken",
    "AuditEvent",
    "Group",
    "Match",
    "MatchingRun",
    "Membership",
    "Need",
    "Offer",
    "OfferSkill",
    "OutboxMessage",
    "Person",
    "RunLock",
    "Skill",
    "UnitPostcode",
    "get_row",
    "need_skills",
    "offer_groups",
    "utcnow",
]

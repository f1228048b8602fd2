"""The data model. Every table here is created and changed only by ``migrations/``.

Statuses, urgencies and roles are :class:`~enum.StrEnum` s stored as their values in string
columns; the named groups of statuses (``HOLDING_MATCH_STATUSES`` ...) live beside them.
"""

from ._base import MAX_ID, table_of, utcnow
from .alerts import ALERT_MODES, AlertMode, CoordinatorAlert
from .audit import AuditEvent
from .groups import ROLES, Group, Membership, Role
from .matches import (
    DECIDED_MATCH_STATUSES,
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    LIVE_RUN_STATUSES,
    MATCH_STATUSES,
    RESIDENT_MATCH_STATUSES,
    RUN_STATUSES,
    SESSION_STATUSES,
    Match,
    MatchingRun,
    MatchSession,
    MatchStatus,
    RunStatus,
    RunTrigger,
    SessionStatus,
)
from .needs import (
    ACTIVE_NEED_STATUSES,
    CATEGORIES,
    CLOSED_NEED_STATUSES,
    NEED_STATUSES,
    OPEN_NEED_STATUSES,
    URGENCIES,
    Need,
    NeedStatus,
    Urgency,
    need_skills,
)
from .notes import NOTE_KINDS, Note, NoteKind
from .offers import Offer, OfferSkill, offer_groups
from .outbox import OutboxMessage, OutboxStatus
from .people import ApiToken, Person
from .postcodes import UnitPostcode
from .skills import Skill

__all__ = [
    "ACTIVE_NEED_STATUSES",
    "ALERT_MODES",
    "CATEGORIES",
    "CLOSED_NEED_STATUSES",
    "DECIDED_MATCH_STATUSES",
    "HOLDING_MATCH_STATUSES",
    "LIVE_MATCH_STATUSES",
    "LIVE_RUN_STATUSES",
    "MATCH_STATUSES",
    "MAX_ID",
    "NEED_STATUSES",
    "NOTE_KINDS",
    "OPEN_NEED_STATUSES",
    "RESIDENT_MATCH_STATUSES",
    "ROLES",
    "RUN_STATUSES",
    "SESSION_STATUSES",
    "URGENCIES",
    "AlertMode",
    "ApiToken",
    "AuditEvent",
    "CoordinatorAlert",
    "Group",
    "Match",
    "MatchSession",
    "MatchStatus",
    "MatchingRun",
    "Membership",
    "Need",
    "NeedStatus",
    "Note",
    "NoteKind",
    "Offer",
    "OfferSkill",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "Role",
    "RunStatus",
    "RunTrigger",
    "SessionStatus",
    "Skill",
    "UnitPostcode",
    "Urgency",
    "need_skills",
    "offer_groups",
    "table_of",
    "utcnow",
]

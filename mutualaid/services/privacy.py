"""The data rights of UK GDPR: access (export), erasure (delete my account) and retention.

What is erased, and when (the README's Security section says the same):

- **On erasure**, at once: the account's name (it becomes "A former volunteer" or "A former
  member"), email, phone and password; its sessions, tokens and group memberships; the address,
  description, title and full postcode of each of its needs (the district stays, placed at the
  district's centre); the note and full postcode of each of its offers; the values its records'
  audit entries held; and every mail to or about the address in the outbox. Open needs are
  cancelled and live matches ended; the other side of an agreed match is told. Other people's
  records keep what they need: the matches stay, with their hours, so a group's totals and a
  coordinator's history stand, showing "a former volunteer".
- **After a need is closed** (fulfilled, cancelled or expired) for ``RETENTION_DAYS`` days
  (default 90), the scheduled retention job erases its address and full postcode, as above, and
  the values of its audit entries; sent and failed mail older than that is deleted too (mail
  copies addresses and phone numbers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..errors import ValidationFailed
from ..extensions import db
from ..models import (
    ACTIVE_NEED_STATUSES,
    CLOSED_NEED_STATUSES,
    HOLDING_MATCH_STATUSES,
    LIVE_MATCH_STATUSES,
    ApiToken,
    AuditEvent,
    Match,
    MatchSession,
    MatchStatus,
    Membership,
    Need,
    NeedStatus,
    Offer,
    OutboxMessage,
    OutboxStatus,
    Person,
    utcnow,
)
from . import accounts, mail, matches, visibility
from .needs import refresh_need_status

#: The columns of a need that locate its resident; erased by the retention job.
_NEED_PLACE = ("address", "postcode", "lat", "lon")


# ---- access ------------------------------------------------------------------------------------


def export(person: Person) -> dict[str, Any]:
    """Everything held about ``person``, as JSON-ready data.

    Needs, offers and matches appear as ``person`` may see them (the privacy rule), so the export
    carries no one else's details that ``person`` could not already read.
    """
    needs = list(
        db.session.scalars(sa.select(Need).where(Need.requester_id == person.id).order_by(Need.id))
    )
    offers = list(
        db.session.scalars(
            sa.select(Offer).where(Offer.volunteer_id == person.id).order_by(Offer.id)
        )
    )
    match_rows = list(
        db.session.scalars(
            sa.select(Match)
            .join(Need, Need.id == Match.need_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(sa.or_(Need.requester_id == person.id, Offer.volunteer_id == person.id))
            .order_by(Match.id)
        )
    )
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id)
    )
    audit_rows = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_id == person.id,
                sa.and_(AuditEvent.entity_type == "person", AuditEvent.entity_id == str(person.id)),
            )
        )
        .order_by(AuditEvent.id)
    )
    mails = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.to_email == person.email)
        .order_by(OutboxMessage.id)
    )
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "id": person.id,
            "email": person.email,
            "email_verified_at": _iso(person.email_verified_dt),
            "name": person.name,
            "phone": person.phone,
            "is_admin": person.is_admin,
            "active": person.is_active_account,
            "created_at": _iso(person.created_dt),
            "paused_until": person.paused_until.isoformat() if person.paused_until else None,
            "week_limit_tasks": person.week_limit_tasks,
            "week_limit_hours": person.week_limit_hours,
        },
        "memberships": [
            {"group": m.group.slug, "group_name": m.group.name, "role": m.role}
            for m in person.memberships
        ],
        "needs": [visibility.need_view(n, person) for n in needs],
        "offers": [visibility.offer_view(o, person) for o in offers],
        "matches": [matches.match_view(m, person) for m in match_rows],
        "sessions": [
            {
                "match": s.match_id,
                "on_date": s.on_date.isoformat(),
                "status": s.status,
                "hours": s.hours,
                "recorded_by_you": s.recorded_by_id == person.id,
            }
            for s in db.session.scalars(
                sa.select(MatchSession)
                .where(MatchSession.match_id.in_([m.id for m in match_rows]))
                .order_by(MatchSession.match_id, MatchSession.on_date)
            )
        ],
        "api_tokens": [
            {
                "id": t.id,
                "created_at": _iso(t.created_dt),
                "expires_at": _iso(t.expires_dt),
                "revoked": t.is_revoked,
            }
            for t in tokens
        ],
        "activity": [
            {
                "at": _iso(e.created_dt),
                "action": e.action,
                "record": f"{e.entity_type} {e.entity_id}",
                "by_you": e.actor_id == person.id,
            }
            for e in audit_rows
        ],
        "emails": [
            {
                "subject": m.subject,
                "queued_at": _iso(m.created_dt),
                "status": m.status,
                "body": m.body,
            }
            for m in mails
        ],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


# ---- erasure -----------------------------------------------------------------------------------

_ENDED = "Ended: the other person closed their account."


def erase_account(person: Person, password: str) -> None:
    """Delete ``person``'s account at their request (the module docstring says what goes)."""
    if person.erased_dt is not None:
        return
    if not accounts.check_password(person, password):
        raise ValidationFailed.field("password", "Your password is not right.")
    erase(person)


def erase(person: Person) -> None:
    """Erase an account's personal data now; end what is open, telling the other side."""
    old_email, old_phone = person.email, person.phone
    _end_open_matches(person)
    needs = list(db.session.scalars(sa.select(Need).where(Need.requester_id == person.id)))
    offers = list(db.session.scalars(sa.select(Offer).where(Offer.volunteer_id == person.id)))
    for need in needs:
        if need.status in ACTIVE_NEED_STATUSES:
            need.status = NeedStatus.CANCELLED
        _erase_need_place(need)
        need.title = "A request from a former member"
        need.description = ""
    for offer in offers:
        offer.is_active = False
        offer.note = None
        offer.postcode = offer.district
        offer.lat, offer.lon = visibility.public_coordinates(offer.district, offer.lat, offer.lon)
    person.name = "A former volunteer" if offers else "A former member"
    person.email = f"erased-{person.id}@erased.invalid"
    person.phone = None
    person.password_hash = "!erased"  # no password matches it
    person.is_active_account = False
    person.is_admin = False
    person.email_verified_dt = None
    person.paused_until = person.week_limit_tasks = person.week_limit_hours = None
    person.erased_dt = utcnow()
    person.session_version = (person.session_version or 0) + 1
    db.session.execute(sa.delete(ApiToken).where(ApiToken.person_id == person.id))
    db.session.execute(sa.delete(Membership).where(Membership.person_id == person.id))
    db.session.flush()  # the audit hook writes its entries here; they are scrubbed next
    _scrub_audit("person", [person.id])
    _scrub_audit("need", [n.id for n in needs])
    _scrub_audit("offer", [o.id for o in offers])
    about = [
        OutboxMessage.to_email == old_email,
        OutboxMessage.body.contains(old_email, autoescape=True),
    ]
    if old_phone:
        about.append(OutboxMessage.body.contains(old_phone, autoescape=True))
    db.session.execute(
        sa.delete(OutboxMessage).where(sa.or_(*about)).execution_options(synchronize_session=False)
    )
    db.session.flush()


def _end_open_matches(person: Person) -> None:
    """Cancel the live matches of the account's needs, decline those of its offers; tell the
    other side of an agreed one (in words that name no one)."""
    live = list(
        db.session.scalars(
            sa.select(Match.id)
            .join(Need, Need.id == Match.need_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(
                Match.status.in_(LIVE_MATCH_STATUSES),
                sa.or_(Need.requester_id == person.id, Offer.volunteer_id == person.id),
            )
            .order_by(Match.id)
        )
    )
    now = utcnow()
    for match_id in live:
        match, need, offer = matches._locked(match_id)  # the need, the offer, the match
        was_agreed = match.status == MatchStatus.APPROVED
        resident_leaves = need.requester_id == person.id
        match.status = MatchStatus.CANCELLED if resident_leaves else MatchStatus.DECLINED
        match.decided_by_id, match.decided_dt, match.reason = person.id, now, _ENDED
        db.session.flush()
        if not resident_leaves:
            refresh_need_status(need)
        if was_agreed:
            other = offer.volunteer if resident_leaves else need.requester
            mail.queue_mail(
                other.email,
                f"Match ended: {need.title if not resident_leaves else 'a request for help'}",
                f"Hello {other.name},\n\nA match you were part of has ended: the other person "
                "closed their account, and their details have been deleted. "
                + (
                    "You do not need to go.\n"
                    if resident_leaves
                    else "The group's coordinators will look for someone else.\n"
                ),
            )


def _erase_need_place(need: Need) -> None:
    need.address = None
    need.postcode = need.district
    need.lat, need.lon = visibility.public_coordinates(need.district, need.lat, need.lon)


def _scrub_audit(entity: str, ids: list[int], keys: tuple[str, ...] | None = None) -> None:
    """Erase the values the audit trail holds for these records (all, or just ``keys``).

    ``entity``: the audit trail's name for their table, ``"person"``, ``"need"``, ``"offer"``.
    """
    if not ids:
        return
    events = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == entity,
            AuditEvent.entity_id.in_([str(i) for i in ids]),
        )
    )
    for event in events:
        if not event.changes:
            continue
        if keys is None:
            event.changes = {key: "[erased]" for key in event.changes}
        elif any(key in event.changes for key in keys):
            event.changes = {
                key: "[erased]" if key in keys else value for key, value in event.changes.items()
            }


# ---- retention ---------------------------------------------------------------------------------


def apply_retention(days: int, now: Any = None) -> dict[str, int]:
    """Erase the place of needs closed more than ``days`` ago, and old sent or failed mail.

    A closed need is not changed again, so its last change (``updated_dt``) is when it closed.
    """
    cutoff = (now or utcnow()) - timedelta(days=days)
    needs = list(
        db.session.scalars(
            sa.select(Need).where(
                Need.status.in_(CLOSED_NEED_STATUSES),
                Need.updated_dt < cutoff,
                sa.or_(Need.address.is_not(None), Need.postcode != Need.district),
            )
        )
    )
    for need in needs:
        _erase_need_place(need)
    db.session.flush()
    _scrub_audit("need", [n.id for n in needs], _NEED_PLACE)
    mails = db.session.execute(
        sa.delete(OutboxMessage)
        .where(
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
            OutboxMessage.created_dt < cutoff,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return {"needs": len(needs), "mails": int(getattr(mails, "rowcount", 0) or 0)}


def holding_hours(group_id: int) -> float:
    """The hours given through a group's completed matches (erased accounts' included)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Match.hours), 0.0))
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group_id, Match.status.in_(HOLDING_MATCH_STATUSES))
    )
    return float(total or 0.0)

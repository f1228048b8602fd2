"""A volunteer's optional daily digest of new needs they could help with.

A volunteer opts in on their account page or through ``PATCH /api/v1/me``
(:attr:`Person.is_needs_digest`). Once a day the scheduler's digest job calls
:func:`send_needs_digests`: each opted-in volunteer is emailed, through the outbox, the needs
posted since their last digest, in the groups they offer time to, that the engine's own
candidate test (:func:`matching.candidates`, on records read as a matching run reads them)
says one of their offers could take: the right skills, in reach, at a time they are free.

The digest is not a match: it says what a need is, never who asked. It shows the category,
the postcode district, the day and time and the skills asked for; never the resident's name,
address, postcode, phone, email, the exact point or the title and description they wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Need, Offer, Person, offer_groups, utcnow
from . import mail, matching_runs, notifications

#: The first digest after opting in lists the needs of this last stretch.
FIRST_DIGEST_WINDOW = timedelta(days=1)


def set_needs_digest(person: Person, wanted: bool) -> Person:
    """Opt in to (or out of) the daily digest of new needs; flushes."""
    person.is_needs_digest = bool(wanted)
    db.session.flush()
    return person


def _offered_group_ids(person: Person) -> list[int]:
    """The groups the person offers time to, through an active offer."""
    return list(
        db.session.scalars(
            sa.select(offer_groups.c.group_id)
            .join(Offer, Offer.id == offer_groups.c.offer_id)
            .where(Offer.volunteer_id == person.id, Offer.is_active.is_(True))
            .distinct()
            .order_by(offer_groups.c.group_id)
        )
    )


def needs_for(person: Person, since: datetime, now: datetime) -> list[Need]:
    """The open needs posted after ``since``, in the person's groups and not their own, that
    the engine says one of the person's offers could take."""
    import matching

    found: list[int] = []
    for group_id in _offered_group_ids(person):
        offers = matching_runs.offer_records(group_id, now, Offer.volunteer_id == person.id)
        if not offers:
            continue
        records = matching_runs.need_records(
            group_id, now, Need.created_dt > since, Need.requester_id != person.id
        )
        if not records:
            continue
        for record in records:
            record.pop("requester", None)
        instance: dict[str, Any] = {"needs": records, "volunteers": offers}
        pairs = matching.candidates(matching.parse_instance(instance))
        found.extend(sorted({int(pair["need"]) for pair in pairs.records()}))
    if not found:
        return []
    return list(
        db.session.scalars(sa.select(Need).where(Need.id.in_(found)).order_by(Need.created_dt))
    )


def _describe(need: Need) -> str:
    skills = ", ".join(s.name for s in need.skills) or "none"
    where = f"in {need.district}" + (" (or remotely)" if need.is_remote_ok else "")
    return (
        f"- {need.category_name}, {where}, {notifications.describe_time(need)}\n"
        f"  Skills asked for: {skills}\n"
        f"  See it and offer to help: {notifications._link(f'/needs/{need.id}')}\n"
    )


def digest_body(person: Person, found: list[Need]) -> tuple[str, str]:
    """The subject and body of a person's digest (no resident's details: see the module)."""
    n = len(found)
    subject = f"{n} new request{'s' if n != 1 else ''} you could help with"
    body = (
        f"Hello {person.name},\n\n"
        f"Since your last digest, {n} request{'s were' if n != 1 else ' was'} posted in your "
        "groups that your offer fits (the skills, the distance and the time):\n\n"
        + "\n".join(_describe(need) for need in found)
        + "\nThe group's coordinators may already be proposing someone. To stop these emails, "
        f"untick the daily digest on your account page: {notifications._link('/account')}\n"
    )
    return subject, body


def _due(person: Person, now: datetime) -> bool:
    """Once a day: not when a digest was already made today (UTC)."""
    return person.needs_digest_dt is None or person.needs_digest_dt.date() < now.date()


def send_needs_digests(now: datetime | None = None) -> int:
    """Queue each opted-in volunteer's digest, once a day; returns the digests queued.

    Each volunteer's "since" moves on even when nothing was new for them, so a need is listed
    in one digest at most.
    """
    now = now or utcnow()
    people = db.session.scalars(
        sa.select(Person)
        .where(
            Person.is_needs_digest.is_(True),
            Person.is_active_account.is_(True),
            Person.erased_dt.is_(None),
            Person.email_verified_dt.is_not(None),
        )
        .order_by(Person.id)
    ).all()
    sent = 0
    for person in people:
        if not _due(person, now):
            continue
        since = person.needs_digest_dt or now - FIRST_DIGEST_WINDOW
        found = needs_for(person, since, now)
        person.needs_digest_dt = now
        if found:
            subject, body = digest_body(person, found)
            mail.queue_mail(person.email, subject, body)
            sent += 1
    db.session.flush()
    return sent

"""Email a group's volunteers, or a filtered set of them, through the outbox.

One mail per volunteer, addressed to them alone (nobody sees another's address), queued in the
request's transaction like every other mail. Only volunteers with an active offer in the group
and a confirmed address are written to; a person with several offers gets one mail.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Group, Offer, OfferSkill, Person, Skill, offer_groups
from . import accounts, mail

#: The longest subject and message.
MAX_SUBJECT, MAX_BODY = 150, 5000


@dataclass
class Audience:
    """Which of the group's volunteers: all, or those with a skill and/or in a district."""

    skill: str | None = None
    district: str | None = None


def recipients(person: Person, group: Group, audience: Audience) -> list[Person]:
    """The volunteers ``audience`` names, by name (the group's coordinators)."""
    accounts.require_coordinator(person, group)
    query = (
        sa.select(Person)
        .join(Offer, Offer.volunteer_id == Person.id)
        .join(offer_groups, offer_groups.c.offer_id == Offer.id)
        .where(
            offer_groups.c.group_id == group.id,
            Offer.is_active.is_(True),
            Person.email_verified_dt.is_not(None),
            Person.is_active_account.is_(True),
        )
    )
    if audience.district:
        query = query.where(Offer.district == audience.district)
    if audience.skill:
        query = query.where(
            Offer.id.in_(
                sa.select(OfferSkill.offer_id)
                .join(Skill, Skill.id == OfferSkill.skill_id)
                .where(Skill.slug == audience.skill)
            )
        )
    return list(db.session.scalars(query.distinct().order_by(Person.name, Person.id)))


def send(person: Person, group: Group, audience: Audience, subject: str, body: str) -> int:
    """Queue the message to each volunteer of ``audience``; how many were queued."""
    subject, body = (subject or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = ["Write a subject."]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = [f"Keep the subject under {MAX_SUBJECT} characters."]
    if not body:
        errors["body"] = ["Write the message."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"Keep the message under {MAX_BODY} characters."]
    if errors:
        raise ValidationFailed("The message was not sent.", errors)
    people = recipients(person, group, audience)
    for volunteer in people:
        mail.queue_mail(
            volunteer.email,
            f"{group.name}: {subject}",
            f"Hello {volunteer.name},\n\n{body}\n\n"
            f"— {person.name}, for the coordinators of {group.name}.\n"
            "You get this because you offer help through this group. To stop, pause or "
            f"withdraw your offer: {accounts.link('/offers/mine')}\n",
        )
    return len(people)

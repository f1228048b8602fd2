"""What the admin pages read and do: the audit log, groups' coordinators, people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from ..errors import Forbidden, ValidationFailed
from ..extensions import db
from ..models import AuditEvent, Group, Membership, Need, NeedStatus, Offer, Person, Role
from ..models.offers import offer_groups
from . import accounts
from .common import Page, paginate

#: Needs still waiting for volunteers.
_OPEN = (NeedStatus.OPEN, NeedStatus.PARTLY_MATCHED)


def require_admin(actor: Person) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an admin can do this.")


def audit_kinds() -> list[str]:
    """The kinds of record the trail holds (``need``, ``match`` ...), for a filter."""
    return sorted(db.session.scalars(sa.select(AuditEvent.entity_type).distinct()))


def audit_events(
    *,
    kind: str | None = None,
    entity_id: str | None = None,
    actor_email: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int,
    offset: int,
) -> Page[AuditEvent]:
    """The trail, newest first: of one kind of record (and one record), by one person, from
    ``since`` to ``until`` (days included, UTC), each when given."""
    query = sa.select(AuditEvent)
    if kind:
        query = query.where(AuditEvent.entity_type == kind)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id.strip())
    if since:
        query = query.where(AuditEvent.created_dt >= datetime.combine(since, time()))
    if until:
        query = query.where(
            AuditEvent.created_dt < datetime.combine(until + timedelta(days=1), time())
        )
    if actor_email:
        email = actor_email.strip().lower()
        query = query.where(
            AuditEvent.actor_id.in_(sa.select(Person.id).where(Person.email == email))
        )
    return paginate(
        query,
        order_by=(AuditEvent.created_dt.desc(), AuditEvent.id.desc()),
        limit=limit,
        offset=offset,
    )


def people_by_id(ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}


@dataclass
class GroupCounts:
    group: Group
    open_needs: int
    offers: int
    coordinators: int


def group_counts() -> list[GroupCounts]:
    """Every group by name, with its open needs, active offers and coordinators."""
    needs: dict[int, int] = dict(
        db.session.execute(
            sa.select(Need.group_id, sa.func.count(Need.id))
            .where(Need.status.in_(_OPEN))
            .group_by(Need.group_id)
        ).all()
    )
    offers: dict[int, int] = dict(
        db.session.execute(
            sa.select(offer_groups.c.group_id, sa.func.count(Offer.id))
            .join(Offer, Offer.id == offer_groups.c.offer_id)
            .where(Offer.is_active)
            .group_by(offer_groups.c.group_id)
        ).all()
    )
    coordinators: dict[int, int] = dict(
        db.session.execute(
            sa.select(Membership.group_id, sa.func.count(Membership.id))
            .where(Membership.role == Role.COORDINATOR)
            .group_by(Membership.group_id)
        ).all()
    )
    groups = db.session.scalars(sa.select(Group).order_by(Group.name, Group.id))
    return [
        GroupCounts(g, needs.get(g.id, 0), offers.get(g.id, 0), coordinators.get(g.id, 0))
        for g in groups
    ]


def add_coordinator(actor: Person, group: Group, email: str) -> Person:
    """Make the person with this email a coordinator of ``group`` (a field error if unknown)."""
    require_admin(actor)
    if not (email or "").strip():
        raise ValidationFailed.field("email", "Enter the email address of their account.")
    normalised = accounts.normalise_email(email)
    person = db.session.scalar(sa.select(Person).where(Person.email == normalised))
    if person is None or person.erased_dt is not None:
        raise ValidationFailed.field("email", f"No account with email {normalised}.")
    accounts.set_role(person, group, Role.COORDINATOR)
    return person


def remove_coordinator(actor: Person, group: Group, person_id: int) -> Person | None:
    """Make a coordinator of ``group`` an ordinary member again; ``None`` if they were not one."""
    require_admin(actor)
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.group_id == group.id,
            Membership.person_id == person_id,
            Membership.role == Role.COORDINATOR,
        )
    )
    if membership is None:
        return None
    accounts.set_role(membership.person, group, Role.MEMBER)
    return membership.person


def search_people(text: str | None, *, limit: int, offset: int) -> Page[Person]:
    """People whose email or name contains ``text`` (any case), by name."""
    query = sa.select(Person)
    if text and text.strip():
        wanted = text.strip().lower()
        query = query.where(
            sa.or_(
                Person.email.contains(wanted, autoescape=True),
                sa.func.lower(Person.name).contains(wanted, autoescape=True),
            )
        )
    return paginate(query, order_by=(Person.name, Person.id), limit=limit, offset=offset)


def coordinated_groups_of(people: list[Person]) -> dict[int, list[Group]]:
    """The groups each of ``people`` coordinates, by name."""
    out: dict[int, list[Group]] = {p.id: [] for p in people}
    if not people:
        return out
    rows = db.session.execute(
        sa.select(Membership.person_id, Group)
        .join(Group, Group.id == Membership.group_id)
        .where(Membership.person_id.in_(out), Membership.role == Role.COORDINATOR)
        .order_by(Group.name)
    ).all()
    for person_id, group in rows:
        out[person_id].append(group)
    return out

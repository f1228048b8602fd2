"""Telling a group's coordinators what needs them: a new urgent need, a declined or cancelled
match, a matching run that failed.

Each coordinator chooses, per group, an email each time, one daily digest, or nothing
(``Membership.alert_mode``). A digest's items wait in ``coordinator_alerts`` until the daily job
(:func:`send_digests`) mails them; everything is queued in the caller's transaction, so an
alert exists exactly when what it tells of happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from ..errors import ValidationFailed
from ..extensions import db
from ..models import (
    ALERT_MODES,
    AlertMode,
    CoordinatorAlert,
    Group,
    Membership,
    Need,
    Person,
    Role,
    utcnow,
)
from . import accounts, mail


def set_mode(person: Person, group: Group, mode: str) -> Membership:
    """A coordinator's choice for one group."""
    accounts.require_coordinator(person, group)
    if mode not in ALERT_MODES:
        raise ValidationFailed.field("alert_mode", f"Choose one of: {', '.join(ALERT_MODES)}.")
    membership = db.session.scalar(
        sa.select(Membership).where(
            Membership.group_id == group.id, Membership.person_id == person.id
        )
    )
    if membership is None:  # an admin, who coordinates every group without a membership
        membership = accounts.set_role(person, group, Role.COORDINATOR)
    membership.alert_mode = mode
    db.session.flush()
    return membership


def mode_of(person: Person, group: Group) -> str:
    found = db.session.scalar(
        sa.select(Membership.alert_mode).where(
            Membership.group_id == group.id, Membership.person_id == person.id
        )
    )
    return found or AlertMode.IMMEDIATE


def alert(group: Group, subject: str, body: str, skip: Iterable[int] = ()) -> int:
    """Tell the group's coordinators (but those in ``skip``), each as they chose; how many."""
    skipped = set(skip)
    told = 0
    for person, mode in db.session.execute(
        sa.select(Person, Membership.alert_mode)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.group_id == group.id,
            Membership.role == Role.COORDINATOR,
            Person.is_active_account.is_(True),
        )
        .order_by(Person.id)
    ):
        if person.id in skipped or mode == AlertMode.OFF:
            continue
        if mode == AlertMode.DIGEST:
            db.session.add(
                CoordinatorAlert(
                    person_id=person.id, group_id=group.id, subject=subject[:200], body=body
                )
            )
        else:
            mail.queue_mail(person.email, subject, f"Hello {person.name},\n\n{body}")
        told += 1
    db.session.flush()
    return told


def urgent_need(need: Need) -> None:
    alert(
        need.group,
        f"Urgent need: {need.title}",
        f'A new urgent need was posted in {need.group.name}: "{need.title}" '
        f"({need.category_name}, {need.district}).\n{accounts.link(f'/needs/{need.id}')}\n",
        skip=[need.requester_id],
    )


def claim_waiting(need: Need, volunteer: Person) -> None:
    """A volunteer offered to help with a need; a coordinator decides. The volunteer's name is
    for the group's coordinators, who see it in the queue anyway; nothing of the resident's."""
    alert(
        need.group,
        f"A volunteer offered to help: {need.title}",
        f'{volunteer.name} offered to help with "{need.title}" ({need.category_name}, '
        f"{need.district}) in {need.group.name}. Approve or turn it down in the queue:\n"
        f"{accounts.link(f'/groups/{need.group.slug}/matches')}\n",
        skip=[volunteer.id],
    )


def run_failed(group: Group, run_id: int, error: str) -> None:
    alert(
        group,
        f"Matching failed: {group.name}",
        f"A matching run of {group.name} failed and changed nothing ({error[:300]}).\n"
        f"Start another from the queue: {accounts.link(f'/groups/{group.slug}/matches')}\n",
    )


def send_digests(now: datetime | None = None) -> int:
    """Mail each coordinator their waiting items in one email; how many emails."""
    now = now or utcnow()
    waiting = list(
        db.session.scalars(
            sa.select(CoordinatorAlert)
            .where(CoordinatorAlert.sent_dt.is_(None))
            .order_by(CoordinatorAlert.person_id, CoordinatorAlert.id)
            .with_for_update(skip_locked=True)
        )
    )
    by_person: dict[int, list[CoordinatorAlert]] = {}
    for item in waiting:
        by_person.setdefault(item.person_id, []).append(item)
    sent = 0
    for person_id, items in by_person.items():
        person = db.session.get(Person, person_id)
        if person is not None and person.is_active_account:
            parts = "\n\n".join(f"* {item.subject}\n{item.body}" for item in items)
            mail.queue_mail(
                person.email,
                f"Your daily digest: {len(items)} thing{'s' if len(items) != 1 else ''} to see",
                f"Hello {person.name},\n\nSince your last digest:\n\n{parts}\n"
                f"Choose how you hear from the groups you coordinate on each group's page.\n",
            )
            sent += 1
        for item in items:
            item.sent_dt = now
    db.session.flush()
    return sent

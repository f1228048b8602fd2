"""The emails a match's decisions send, queued in the outbox in the decision's transaction."""

from __future__ import annotations

from flask import current_app, has_app_context

from ..models import Match, MatchStatus, Need, Person
from . import coordinator_alerts, mail

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_time(need: Need) -> str:
    """'on Tuesday 1 December 2026, 09:00-11:00' or 'every Tuesday 07:30-09:00'."""
    windows = need.windows or []
    if need.on_date is not None:
        times = ", ".join(f"{w['start']}-{w['end']}" for w in windows)
        return f"on {need.on_date:%A} {need.on_date.day} {need.on_date:%B %Y}" + (
            f", {times}" if times else ""
        )
    return (
        "; ".join(f"every {_WEEKDAYS[int(w['weekday'])]} {w['start']}-{w['end']}" for w in windows)
        or "any time"
    )


def _link(path: str) -> str:
    base = current_app.config.get("BASE_URL", "") if has_app_context() else ""
    return f"{base.rstrip('/')}{path}"


def match_approved(match: Match) -> None:
    need, volunteer, resident = match.need, match.offer.volunteer, match.need.requester
    when = describe_time(need)
    mail.queue_mail(
        volunteer.email,
        f"You are matched: {need.title}",
        f"Hello {volunteer.name},\n\n"
        f"The coordinators of {need.group.name} have matched you with a request for help:\n\n"
        f"  {need.title} ({need.category_name})\n  When: {when}\n"
        f"  Where: {need.address or need.postcode}, {need.postcode}\n"
        f"  Resident: {resident.name}, phone {resident.phone or 'not given'}, email "
        f"{resident.email}\n\n"
        f"{need.description}\n\nPlease get in touch with {resident.name} to arrange the details.\n"
        f"Your matches: {_link('/matches/mine')}\n",
    )
    mail.queue_mail(
        resident.email,
        f"A volunteer is coming: {need.title}",
        f"Hello {resident.name},\n\n"
        f'{volunteer.name} will help with "{need.title}" {when}.\n'
        f"  Phone: {volunteer.phone or 'not given'}\n  Email: {volunteer.email}\n\n"
        f"They may get in touch with you first. Your request: {_link(f'/needs/{need.id}')}\n",
    )


def match_ended(match: Match, by: Person) -> None:
    """Tell the other side of an approved match that it is off."""
    need, volunteer, resident = match.need, match.offer.volunteer, match.need.requester
    word = "declined" if match.status == MatchStatus.DECLINED else "cancelled"
    why = f"\nReason: {match.reason}\n" if match.reason else ""
    for person in (volunteer, resident):
        if person.id == by.id:
            continue
        mail.queue_mail(
            person.email,
            f"Match {word}: {need.title}",
            f'Hello {person.name},\n\nThe match for "{need.title}" {describe_time(need)} '
            f"was {word} by {by.name}.{why}\nThe group's coordinators will look for someone "
            "else.\n",
        )
    # The coordinators approved it: they hear it is off, and why, to find someone else (each
    # as they chose: at once, in their daily digest, or not).
    coordinator_alerts.alert(
        need.group,
        f"Match {word}: {need.title}",
        f"{by.name} {word} the approved match of "
        f'{volunteer.name} with "{need.title}" {describe_time(need)}.{why}\n'
        f"The need is open again: {_link(f'/needs/{need.id}')}\n",
        skip={volunteer.id, resident.id, by.id},
    )

"""The emails a match's decisions send, queued in the outbox in the decision's transaction."""

from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context

from ..models import Match, MatchStatus, Need, Person
from . import accounts, coordinator_alerts, mail

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_time(need: Need) -> str:
    """'on Tuesday 1 December 2026, 09:00-11:00' or 'every Tuesday 07:30-09:00'."""
    windows = need.windows or []
    if need.on_date is not None:
        times = ", ".join(f"{w['start']}-{w['end']}" for w in windows)
        return f"on {need.on_date:%A} {need.on_date.day} {need.on_date:%B %Y}" + (
            f", {times}" if times else ""
        )
    weekly = (
        "; ".join(f"every {_WEEKDAYS[int(w['weekday'])]} {w['start']}-{w['end']}" for w in windows)
        or "any time"
    )
    if need.starts_on is not None and need.ends_on is not None:
        weekly += f", from {_day(need.starts_on)} to {_day(need.ends_on)}"
    return weekly


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


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


def claim_rejected(match: Match) -> None:
    """A volunteer who offered to help ("I can help with this") hears the coordinators chose
    otherwise. Not approved, so nothing about the resident; nor the coordinators' reason, an
    internal note (:func:`matches.can_see_reason`)."""
    need, volunteer = match.need, match.offer.volunteer
    mail.queue_mail(
        volunteer.email,
        f"Your offer to help was not taken up: {need.category_name} in {need.district}",
        f"Hello {volunteer.name},\n\nThank you for offering to help with a request for "
        f"{need.category_name} in {need.district} {describe_time(need)}. The coordinators of "
        f"{need.group.name} have chosen someone else, or another way to help.\n\n"
        f"Other requests you could help with: {_link('/needs/browse')}\n",
    )


def match_ended(match: Match, by: Person) -> None:
    """Tell the other side of an approved match, and the coordinators, that it is off.

    Weekly help that had begun was *stepped back from*: it ends on ``match.ended_on`` and the
    sessions so far stay.
    """
    need, volunteer, resident = match.need, match.offer.volunteer, match.need.requester
    word = "declined" if match.status == MatchStatus.DECLINED else "cancelled"
    why = f"\nReason: {match.reason}\n" if match.reason else ""
    stepped_back = match.ended_on is not None
    if stepped_back:
        assert match.ended_on is not None
        subject = f"Weekly help ended: {need.title}"
        what = (
            f'{by.name} stepped back from the weekly help with "{need.title}" '
            f"({describe_time(need)}): it is off from today, and the sessions so far are kept."
        )
    else:
        subject = f"Match {word}: {need.title}"
        what = f'The match for "{need.title}" {describe_time(need)} was {word} by {by.name}.'
    for person in (volunteer, resident):
        if person.id == by.id:
            continue
        mail.queue_mail(
            person.email,
            subject,
            f"Hello {person.name},\n\n{what}{why}\nThe group's coordinators will look for "
            "someone else.\n",
        )
    # The coordinators approved it: they hear it is off, and why, to find someone else (each
    # as they chose: at once, in their daily digest, or not).
    body = (
        f"{what} The volunteer was {volunteer.name}."
        if stepped_back
        else f"{by.name} {word} the approved match of {volunteer.name} with "
        f'"{need.title}" {describe_time(need)}.'
    )
    coordinator_alerts.alert(
        need.group,
        subject,
        f"{body}{why}\nThe need is open again: {_link(f'/needs/{need.id}')}\n",
        skip={volunteer.id, resident.id, by.id},
    )


def commitment_finished(match: Match) -> None:
    """Weekly help reached its last day: both sides hear it is over (no contact details)."""
    need, volunteer, resident = match.need, match.offer.volunteer, match.need.requester
    for person, other in ((volunteer, "the resident"), (resident, volunteer.name)):
        mail.queue_mail(
            person.email,
            f"Weekly help ended: {need.title}",
            f'Hello {person.name},\n\nThe weekly help with "{need.title}" '
            f"({describe_time(need)}) has reached its last day and is over. Thank you, from "
            f"{need.group.name}.\n\nTo go on with {other}, ask the group's coordinators to "
            f"extend it: {_link(f'/needs/{need.id}')}\n",
        )


def need_expired(need: Need, why: str, engine_reason: str | None) -> None:
    """The resident and the group's coordinators hear that a need expired, and why."""
    reason = f"\nWhat the last matching run found: {engine_reason}\n" if engine_reason else ""
    resident = need.requester
    mail.queue_mail(
        resident.email,
        f"Your request expired: {need.title}",
        f'Hello {resident.name},\n\nYour request "{need.title}" ({describe_time(need)}) has '
        f"expired. {why}\n{reason}\nYou can post it again, perhaps at other times or with "
        f"fewer skills asked for: {_link('/needs/new')}\n",
    )
    for coordinator in accounts.coordinators_of(need.group_id):
        if coordinator.id == resident.id:
            continue
        mail.queue_mail(
            coordinator.email,
            f"A need expired: {need.title}",
            f'Hello {coordinator.name},\n\nThe need "{need.title}" ({describe_time(need)}) '
            f"in {need.group.name} has expired. {why}\n{reason}\n"
            f"The need: {_link(f'/needs/{need.id}')}\n",
        )

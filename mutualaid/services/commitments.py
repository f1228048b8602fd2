"""Commitments over time: when a need happens, what a volunteer has agreed to, and whether one
more fits.

A need's time is a :class:`matching.schedule.Schedule`: a one-off is one window on its date; a
weekly need's windows happen on every matching weekday from ``starts_on`` to ``ends_on``. An
approved match is a commitment on its need's schedule, cut short at ``ended_on`` when a side
stepped back. Every clash decision here goes through :func:`matching.schedule.clash`.

A volunteer's limits are the person's, across every offer and group:

- ``paused_until``: nothing that happens on or before that day;
- ``week_limit_tasks``: at most that many *sessions* (a window on a day) in any week, Monday to
  Sunday (ISO weeks);
- ``week_limit_hours``: at most that many hours of sessions in any week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from matching.schedule import Clash, Schedule, clash

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Group, Match, MatchStatus, Need, Offer, Person
from .common import among

#: A weekly need lasts at most this many days (one year, both ends included).
MAX_WEEKLY_DAYS = 366
#: Hours a session may be reported beyond its length (travel, a chat at the door).
HOURS_MARGIN = 1.0
#: The default length of a weekly need, in weeks, when its group says nothing else.
DEFAULT_WEEKLY_WEEKS = 8
#: Bounds of a person's weekly limits.
MAX_WEEK_TASKS = 50
MAX_WEEK_HOURS = 100.0
_ALL_DAY = tuple((d, 0, 1440) for d in range(7))


# --- time -------------------------------------------------------------------------------------


def minutes(hhmm: str) -> int:
    """``"09:30"`` -> 570; ``"24:00"`` -> 1440."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def window_tuples(windows: Iterable[dict[str, Any]]) -> tuple[tuple[int, int, int], ...]:
    """Stored windows ``{"weekday", "start", "end"}`` as ``(weekday, start, end)`` minutes."""
    return tuple(
        (int(w["weekday"]), minutes(str(w["start"])), minutes(str(w["end"]))) for w in windows
    )


def need_schedule(need: Need) -> Schedule:
    """When the need happens."""
    if need.on_date is not None:
        return Schedule(need.on_date, need.on_date, window_tuples(need.windows or []))
    return Schedule(need.starts_on, need.ends_on, window_tuples(need.windows or []))


def last_day(match: Match) -> date | None:
    """The commitment's last day: its need's end, or the day a side stepped back."""
    need = match.need
    end = need.on_date if need.on_date is not None else need.ends_on
    if match.ended_on is not None and (end is None or match.ended_on < end):
        return match.ended_on
    return end


def commitment_schedule(match: Match) -> Schedule:
    """When the volunteer of this match is busy with it: a weekly one from the need's first day
    or the day it was agreed, whichever is later, to its last day."""
    need = match.need
    first = need.on_date if need.on_date is not None else need.starts_on
    if need.on_date is None and match.begins_on is not None:
        first = match.begins_on if first is None else max(first, match.begins_on)
    last = last_day(match)
    if first is not None and last is not None and last < first:
        return Schedule(first, first, ())  # ended before it began: it held no time
    return Schedule(first, last, window_tuples(need.windows or []))


def session_days(schedule: Schedule, lo: date, hi: date) -> list[date]:
    """The days in ``[lo, hi]`` (and the schedule's range) on which it has a window."""
    first = max(d for d in (schedule.first, lo) if d is not None)
    last = min(d for d in (schedule.last, hi) if d is not None)
    weekdays = {w for w, _, _ in schedule.windows}
    out, day = [], first
    while day <= last:
        if day.weekday() in weekdays:
            out.append(day)
        day += timedelta(days=1)
    return out


def day_minutes(schedule: Schedule, day: date) -> int:
    """The minutes of the schedule's windows on ``day``."""
    if (schedule.first and day < schedule.first) or (schedule.last and day > schedule.last):
        return 0
    return sum(e - s for w, s, e in schedule.windows if w == day.weekday())


def week_load(schedule: Schedule, monday: date) -> tuple[int, int]:
    """Sessions and minutes of ``schedule`` in the week starting ``monday``."""
    tasks = total = 0
    for w, s, e in schedule.windows:
        day = monday + timedelta(days=w)
        if (schedule.first and day < schedule.first) or (schedule.last and day > schedule.last):
            continue
        tasks += 1
        total += e - s
    return tasks, total


def long_date(day: date) -> str:
    """'Saturday 5 December' (the year only when it is not this one)."""
    text = f"{day:%A} {day.day} {day:%B}"
    return text if day.year == date.today().year else f"{text} {day.year}"


# --- a weekly need's dates --------------------------------------------------------------------


def weekly_weeks(group: Group | None) -> int:
    return (group.weekly_weeks if group is not None else None) or DEFAULT_WEEKLY_WEEKS


def weekly_dates(
    group: Group | None,
    starts_on: date | None,
    ends_on: date | None,
    today: date,
    *,
    field: str = "when.",
    check_start: bool = True,
) -> tuple[date, date]:
    """A weekly need's first and last day: from today and for the group's default length unless
    given; :class:`ValidationFailed` naming every bad field (``when.from``, ``when.until``, or
    with ``field=""`` just ``from``, ``until``)."""
    first = starts_on or today
    last = ends_on or first + timedelta(days=7 * weekly_weeks(group) - 1)
    errors: dict[str, list[str]] = {}
    if check_start and starts_on is not None and starts_on < today:
        errors[f"{field}from"] = ["The start is in the past."]
    if ends_on is not None and ends_on < first:
        errors[f"{field}until"] = ["The end is before the start."]
    elif (last - first).days + 1 > MAX_WEEKLY_DAYS:
        errors[f"{field}until"] = [
            f"A weekly need lasts at most one year: end it by {first + timedelta(days=365)}."
        ]
    elif ends_on is not None and ends_on < today:
        errors[f"{field}until"] = ["The end is in the past."]
    if errors:
        raise ValidationFailed("The dates of the weekly need are not valid.", errors)
    return first, last


# --- a volunteer's commitments ----------------------------------------------------------------


#: Matches that hold (or held) the volunteer's time: agreed, done, or stepped back from after
#: they began (until ``ended_on``).
_HOLDS_TIME = sa.or_(
    Match.status.in_((MatchStatus.APPROVED, MatchStatus.COMPLETED)),
    Match.ended_on.is_not(None),
)


def approved_commitments(
    person_id: int, since: date, exclude: Iterable[int] = ()
) -> list[tuple[Match, Schedule]]:
    """The person's commitments, in any group and through any offer, that hold time on or after
    ``since``: agreed ones, and those done or stepped back from (they count in their week)."""
    skip = set(exclude)
    found = db.session.scalars(
        sa.select(Match)
        .join(Offer, Offer.id == Match.offer_id)
        .where(Offer.volunteer_id == person_id, _HOLDS_TIME)
        .options(joinedload(Match.need))
        .order_by(Match.id)
    ).unique()
    out = []
    for match in found:
        if match.id in skip:
            continue
        schedule = commitment_schedule(match)
        if schedule.last is None or schedule.last >= since:
            out.append((match, schedule))
    return out


def busy_records(
    people: Iterable[int] | sa.Select[int], today: date
) -> dict[int, list[dict[str, Any]]]:
    """Each person's commitments as the engine reads them (``{"ref", "first", "last",
    "windows"}``): the agreed ones that are not over, and, for this week's limit, those done or
    stepped back from since this week's Monday (their dates are past, so they clash with
    nothing to come; they count in the week, as the approval counts them).

    ``people``: their ids, or a query of their ids (a group's thousands of volunteers are then
    no list of thousands of parameters, and the database starts from their offers)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if isinstance(people, sa.Select):
        among_people = Offer.volunteer_id.in_(people)
    else:
        wanted = sorted(set(people))
        if not wanted:
            return out
        among_people = among(Offer.volunteer_id, wanted)
    monday = today - timedelta(days=today.weekday())
    rows = db.session.execute(
        sa.select(Match, Offer.volunteer_id)
        .join(Offer, Offer.id == Match.offer_id)
        # (a proposal holds no time: said outright, the index on offer and status passes over
        # a group's thousands of proposals without reading them)
        .where(among_people, _HOLDS_TIME, Match.status != MatchStatus.PROPOSED)
        .options(joinedload(Match.need))
        .order_by(Match.id)
    ).unique()
    for match, person in rows:
        schedule = commitment_schedule(match)
        since = today if match.status == MatchStatus.APPROVED else monday
        if not schedule.windows or (schedule.last is not None and schedule.last < since):
            continue
        out[person].append(
            {
                "ref": f"m{match.id}",
                "first": schedule.first.isoformat() if schedule.first else None,
                "last": schedule.last.isoformat() if schedule.last else None,
                "windows": [
                    {"weekday": w, "start": hhmm(s), "end": hhmm(e)} for w, s, e in schedule.windows
                ],
            }
        )
    return out


def week_limit(person: Person) -> dict[str, float] | None:
    """The person's limit as the engine reads it: ``{"tasks": N}`` or ``{"hours": H}``."""
    if person.week_limit_tasks is not None:
        return {"tasks": person.week_limit_tasks}
    if person.week_limit_hours is not None:
        return {"hours": person.week_limit_hours}
    return None


def is_paused(person: Person, today: date) -> bool:
    return person.paused_until is not None and person.paused_until >= today


@dataclass(frozen=True)
class Refusal:
    """Why one more commitment does not fit a volunteer."""

    message: str
    match_id: int | None = None


def _clash_text(name: str, found: Clash, other: Schedule) -> str:
    start, end = found.start, found.end
    for w, s, e in other.windows:  # the other commitment's own window, as they agreed to it
        if w == found.weekday and s < found.end and found.start < e:
            start, end = s, e
            break
    day = long_date(found.day) if found.day else f"every {_weekday(found.weekday)}"
    return f"{name} is already helping on {day}, {hhmm(start)}-{hhmm(end)}."


def _weekday(index: int) -> str:
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[index]


def why_not_fit(
    person: Person, schedule: Schedule, today: date, exclude: Sequence[int] = ()
) -> Refusal | None:
    """Why ``person`` cannot take one more commitment on ``schedule`` now, or ``None``.

    Checks, from today on: the pause; a clash with any commitment in any group (agreed, or
    done today); and the weekly limit in every week the new commitment has a session, counting
    what was already given that week.
    """
    name = person.name
    if schedule.last is not None and schedule.last < today:
        return None  # all in the past: nothing left to clash
    if schedule.first is None or schedule.first < today:  # what is past is past
        schedule = Schedule(today, schedule.last, schedule.windows)
    if is_paused(person, today):
        assert person.paused_until is not None
        pause = Schedule(today, person.paused_until, _ALL_DAY)
        if clash(schedule, pause) is not None:
            return Refusal(f"{name} is away until {long_date(person.paused_until)}.")
    # From this week's Monday: help already given this week counts towards the weekly limit.
    commitments = approved_commitments(person.id, today - timedelta(days=today.weekday()), exclude)
    best: tuple[Clash, Match, Schedule] | None = None
    for match, other in commitments:
        found = clash(schedule, other)
        if found is not None and (
            best is None
            or (found.day or date.min, found.start) < (best[0].day or date.min, best[0].start)
        ):
            best = (found, match, other)
    if best is not None:
        return Refusal(_clash_text(name, best[0], best[2]), best[1].id)
    limit = week_limit(person)
    if limit is None:
        return None
    start = max(d for d in (schedule.first, today) if d is not None)
    end = schedule.last if schedule.last is not None else start + timedelta(days=MAX_WEEKLY_DAYS)
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        tasks, mins = week_load(schedule, monday)
        if tasks:
            for _, other in commitments:
                t, m = week_load(other, monday)
                tasks, mins = tasks + t, mins + m
            if "tasks" in limit and tasks > limit["tasks"]:
                n = int(limit["tasks"])
                return Refusal(
                    f"{name} helps at most {n} time{'s' if n != 1 else ''} a week; the week of "
                    f"{long_date(monday)} would have {tasks}."
                )
            if "hours" in limit and mins > limit["hours"] * 60 + 1e-9:
                return Refusal(
                    f"{name} helps at most {limit['hours']:g} hours a week; the week of "
                    f"{long_date(monday)} would have {mins / 60:g}."
                )
        monday += timedelta(days=7)
    return None


def require_fit(person: Person, need: Need, today: date, exclude: Sequence[int] = ()) -> None:
    """:class:`Conflict` (409) naming the clash, the pause or the limit, unless it fits."""
    refusal = why_not_fit(person, need_schedule(need), today, exclude)
    if refusal is not None:
        raise Conflict(refusal.message)


# --- a volunteer's settings -------------------------------------------------------------------


def set_limits(person: Person, data: dict[str, Any], today: date) -> Person:
    """Set (or clear, with ``None``) the person's pause and weekly limit.

    ``data`` may hold ``paused_until`` (a date from today on, or ``None``) and ``week_limit``
    (``{"tasks": N}``, ``{"hours": H}`` or ``None``). Every bad field is named at once, and
    nothing changes unless every field is good.
    """
    errors: dict[str, list[str]] = {}
    pause = data.get("paused_until", person.paused_until)
    if "paused_until" in data and pause is not None and pause < today:
        errors["paused_until"] = ["The pause must end today or later."]
    tasks, hours = person.week_limit_tasks, person.week_limit_hours
    if "week_limit" in data:
        limit = data["week_limit"] or {}
        tasks, hours = limit.get("tasks"), limit.get("hours")
        if tasks is not None and hours is not None:
            errors["week_limit"] = ["Give a limit of tasks or of hours, not both."]
        if tasks is not None and not (1 <= tasks <= MAX_WEEK_TASKS):
            errors["week_limit.tasks"] = [f"Give from 1 to {MAX_WEEK_TASKS} tasks a week."]
        if hours is not None and not (1 <= hours <= MAX_WEEK_HOURS):
            errors["week_limit.hours"] = [f"Give from 1 to {MAX_WEEK_HOURS:g} hours a week."]
    if errors:
        raise ValidationFailed("The availability settings are not valid.", errors)
    person.paused_until = pause
    person.week_limit_tasks = tasks
    person.week_limit_hours = float(hours) if hours is not None else None
    db.session.flush()
    return person


def limits_view(person: Person, today: date) -> dict[str, Any]:
    return {
        "paused_until": person.paused_until if is_paused(person, today) else None,
        "week_limit": week_limit(person),
    }

"""Dated schedules: when a need or a commitment happens, and whether two clash.

A :class:`Schedule` is a set of weekly windows that happen on every day of
their weekday from ``first`` to ``last`` (both included; ``None`` leaves that
end open). A one-off is a schedule whose ``first`` and ``last`` are the same
day, with one window on that day's weekday.

Two schedules *clash* when a window of one and a window of the other intersect
on a day both cover. Windows that only touch (one ends at 12:00, the other
starts at 12:00) do not clash.

>>> from datetime import date
>>> sat = Schedule.once(date(2026, 12, 5), 600, 720)        # Sat 10:00-12:00
>>> weekly = Schedule(date(2026, 11, 30), date(2027, 1, 24), ((5, 660, 780),))
>>> clash(sat, weekly)
Clash(day=datetime.date(2026, 12, 5), weekday=5, start=660, end=720)
>>> clash(sat, Schedule.once(date(2026, 12, 5), 720, 780)) is None   # only touches
True
>>> clash(sat, Schedule(date(2026, 12, 6), None, ((5, 600, 720),))) is None
True

A weekly limit counts, in an ISO week (Monday to Sunday), the commitments
with an occurrence in it, or the minutes of their occurrences:

>>> week_overflow(sat, [weekly], tasks=1)
datetime.date(2026, 11, 30)
>>> week_overflow(sat, [weekly], hours=4) is None
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Clash", "Schedule", "clash", "first_clash", "week_overflow"]


@dataclass(frozen=True)
class Schedule:
    """Weekly windows ``(weekday, start, end)`` from ``first`` to ``last``.

    ``weekday`` is 0 for Monday; ``start`` and ``end`` are minutes since
    midnight with ``start < end``. ``first`` or ``last`` may be ``None`` for
    a schedule with no beginning or no end.
    """

    first: date | None
    last: date | None
    windows: tuple[tuple[int, int, int], ...]

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None and self.last < self.first:
            raise ValueError("a schedule cannot end before it starts")
        for weekday, start, end in self.windows:
            if not (0 <= weekday <= 6 and 0 <= start < end <= 1440):
                raise ValueError(f"bad window {(weekday, start, end)!r}")

    @classmethod
    def once(cls, day: date, start: int, end: int) -> Schedule:
        """One window on one day."""
        return cls(day, day, ((day.weekday(), start, end),))

    def days(self, weekday: int, lo: date | None = None) -> date | None:
        """The first day at or after ``lo`` (and ``first``) that is a ``weekday``.

        ``None`` when the schedule covers no such day (or, with no ``first``
        and no ``lo``, when there is no first one).
        """
        start = max((d for d in (self.first, lo) if d is not None), default=None)
        if start is None:
            return None
        day = start + timedelta(days=(weekday - start.weekday()) % 7)
        return day if self.last is None or day <= self.last else None


@dataclass(frozen=True)
class Clash:
    """Where two schedules first meet: the day (``None`` if they have no
    beginning), its weekday, and the minutes both windows share."""

    day: date | None
    weekday: int
    start: int
    end: int


def clash(a: Schedule, b: Schedule) -> Clash | None:
    """The first clash of ``a`` and ``b``, or ``None`` if they never clash."""
    lo = max((d for d in (a.first, b.first) if d is not None), default=None)
    hi = min((d for d in (a.last, b.last) if d is not None), default=None)
    if lo is not None and hi is not None and hi < lo:
        return None
    best: Clash | None = None
    for wa, sa, ea in a.windows:
        for wb, sb, eb in b.windows:
            if wa != wb or not (sa < eb and sb < ea):
                continue
            if lo is None:
                day = None  # both open at the start: every earlier week clashes
            else:
                day = lo + timedelta(days=(wa - lo.weekday()) % 7)
                if hi is not None and day > hi:
                    continue
            found = Clash(day, wa, max(sa, sb), min(ea, eb))
            if best is None or _earlier(found, best):
                best = found
    return best


def first_clash(a: Schedule, others: Iterable[Schedule]) -> tuple[int, Clash] | None:
    """The index in ``others`` and the clash of the earliest one ``a`` clashes with."""
    best: tuple[int, Clash] | None = None
    for i, other in enumerate(others):
        found = clash(a, other)
        if found is not None and (best is None or _earlier(found, best[1])):
            best = (i, found)
    return best


def _earlier(x: Clash, y: Clash) -> bool:
    kx = (x.day is not None, x.day or date.min, x.start)
    ky = (y.day is not None, y.day or date.min, y.start)
    return kx < ky


def _week_load(s: Schedule, monday: date) -> tuple[bool, int]:
    """Whether ``s`` happens in the week from ``monday``, and its minutes there."""
    hit, minutes = False, 0
    for weekday, start, end in s.windows:
        day = monday + timedelta(days=weekday)
        if (s.first is None or s.first <= day) and (s.last is None or day <= s.last):
            hit, minutes = True, minutes + end - start
    return hit, minutes


def week_overflow(
    new: Schedule | Iterable[Schedule],
    existing: Iterable[Schedule],
    tasks: int | None = None,
    hours: float | None = None,
) -> date | None:
    """The Monday of the first week in which ``new`` happens and the schedules go over
    a weekly limit, or ``None``.

    ``new`` is one schedule or several (needs proposed together), ``existing``
    the person's commitments; ``tasks`` caps the schedules with an occurrence
    in one ISO week, ``hours`` the hours of their occurrences in it. The load
    only changes in the weeks holding a first or last day, so those, the week
    after each and the week before the earliest are the weeks checked.
    """
    fresh = [new] if isinstance(new, Schedule) else list(new)
    old = list(existing)
    if tasks is None and hours is None:
        return None
    ends = [d for s in fresh + old for d in (s.first, s.last) if d is not None]
    mondays = {d - timedelta(days=d.weekday()) for d in ends}
    weeks = sorted(mondays | {w + timedelta(days=7) for w in mondays})
    if weeks:
        weeks.insert(0, weeks[0] - timedelta(days=7))
    else:
        weeks = [date(2001, 1, 1)]  # no dated end: every week is alike
    limit_minutes = None if hours is None else int(hours * 60 + 1e-9)
    for monday in weeks:
        loads = [_week_load(s, monday) for s in fresh]
        if not any(hit for hit, _ in loads):
            continue
        loads += [_week_load(s, monday) for s in old]
        count = sum(hit for hit, _ in loads)
        minutes = sum(m for _, m in loads)
        if (tasks is not None and count > tasks) or (
            limit_minutes is not None and minutes > limit_minutes
        ):
            return monday
    return None

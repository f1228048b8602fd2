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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Clash", "Schedule", "clash", "first_clash"]


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

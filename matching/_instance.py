"""Validation of the JSON-shaped instance and its array form.

The instance format is fixed (see :func:`parse_instance`); every problem is
reported as an :class:`InstanceError` whose message is one line naming the
record and the field, so the command line can print it as is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, repeat
from operator import itemgetter, methodcaller
from typing import Any

import numpy as np

__all__ = [
    "MINUTES_PER_DAY",
    "NO_PAUSE",
    "OPEN_FIRST",
    "OPEN_LAST",
    "WEEKDAYS",
    "Instance",
    "InstanceError",
    "TimeFacts",
    "parse_instance",
]

MINUTES_PER_DAY = 1440
WEEK_MINUTES = 7 * MINUTES_PER_DAY
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# days are proleptic Gregorian ordinals (``date.toordinal()``, 1 = Monday 0001-01-01)
OPEN_FIRST = 0  # a schedule with no first day: before every real day
OPEN_LAST = date.max.toordinal() + 7  # a schedule with no last day: after every real day
NO_PAUSE = -1


class InstanceError(ValueError):
    """An instance that does not follow the format.

    The message is one line naming the record and the field, for example
    ``volunteers[3] (id 'v9'): capacity must be at least 1``.
    """


@dataclass(frozen=True, eq=False)
class TimeFacts:
    """Dates of the needs and the people's commitments, pauses and weekly limits.

    Days are ordinals (``date.toordinal()``); an open first day is
    ``OPEN_FIRST``, an open last day ``OPEN_LAST``. Weekly windows are in
    week minutes, like the needs' windows.

    Attributes
    ----------
    need_first, need_last : ndarray of int64
        Per need: the days its weekly windows happen from and to, inclusive.
    busy_ref : tuple of str
        Per busy commitment: its reference, unique per person.
    busy_volunteer, busy_first, busy_last : ndarray of int64
        Per busy commitment: the volunteer record that brought it (it binds the
        record's person), its first and last day.
    busy_window_owner, busy_window_start, busy_window_end : ndarray of int64
        The commitments' windows, sorted by commitment.
    week_tasks : ndarray of int64
        Per volunteer record: most commitments in one ISO week, 0 for no limit.
    week_hours : ndarray of float64
        Per volunteer record: most hours in one ISO week, ``inf`` for no limit.
    paused_until : ndarray of int64
        Per volunteer record: the last day of a pause, ``NO_PAUSE`` for none.
    """

    need_first: np.ndarray
    need_last: np.ndarray
    busy_ref: tuple[str, ...]
    busy_volunteer: np.ndarray
    busy_first: np.ndarray
    busy_last: np.ndarray
    busy_window_owner: np.ndarray
    busy_window_start: np.ndarray
    busy_window_end: np.ndarray
    week_tasks: np.ndarray
    week_hours: np.ndarray
    paused_until: np.ndarray

    @classmethod
    def empty(cls, n_needs: int, n_volunteers: int) -> TimeFacts:
        """Open-ended needs, no commitments, no pauses, no limits."""
        z = np.zeros(0, dtype=np.int64)
        return cls(
            need_first=np.full(n_needs, OPEN_FIRST, dtype=np.int64),
            need_last=np.full(n_needs, OPEN_LAST, dtype=np.int64),
            busy_ref=(),
            busy_volunteer=z,
            busy_first=z,
            busy_last=z,
            busy_window_owner=z,
            busy_window_start=z,
            busy_window_end=z,
            week_tasks=np.zeros(n_volunteers, dtype=np.int64),
            week_hours=np.full(n_volunteers, np.inf),
            paused_until=np.full(n_volunteers, NO_PAUSE, dtype=np.int64),
        )

    def check(self, n_needs: int, n_volunteers: int) -> None:
        """Array invariants (shapes and ranges).

        Raises
        ------
        ValueError
            If a shape disagrees or a value is out of range.
        """
        for name, size in (
            ("need_first", n_needs),
            ("need_last", n_needs),
            ("week_tasks", n_volunteers),
            ("week_hours", n_volunteers),
            ("paused_until", n_volunteers),
            ("busy_volunteer", len(self.busy_ref)),
            ("busy_first", len(self.busy_ref)),
            ("busy_last", len(self.busy_ref)),
        ):
            if getattr(self, name).shape != (size,):
                raise ValueError(f"{name} must have shape ({size},)")
        if np.any(self.need_last < self.need_first) or np.any(self.busy_last < self.busy_first):
            raise ValueError("a schedule cannot end before it starts")
        if np.any(self.week_tasks < 0) or np.any(self.week_hours <= 0):
            raise ValueError("week_tasks must be at least 0 and week_hours above 0")
        b = self.busy_volunteer
        if b.size and (b.min() < 0 or b.max() >= n_volunteers):
            raise ValueError("busy_volunteer index out of range")
        o, s, e = self.busy_window_owner, self.busy_window_start, self.busy_window_end
        if not (o.shape == s.shape == e.shape):
            raise ValueError("busy windows must have matching shapes")
        if o.size:
            if o.min() < 0 or o.max() >= len(self.busy_ref) or np.any(np.diff(o) < 0):
                raise ValueError("busy_window_owner must be sorted commitment indices")
            if np.any(e <= s) or s.min() < 0 or e.max() > WEEK_MINUTES:
                raise ValueError(f"busy windows must satisfy 0 <= start < end <= {WEEK_MINUTES}")
            if np.any(s // MINUTES_PER_DAY != (e - 1) // MINUTES_PER_DAY):
                raise ValueError("busy windows must lie within one day")


@dataclass(frozen=True, eq=False)
class Instance:
    """A validated matching instance held as numpy arrays.

    Needs are indexed ``0 .. n_needs - 1`` and volunteers ``0 .. n_volunteers - 1``
    in input order. Weekly times are minutes since Monday 00:00. Windows and
    availability blocks are flat arrays sorted by their owner's index.

    Attributes
    ----------
    need_ids, volunteer_ids : tuple of str
    need_lat, need_lon, volunteer_lat, volunteer_lon : ndarray of float64
        Degrees.
    need_skills, volunteer_skills : tuple of tuple of str
        As given (deduplicated, order kept).
    volunteers_needed : ndarray of int64
    urgency, waiting_hours : ndarray of float64
    remote_ok : ndarray of bool
    max_km : ndarray of float64
    capacity, load : ndarray of int64
    window_need, window_start, window_end : ndarray of int64
        Need windows, ``[start, end)`` in week minutes.
    avail_volunteer, avail_start, avail_end : ndarray of int64
        Availability blocks, ``[start, end)`` in week minutes.
    exclude_need, exclude_volunteer : ndarray of int64
        Excluded pairs by index.
    volunteer_person : ndarray of int64
        The person of every volunteer record, numbered ``0, 1, ...``; records
        of one person share a number. No need gets two records of one person.
    times : TimeFacts or None
        Dated needs, busy commitments, pauses and weekly limits (see
        :mod:`matching._time`); None when the instance gives none of them.
    """

    need_ids: tuple[str, ...]
    need_lat: np.ndarray
    need_lon: np.ndarray
    need_skills: tuple[tuple[str, ...], ...]
    volunteers_needed: np.ndarray
    urgency: np.ndarray
    remote_ok: np.ndarray
    waiting_hours: np.ndarray
    window_need: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray
    volunteer_ids: tuple[str, ...]
    volunteer_lat: np.ndarray
    volunteer_lon: np.ndarray
    volunteer_skills: tuple[tuple[str, ...], ...]
    max_km: np.ndarray
    capacity: np.ndarray
    load: np.ndarray
    avail_volunteer: np.ndarray
    avail_start: np.ndarray
    avail_end: np.ndarray
    exclude_need: np.ndarray
    exclude_volunteer: np.ndarray
    volunteer_person: np.ndarray
    times: TimeFacts | None = None
    _cache: dict[str, Any] = field(default_factory=dict[str, Any], repr=False, compare=False)

    @property
    def n_needs(self) -> int:
        return len(self.need_ids)

    @property
    def n_volunteers(self) -> int:
        return len(self.volunteer_ids)

    @classmethod
    def from_arrays(
        cls,
        *,
        need_ids: Sequence[str],
        need_lat: Any,
        need_lon: Any,
        need_skills: Sequence[Sequence[str]],
        volunteers_needed: Any,
        urgency: Any,
        remote_ok: Any,
        window_need: Any,
        window_start: Any,
        window_end: Any,
        volunteer_ids: Sequence[str],
        volunteer_lat: Any,
        volunteer_lon: Any,
        volunteer_skills: Sequence[Sequence[str]],
        max_km: Any,
        capacity: Any,
        avail_volunteer: Any,
        avail_start: Any,
        avail_end: Any,
        waiting_hours: Any = None,
        load: Any = None,
        exclude_need: Any = (),
        exclude_volunteer: Any = (),
        volunteer_person: Any = None,
        times: TimeFacts | None = None,
    ) -> Instance:
        """Build an instance from arrays, checking array invariants only.

        Meant for callers that already hold validated data (the database,
        the benchmarks); per-record messages come from :func:`parse_instance`.
        ``volunteer_person`` gives each volunteer record's person as an integer
        (default: each record its own person); equal integers are one person.
        ``times`` holds dates, busy commitments, pauses and weekly limits.

        Raises
        ------
        ValueError
            If shapes disagree or a value is out of range.
        """
        n = len(need_ids)
        m = len(volunteer_ids)

        def arr(x: Any, dtype: Any, size: int, name: str) -> np.ndarray:
            a = np.ascontiguousarray(np.asarray(x, dtype=dtype))
            if a.shape != (size,):
                raise ValueError(f"{name} must have shape ({size},), got {a.shape}")
            return a

        wn = arr(window_need, np.int64, len(np.asarray(window_need)), "window_need")
        ws = arr(window_start, np.int64, len(wn), "window_start")
        we = arr(window_end, np.int64, len(wn), "window_end")
        av = arr(avail_volunteer, np.int64, len(np.asarray(avail_volunteer)), "avail_volunteer")
        ast = arr(avail_start, np.int64, len(av), "avail_start")
        aen = arr(avail_end, np.int64, len(av), "avail_end")
        order = np.argsort(wn, kind="stable")
        wn, ws, we = wn[order], ws[order], we[order]
        order = np.argsort(av, kind="stable")
        av, ast, aen = av[order], ast[order], aen[order]
        inst = cls(
            need_ids=tuple(need_ids),
            need_lat=arr(need_lat, np.float64, n, "need_lat"),
            need_lon=arr(need_lon, np.float64, n, "need_lon"),
            need_skills=tuple(tuple(dict.fromkeys(s)) for s in need_skills),
            volunteers_needed=arr(volunteers_needed, np.int64, n, "volunteers_needed"),
            urgency=arr(urgency, np.float64, n, "urgency"),
            remote_ok=arr(remote_ok, bool, n, "remote_ok"),
            waiting_hours=arr(
                np.zeros(n) if waiting_hours is None else waiting_hours,
                np.float64,
                n,
                "waiting_hours",
            ),
            window_need=wn,
            window_start=ws,
            window_end=we,
            volunteer_ids=tuple(volunteer_ids),
            volunteer_lat=arr(volunteer_lat, np.float64, m, "volunteer_lat"),
            volunteer_lon=arr(volunteer_lon, np.float64, m, "volunteer_lon"),
            volunteer_skills=tuple(tuple(dict.fromkeys(s)) for s in volunteer_skills),
            max_km=arr(max_km, np.float64, m, "max_km"),
            capacity=arr(capacity, np.int64, m, "capacity"),
            load=arr(np.zeros(m, np.int64) if load is None else load, np.int64, m, "load"),
            avail_volunteer=av,
            avail_start=ast,
            avail_end=aen,
            exclude_need=np.asarray(exclude_need, dtype=np.int64).reshape(-1),
            exclude_volunteer=np.asarray(exclude_volunteer, dtype=np.int64).reshape(-1),
            volunteer_person=_people(
                np.arange(m)
                if volunteer_person is None
                else arr(volunteer_person, np.int64, m, "volunteer_person")
            ),
            times=times,
        )
        inst._check_arrays()
        return inst

    def _check_arrays(self) -> None:
        n, m = self.n_needs, self.n_volunteers
        if len(self.need_skills) != n or len(self.volunteer_skills) != m:
            raise ValueError("need_skills / volunteer_skills must have one entry per record")
        checks = [
            ("need_lat", self.need_lat, -90, 90),
            ("need_lon", self.need_lon, -180, 180),
            ("volunteer_lat", self.volunteer_lat, -90, 90),
            ("volunteer_lon", self.volunteer_lon, -180, 180),
            ("urgency", self.urgency, 0, 1),
            ("waiting_hours", self.waiting_hours, 0, np.inf),
            ("max_km", self.max_km, 0, np.inf),
        ]
        for name, a, lo, hi in checks:
            if a.size and not (np.all(a >= lo) and np.all(a <= hi)):
                raise ValueError(f"{name} must lie in [{lo}, {hi}]")
        if n and self.volunteers_needed.min() < 1:
            raise ValueError("volunteers_needed must be at least 1")
        if m and self.capacity.min() < 1:
            raise ValueError("capacity must be at least 1")
        if m and self.load.min() < 0:
            raise ValueError("load must not be negative")
        for owner, start, end, size, name in (
            (self.window_need, self.window_start, self.window_end, n, "window"),
            (self.avail_volunteer, self.avail_start, self.avail_end, m, "avail"),
        ):
            if owner.size:
                if owner.min() < 0 or owner.max() >= size:
                    raise ValueError(f"{name} owner index out of range")
                if np.any(end <= start) or start.min() < 0 or end.max() > WEEK_MINUTES:
                    raise ValueError(
                        f"{name} times must satisfy 0 <= start < end <= {WEEK_MINUTES}"
                    )
                if np.any(start // MINUTES_PER_DAY != (end - 1) // MINUTES_PER_DAY):
                    raise ValueError(f"{name} must lie within one day")
        if n and np.any(np.bincount(self.window_need, minlength=n) == 0):
            raise ValueError("every need must have at least one window")
        if self.volunteer_person.shape != (m,):
            raise ValueError(f"volunteer_person must have shape ({m},)")
        if self.exclude_need.shape != self.exclude_volunteer.shape:
            raise ValueError("exclude_need and exclude_volunteer must have the same shape")
        if self.exclude_need.size and (
            self.exclude_need.min() < 0
            or self.exclude_need.max() >= n
            or self.exclude_volunteer.min() < 0
            or self.exclude_volunteer.max() >= m
        ):
            raise ValueError("exclusion index out of range")
        if self.times is not None:
            self.times.check(n, m)


# --------------------------------------------------------------------------
# parse_instance: per-record validation with one-line messages
# --------------------------------------------------------------------------


def _people(person: np.ndarray) -> np.ndarray:
    """Person numbers ``0, 1, ...`` in order of first appearance."""
    _, first, inv = np.unique(person, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inv.reshape(-1)]


class _Where:
    """Where a record or field is, for a message: ``needs[3] (id 'n9')``, then the field's
    path. Put into words only when a message needs it (most records have none)."""

    __slots__ = ("i", "kind", "path", "rec")

    def __init__(self, kind: str, i: int, rec: Any, path: str = "") -> None:
        self.kind, self.i, self.rec, self.path = kind, i, rec, path

    def __str__(self) -> str:
        rec = self.rec
        if isinstance(rec, Mapping) and isinstance(rec.get("id"), str):
            return f"{self.kind}[{self.i}] (id {rec['id']!r}){self.path}"
        return f"{self.kind}[{self.i}]{self.path}"

    def __add__(self, path: str) -> _Where:
        """The same record, further down: ``where + ": first"``."""
        return _Where(self.kind, self.i, self.rec, self.path + path)


#: A place for a message: words, or a record's place put into words when needed.
_At = str | _Where


def _where(kind: str, i: int, rec: Any) -> _Where:
    return _Where(kind, i, rec)


#: A field that is not there (``None`` may be a value).
_ABSENT: Any = object()


def _get(rec: Mapping[str, Any], key: str, where: _At) -> Any:
    if key not in rec:
        raise InstanceError(f"{where}: missing field {key!r}")
    return rec[key]


def _number(
    rec: Mapping[str, Any],
    key: str,
    where: _At,
    lo: float,
    hi: float,
    default: Any = ...,
    what: str | None = None,
) -> float:
    v = rec.get(key, _ABSENT)
    t = type(v)
    if (t is float or t is int) and lo <= v <= hi and v != math.inf:
        return float(v)  # the usual case
    if default is not ... and key not in rec:
        return float(default)
    v = _get(rec, key, where)
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not math.isfinite(v)
        or not (lo <= v <= hi)
    ):
        raise InstanceError(
            f"{where}: {key} must be {what or f'a number between {lo:g} and {hi:g}'}"
        )
    return float(v)


def _integer(rec: Mapping[str, Any], key: str, where: _At, lo: int, default: Any = ...) -> int:
    v = rec.get(key, _ABSENT)
    if type(v) is int and v >= lo:
        return v  # the usual case
    if default is not ... and key not in rec:
        return int(default)
    v = _get(rec, key, where)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise InstanceError(f"{where}: {key} must be an integer")
    if v < lo:
        raise InstanceError(f"{where}: {key} must be at least {lo}")
    return v


def _skills(rec: Mapping[str, Any], where: _At) -> tuple[str, ...]:
    v = _get(rec, "skills", where)
    if not isinstance(v, list) or not all(isinstance(s, str) and s for s in v):
        raise InstanceError(f"{where}: skills must be a list of non-empty strings")
    return tuple(dict.fromkeys(v))


#: Every valid "HH:MM" and its minute of the day: a time is looked up, not parsed.
_MINUTES = {f"{m // 60:02d}:{m % 60:02d}": m for m in range(MINUTES_PER_DAY + 1)}


def _time(v: Any, where: _At) -> int:
    minute = _MINUTES.get(v) if isinstance(v, str) else None
    if minute is None:
        raise InstanceError(f'{where} must be a time "HH:MM" (00:00 to 24:00)')
    return minute


def _windows(
    rec: Mapping[str, Any],
    key: str,
    where: _At,
    allow_empty: bool,
    owner: int,
    out: list[tuple[int, int, int]],
) -> None:
    v = _get(rec, key, where)
    if not isinstance(v, list):
        raise InstanceError(f"{where}: {key} must be a list of windows")
    if not v and not allow_empty:
        raise InstanceError(f"{where}: {key} must hold at least one window")
    minutes = _MINUTES
    for k, w in enumerate(v):
        if type(w) is dict:  # the usual case, checked without words; any doubt: below
            day, a, b = w.get("weekday"), w.get("start"), w.get("end")
            start = minutes.get(a) if type(a) is str else None
            end = minutes.get(b) if type(b) is str else None
            if (
                type(day) is int
                and 0 <= day <= 6
                and start is not None
                and end is not None
                and end > start
            ):
                base = day * MINUTES_PER_DAY
                out.append((owner, base + start, base + end))
                continue
        wh = f"{where}: {key}[{k}]"
        if not isinstance(w, Mapping):
            raise InstanceError(f"{wh} must be an object with weekday, start and end")
        for f in ("weekday", "start", "end"):
            if f not in w:
                raise InstanceError(f"{wh}: missing field {f!r}")
        day = w["weekday"]
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise InstanceError(f"{wh}.weekday must be an integer 0..6 (0 = Monday)")
        start = _time(w["start"], f"{wh}.start")
        end = _time(w["end"], f"{wh}.end")
        if end <= start:
            raise InstanceError(f"{wh}.end must be after start ({w['start']} to {w['end']})")
        base = day * MINUTES_PER_DAY
        out.append((owner, base + start, base + end))


def _date(v: Any, where: _At) -> int | None:
    """A day as an ordinal, ``None`` for null."""
    if v is None:
        return None
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return date.fromisoformat(v).toordinal()
        except ValueError:
            pass
    raise InstanceError(f'{where} must be a date "YYYY-MM-DD" or null')


def _date_range(rec: Mapping[str, Any], where: _At) -> tuple[int, int]:
    """``first`` and ``last`` as ordinals, open ends as ``OPEN_FIRST`` / ``OPEN_LAST``."""
    first = _date(rec.get("first"), where + ": first")
    last = _date(rec.get("last"), where + ": last")
    if first is not None and last is not None and last < first:
        raise InstanceError(
            f"{where}: last must not be before first ({rec['first']} to {rec['last']})"
        )
    return (OPEN_FIRST if first is None else first), (OPEN_LAST if last is None else last)


def _busy(
    rec: Mapping[str, Any],
    where: _At,
    i: int,
    refs: list[str],
    owner: list[int],
    dates: list[tuple[int, int]],
    wins: list[tuple[int, int, int]],
) -> None:
    """Append the record's ``busy`` commitments (owner = record ``i``)."""
    v = rec.get("busy")
    if v is None:
        return
    if not isinstance(v, list):
        raise InstanceError(f"{where}: busy must be a list of commitments")
    for k, c in enumerate(v):
        wh = f"{where}: busy[{k}]"
        if not isinstance(c, Mapping):
            raise InstanceError(f"{wh} must be an object with ref, first, last and windows")
        ref = _get(c, "ref", wh)
        if not isinstance(ref, str) or not ref:
            raise InstanceError(f"{wh}: ref must be a non-empty string")
        dates.append(_date_range(c, wh))
        _windows(c, "windows", wh, False, len(refs), wins)
        refs.append(ref)
        owner.append(i)


def _week_limit(rec: Mapping[str, Any], where: _At) -> tuple[int, float]:
    """``(tasks, hours)`` per week; 0 and ``inf`` when not limited."""
    v = rec.get("week_limit")
    if v is None:
        return 0, math.inf
    if not isinstance(v, Mapping) or not ("tasks" in v or "hours" in v):
        raise InstanceError(f'{where}: week_limit must be {{"tasks": n}} or {{"hours": h}}')
    tasks = 0
    if "tasks" in v:
        tasks = _integer(v, "tasks", f"{where}: week_limit", 1)
    hours = math.inf
    if "hours" in v:
        h = v["hours"]
        if isinstance(h, bool) or not isinstance(h, (int, float)) or not (0 < h < math.inf):
            raise InstanceError(f"{where}: week_limit.hours must be a number of hours above 0")
        hours = float(h)
    return tasks, hours


def _person(rec: Mapping[str, Any], where: _At, people: dict[str | int, int], i: int) -> int:
    """The record's person number; a record without ``person`` is a person of its own."""
    if "person" not in rec:
        return -1 - i  # renumbered with the others in order of first appearance
    v = rec["person"]
    if isinstance(v, bool) or not isinstance(v, (str, int)) or v == "":
        raise InstanceError(f"{where}: person must be a non-empty string or an integer")
    return people.setdefault(v, len(people))


def _records(data: Mapping[str, Any], key: str) -> list[Any]:
    if key not in data:
        raise InstanceError(f"instance: missing field {key!r}")
    v = data[key]
    if not isinstance(v, list):
        raise InstanceError(f"instance: {key} must be a list")
    return v


def _id(rec: Any, kind: str, i: int, seen: dict[str, Any]) -> str:
    where = _where(kind, i, rec)
    if type(rec) is not dict and not isinstance(rec, Mapping):
        raise InstanceError(f"{where} must be an object")
    v = _get(rec, "id", where)
    if not isinstance(v, str) or not v:
        raise InstanceError(f"{where}: id must be a non-empty string")
    if v in seen:
        raise InstanceError(f"{where}: duplicate id {v!r} (also {kind}[{seen[v]}])")
    seen[v] = i
    return v


def _windows_arrays(rows: Iterable[tuple[int, int, int]]) -> tuple[np.ndarray, ...]:
    a = np.array(list(rows), dtype=np.int64).reshape(-1, 3)
    return a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy()


@dataclass
class _NeedColumns:
    """The needs' fields, column by column (as :func:`parse_instance` puts them together)."""

    ids: list[str]
    seen: dict[str, int]  # id -> index
    lat: np.ndarray
    lon: np.ndarray
    skills: list[tuple[str, ...]]
    windows: tuple[np.ndarray, np.ndarray, np.ndarray]  # owner, start, end
    needed: np.ndarray
    urgency: np.ndarray
    remote_ok: np.ndarray
    first: np.ndarray
    last: np.ndarray
    waiting: np.ndarray


@dataclass
class _VolunteerColumns:
    """The volunteer records' fields, column by column."""

    ids: list[str]
    seen: dict[str, int]
    lat: np.ndarray
    lon: np.ndarray
    skills: list[tuple[str, ...]]
    max_km: np.ndarray
    capacity: np.ndarray
    availability: tuple[np.ndarray, np.ndarray, np.ndarray]
    load: np.ndarray
    person: np.ndarray  # before :func:`_people`: own persons negative
    busy_ref: list[str]
    busy_owner: np.ndarray
    busy_first: np.ndarray
    busy_last: np.ndarray
    busy_windows: tuple[np.ndarray, np.ndarray, np.ndarray]
    week_tasks: np.ndarray
    week_hours: np.ndarray
    paused_until: np.ndarray


def _needs_one_by_one(needs: list[Any]) -> _NeedColumns:
    """The needs checked record by record, field by field: the first problem is the one
    reported."""
    n_seen: dict[str, int] = {}
    n_ids, n_lat, n_lon, n_sk, n_need, n_urg, n_rem, n_wait = [], [], [], [], [], [], [], []
    wins: list[tuple[int, int, int]] = []
    n_dates: list[tuple[int, int]] = []
    for i, rec in enumerate(needs):
        nid = _id(rec, "needs", i, n_seen)
        where = _where("needs", i, rec)
        n_ids.append(nid)
        n_lat.append(_number(rec, "lat", where, -90, 90))
        n_lon.append(_number(rec, "lon", where, -180, 180))
        n_sk.append(_skills(rec, where))
        _windows(rec, "windows", where, False, i, wins)
        n_need.append(_integer(rec, "volunteers_needed", where, 1))
        n_urg.append(_number(rec, "urgency", where, 0, 1))
        r = _get(rec, "remote_ok", where)
        if not isinstance(r, bool):
            raise InstanceError(f"{where}: remote_ok must be true or false")
        n_rem.append(r)
        n_dates.append(_date_range(rec, where))
        n_wait.append(
            _number(
                rec,
                "waiting_hours",
                where,
                0,
                math.inf,
                default=0.0,
                what="a number of hours, at least 0",
            )
        )
    nd = np.array(n_dates, dtype=np.int64).reshape(-1, 2)
    return _NeedColumns(
        ids=n_ids,
        seen=n_seen,
        lat=np.array(n_lat, dtype=np.float64),
        lon=np.array(n_lon, dtype=np.float64),
        skills=n_sk,
        windows=_windows_arrays(wins),  # type: ignore[arg-type]
        needed=np.array(n_need, dtype=np.int64),
        urgency=np.array(n_urg, dtype=np.float64),
        remote_ok=np.array(n_rem, dtype=bool),
        first=nd[:, 0].copy(),
        last=nd[:, 1].copy(),
        waiting=np.array(n_wait, dtype=np.float64),
    )


def _volunteers_one_by_one(vols: list[Any]) -> _VolunteerColumns:
    """The volunteer records checked record by record, field by field."""
    v_seen: dict[str, int] = {}
    v_ids, v_lat, v_lon, v_sk, v_km, v_cap, v_load = [], [], [], [], [], [], []
    people: dict[str | int, int] = {}
    v_person: list[int] = []
    avail: list[tuple[int, int, int]] = []
    b_refs: list[str] = []
    b_owner: list[int] = []
    b_dates: list[tuple[int, int]] = []
    b_wins: list[tuple[int, int, int]] = []
    v_tasks: list[int] = []
    v_hours: list[float] = []
    v_pause: list[int] = []
    for i, rec in enumerate(vols):
        vid = _id(rec, "volunteers", i, v_seen)
        where = _where("volunteers", i, rec)
        v_ids.append(vid)
        v_lat.append(_number(rec, "lat", where, -90, 90))
        v_lon.append(_number(rec, "lon", where, -180, 180))
        v_sk.append(_skills(rec, where))
        v_km.append(_number(rec, "max_km", where, 0, math.inf, what="a distance in km, at least 0"))
        v_cap.append(_integer(rec, "capacity", where, 1))
        _windows(rec, "availability", where, True, i, avail)
        v_load.append(_integer(rec, "load", where, 0, default=0))
        v_person.append(_person(rec, where, people, i))
        _busy(rec, where, i, b_refs, b_owner, b_dates, b_wins)
        tasks, hours = _week_limit(rec, where)
        v_tasks.append(tasks)
        v_hours.append(hours)
        pause = _date(rec.get("paused_until"), where + ": paused_until")
        v_pause.append(NO_PAUSE if pause is None else pause)
    bd = np.array(b_dates, dtype=np.int64).reshape(-1, 2)
    return _VolunteerColumns(
        ids=v_ids,
        seen=v_seen,
        lat=np.array(v_lat, dtype=np.float64),
        lon=np.array(v_lon, dtype=np.float64),
        skills=v_sk,
        max_km=np.array(v_km, dtype=np.float64),
        capacity=np.array(v_cap, dtype=np.int64),
        availability=_windows_arrays(avail),  # type: ignore[arg-type]
        load=np.array(v_load, dtype=np.int64),
        person=np.array(v_person, dtype=np.int64),
        busy_ref=b_refs,
        busy_owner=np.array(b_owner, dtype=np.int64),
        busy_first=bd[:, 0].copy(),
        busy_last=bd[:, 1].copy(),
        busy_windows=_windows_arrays(b_wins),  # type: ignore[arg-type]
        week_tasks=np.array(v_tasks, dtype=np.int64),
        week_hours=np.array(v_hours, dtype=np.float64),
        paused_until=np.array(v_pause, dtype=np.int64),
    )


# The same records checked column by column: each field of every record at once, by exact
# type and with numpy. These accept only what the record-by-record path accepts, with the
# same values; on any doubt (a problem, an unusual type) they give up (None, or an
# exception) and the record-by-record path decides, and words the message.


class _GiveUp(Exception):
    """A column the bulk path leaves to the record-by-record path."""


_FLOAT_OR_INT = frozenset((float, int))
_INT = frozenset((int,))
_STR = frozenset((str,))
_BOOL = frozenset((bool,))
_LIST = frozenset((list,))
_DICT = frozenset((dict,))
_NULL = frozenset((type(None),))
_NULL_OR_LIST = frozenset((type(None), list))


def _only(types: frozenset[type], column: Iterable[Any]) -> None:
    """Give up unless every value's type is one of ``types``."""
    if not types.issuperset(map(type, column)):
        raise _GiveUp


def _floats(column: list[Any], lo: float, hi: float) -> np.ndarray:
    """Finite numbers in ``[lo, hi]`` (as :func:`_number`)."""
    _only(_FLOAT_OR_INT, column)
    a = np.array(column, dtype=np.float64)
    if a.size and not (np.isfinite(a).all() and a.min() >= lo and a.max() <= hi):
        raise _GiveUp
    return a


def _ints(column: list[Any], lo: int) -> np.ndarray:
    """Integers of at least ``lo`` (as :func:`_integer`, which also takes whole floats)."""
    _only(_INT, column)
    a = np.array(column, dtype=np.int64)
    if a.size and a.min() < lo:
        raise _GiveUp
    return a


def _ids_of(records: list[Any]) -> tuple[list[str], dict[str, int]]:
    ids = list(map(itemgetter("id"), records))
    _only(_STR, ids)
    seen = dict(zip(ids, range(len(ids))))
    if len(seen) != len(ids) or "" in seen:
        raise _GiveUp
    return ids, seen


def _skills_of(records: list[Any]) -> list[tuple[str, ...]]:
    """Each record's skills, deduplicated; records with the same list share one tuple."""
    lists = list(map(itemgetter("skills"), records))
    _only(_LIST, lists)
    keys = list(map(tuple, lists))
    known: dict[tuple[Any, ...], tuple[str, ...]] = {}
    for key in set(keys):
        _only(_STR, key)
        if "" in key:
            raise _GiveUp
        known[key] = tuple(dict.fromkeys(key))
    return list(map(known.__getitem__, keys))


def _all_windows(
    records: list[Any], key: str, allow_empty: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every record's windows (as :func:`_windows`): owner, start and end in week minutes."""
    lists = list(map(itemgetter(key), records))
    _only(_LIST, lists)
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    if not allow_empty and counts.size and counts.min() == 0:
        raise _GiveUp
    flat = list(chain.from_iterable(lists))
    _only(_DICT, flat)
    days = list(map(itemgetter("weekday"), flat))
    _only(_INT, days)
    day = np.array(days, dtype=np.int64)
    minute = _MINUTES.get  # -1: not a time
    start = np.fromiter(map(minute, map(itemgetter("start"), flat), repeat(-1)), np.int64)
    end = np.fromiter(map(minute, map(itemgetter("end"), flat), repeat(-1)), np.int64)
    if flat and (
        day.min() < 0 or day.max() > 6 or start.min() < 0 or np.any(end <= start)
    ):  # (end > start >= 0: end is a time too)
        raise _GiveUp
    base = day * MINUTES_PER_DAY
    owner = np.repeat(np.arange(len(lists), dtype=np.int64), counts)
    return owner, base + start, base + end


def _days_of(column: list[Any], default: int) -> np.ndarray:
    """Dates as ordinals (as :func:`_date`), ``default`` for null; each date read once."""
    if _NULL.issuperset(map(type, column)):
        return np.full(len(column), default, dtype=np.int64)
    known: dict[Any, Any] = {v: _date(v, "") for v in set(column) if v is not None}
    known[None] = default
    return np.fromiter(map(known.__getitem__, column), np.int64, len(column))


def _needs_in_bulk(needs: list[Any]) -> _NeedColumns:
    """The needs column by column (see above)."""
    _only(_DICT, needs)
    ids, seen = _ids_of(needs)
    remote = list(map(itemgetter("remote_ok"), needs))
    _only(_BOOL, remote)
    first = _days_of(list(map(methodcaller("get", "first"), needs)), OPEN_FIRST)
    last = _days_of(list(map(methodcaller("get", "last"), needs)), OPEN_LAST)
    if np.any(last < first):  # (a date lies strictly between the open ends)
        raise _GiveUp
    return _NeedColumns(
        ids=ids,
        seen=seen,
        lat=_floats(list(map(itemgetter("lat"), needs)), -90, 90),
        lon=_floats(list(map(itemgetter("lon"), needs)), -180, 180),
        skills=_skills_of(needs),
        windows=_all_windows(needs, "windows", False),
        needed=_ints(list(map(itemgetter("volunteers_needed"), needs)), 1),
        urgency=_floats(list(map(itemgetter("urgency"), needs)), 0, 1),
        remote_ok=np.array(remote, dtype=bool),
        first=first,
        last=last,
        waiting=_floats(list(map(methodcaller("get", "waiting_hours", 0.0), needs)), 0, math.inf),
    )


def _volunteers_in_bulk(vols: list[Any]) -> _VolunteerColumns:
    """The volunteer records column by column (see above); their commitments and weekly
    limits, seldom given, record by record."""
    _only(_DICT, vols)
    ids, seen = _ids_of(vols)
    column = list(map(methodcaller("get", "person", _ABSENT), vols))
    if _INT.issuperset(map(type, column)):
        # every record names its person by a number: only the grouping matters, the people
        # are numbered in order of first appearance below (:func:`_people`)
        person = np.array(column, dtype=np.int64)
    else:
        people: dict[str | int, int] = {}
        own = []
        for i, p in enumerate(column):
            if p is _ABSENT:
                own.append(-1 - i)
            elif (type(p) is str and p) or type(p) is int:
                own.append(people.setdefault(p, len(people)))
            else:
                raise _GiveUp
        person = np.array(own, dtype=np.int64)
    b_refs: list[str] = []
    b_owner: list[int] = []
    b_dates: list[tuple[int, int]] = []
    b_wins: list[tuple[int, int, int]] = []
    column = list(map(methodcaller("get", "busy"), vols))
    if not (_NULL_OR_LIST.issuperset(map(type, column)) and not any(column)):
        for i, b in enumerate(column):
            if b is not None and not (type(b) is list and not b):
                rec = vols[i]
                _busy(rec, _where("volunteers", i, rec), i, b_refs, b_owner, b_dates, b_wins)
    tasks = np.zeros(len(vols), dtype=np.int64)
    hours = np.full(len(vols), math.inf)
    column = list(map(methodcaller("get", "week_limit"), vols))
    if not _NULL.issuperset(map(type, column)):
        for i, w in enumerate(column):
            if w is not None:
                tasks[i], hours[i] = _week_limit(vols[i], _where("volunteers", i, vols[i]))
    bd = np.array(b_dates, dtype=np.int64).reshape(-1, 2)
    return _VolunteerColumns(
        ids=ids,
        seen=seen,
        lat=_floats(list(map(itemgetter("lat"), vols)), -90, 90),
        lon=_floats(list(map(itemgetter("lon"), vols)), -180, 180),
        skills=_skills_of(vols),
        max_km=_floats(list(map(itemgetter("max_km"), vols)), 0, math.inf),
        capacity=_ints(list(map(itemgetter("capacity"), vols)), 1),
        availability=_all_windows(vols, "availability", True),
        load=_ints(list(map(methodcaller("get", "load", 0), vols)), 0),
        person=np.array(person, dtype=np.int64),
        busy_ref=b_refs,
        busy_owner=np.array(b_owner, dtype=np.int64),
        busy_first=bd[:, 0].copy(),
        busy_last=bd[:, 1].copy(),
        busy_windows=_windows_arrays(b_wins),  # type: ignore[arg-type]
        week_tasks=tasks,
        week_hours=hours,
        paused_until=_days_of(list(map(methodcaller("get", "paused_until"), vols)), NO_PAUSE),
    )


def _needs(needs: list[Any]) -> _NeedColumns:
    try:
        return _needs_in_bulk(needs)
    except Exception:  # any doubt: record by record, which words the first problem
        return _needs_one_by_one(needs)


def _volunteers(vols: list[Any]) -> _VolunteerColumns:
    try:
        return _volunteers_in_bulk(vols)
    except Exception:  # any doubt: record by record, which words the first problem
        return _volunteers_one_by_one(vols)


def parse_instance(data: Any) -> Instance:
    """Validate a JSON-shaped instance and return its array form.

    Parameters
    ----------
    data : dict
        ``{"needs": [...], "volunteers": [...], "exclude": [[need_id, volunteer_id], ...]}``.
        A need has ``id, lat, lon, skills, windows, volunteers_needed, urgency,
        remote_ok`` and optionally ``waiting_hours``; a volunteer has ``id, lat,
        lon, skills, max_km, capacity, availability`` and optionally ``load`` and
        ``person`` (a string or an integer naming the person; records with the
        same ``person`` are one person, a record without it is a person of its
        own, and no need gets two records of one person).
        Windows are ``{"weekday": 0..6, "start": "HH:MM", "end": "HH:MM"}``
        (0 = Monday; ``"24:00"`` is allowed as an end). ``exclude`` is optional.
        Unknown fields are ignored.

        Optional time fields (see :mod:`matching._time`); dates are
        ``"YYYY-MM-DD"`` or null, and a null or absent date is an open end:

        - need ``first``, ``last``: its weekly windows happen on every matching
          weekday from ``first`` to ``last``, inclusive (a one-off need has
          ``first == last`` and one window on that weekday);
        - volunteer ``busy``: the person's existing commitments, each
          ``{"ref": str, "first": date, "last": date, "windows": [...]}``; they
          bind the record's person (all records with the same ``person``), and
          a ``ref`` counts once per person;
        - volunteer ``week_limit``: ``{"tasks": n}`` (n >= 1) and/or
          ``{"hours": h}`` (h > 0): the most commitments with an occurrence in
          one ISO week (Monday to Sunday), or the most hours of occurrences in
          it, for the person (the smallest over the person's records);
        - volunteer ``paused_until``: a date; no need proposed to this record
          may happen on or before it.

    Returns
    -------
    Instance

    Raises
    ------
    InstanceError
        On the first problem found; the message is one line naming the record
        and the field, e.g. ``needs[0] (id 'n1'): windows[0].end must be after start``.

    Notes
    -----
    Records in the usual form (dicts, exact JSON types) are read field by field over all
    records at once; anything else, and any problem, is left to the record-by-record
    reading, which finds the first problem in input order and words it.

    Examples
    --------
    >>> inst = parse_instance({"needs": [], "volunteers": []})
    >>> inst.n_needs, inst.n_volunteers
    (0, 0)
    """
    if not isinstance(data, Mapping):
        raise InstanceError("instance: must be a JSON object with needs and volunteers")
    needs = _records(data, "needs")
    vols = _records(data, "volunteers")
    exclude = data.get("exclude", [])
    if exclude is None:
        exclude = []
    if not isinstance(exclude, list):
        raise InstanceError("instance: exclude must be a list of [need_id, volunteer_id] pairs")

    nc = _needs(needs)
    vc = _volunteers(vols)
    n_seen, v_seen = nc.seen, vc.seen
    ex_n, ex_v = [], []
    for k, pair in enumerate(exclude):
        at = f"exclude[{k}]"
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
        ):
            raise InstanceError(f"{at} must be a pair [need_id, volunteer_id]")
        if pair[0] not in n_seen:
            raise InstanceError(f"{at}: unknown need id {pair[0]!r}")
        if pair[1] not in v_seen:
            raise InstanceError(f"{at}: unknown volunteer id {pair[1]!r}")
        ex_n.append(n_seen[pair[0]])
        ex_v.append(v_seen[pair[1]])

    times = None
    if (
        np.any(nc.first != OPEN_FIRST)
        or np.any(nc.last != OPEN_LAST)
        or vc.busy_ref
        or np.any(vc.week_tasks != 0)
        or np.any(vc.week_hours < math.inf)
        or np.any(vc.paused_until != NO_PAUSE)
    ):
        bo, bs, be = vc.busy_windows
        times = TimeFacts(
            need_first=nc.first,
            need_last=nc.last,
            busy_ref=tuple(vc.busy_ref),
            busy_volunteer=vc.busy_owner,
            busy_first=vc.busy_first,
            busy_last=vc.busy_last,
            busy_window_owner=bo,
            busy_window_start=bs,
            busy_window_end=be,
            week_tasks=vc.week_tasks,
            week_hours=vc.week_hours,
            paused_until=vc.paused_until,
        )
    wn, ws, we = nc.windows
    av, ast, aen = vc.availability
    return Instance(
        need_ids=tuple(nc.ids),
        need_lat=nc.lat,
        need_lon=nc.lon,
        need_skills=tuple(nc.skills),
        volunteers_needed=nc.needed,
        urgency=nc.urgency,
        remote_ok=nc.remote_ok,
        waiting_hours=nc.waiting,
        window_need=wn,
        window_start=ws,
        window_end=we,
        volunteer_ids=tuple(vc.ids),
        volunteer_lat=vc.lat,
        volunteer_lon=vc.lon,
        volunteer_skills=tuple(vc.skills),
        max_km=vc.max_km,
        capacity=vc.capacity,
        load=vc.load,
        avail_volunteer=av,
        avail_start=ast,
        avail_end=aen,
        exclude_need=np.array(ex_n, dtype=np.int64),
        exclude_volunteer=np.array(ex_v, dtype=np.int64),
        volunteer_person=_people(vc.person),
        times=times,
    )

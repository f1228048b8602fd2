"""parse_instance reads valid records column by column, and leaves anything else to the
record-by-record path: both must give the same instance, and the bulk path must never accept
what the record-by-record path rejects."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pytest

from matching import InstanceError, parse_instance
from matching import _instance as I

BASE = date(2026, 11, 30)


def _window(rng):
    start = int(rng.integers(0, 47)) * 30
    end = start + int(rng.choice([30, 60, 90, 120]))
    w = {"weekday": int(rng.integers(0, 7)), "start": "", "end": ""}
    w["start"] = f"{start // 60:02d}:{start % 60:02d}"
    w["end"] = "24:00" if end >= 1440 else f"{end // 60:02d}:{end % 60:02d}"
    return w


def _day(rng):
    return None if rng.random() < 0.4 else (BASE + timedelta(days=int(rng.integers(0, 60))))


def _skills(rng):
    pool = ["cooking", "driving", "first-aid", "tutoring"]
    return [str(rng.choice(pool)) for _ in range(int(rng.integers(0, 4)))]  # repeats too


def random_records(seed, n_needs=30, n_vols=30):
    """Valid records using every field in its several valid forms."""
    rng = np.random.default_rng(seed)
    number = (lambda x: x) if rng.random() < 0.5 else (lambda x: round(float(x)))
    needs = []
    for i in range(n_needs):
        rec = {
            "id": f"n{i}",
            "lat": number(rng.uniform(-90, 90)),
            "lon": number(rng.uniform(-180, 180)),
            "skills": _skills(rng),
            "windows": [_window(rng) for _ in range(int(rng.integers(1, 4)))],
            "volunteers_needed": int(rng.integers(1, 4)),
            "urgency": float(rng.choice([0.0, 0.5, 1.0])) if rng.random() < 0.7 else 1,
            "remote_ok": bool(rng.random() < 0.2),
        }
        first, last = _day(rng), _day(rng)
        if first and last and last < first:
            first, last = last, first
        if first is not None or rng.random() < 0.5:
            rec["first"] = first and first.isoformat()
        if last is not None or rng.random() < 0.5:
            rec["last"] = last and last.isoformat()
        if rng.random() < 0.7:
            rec["waiting_hours"] = float(rng.uniform(0, 500)) if rng.random() < 0.8 else 3
        needs.append(rec)
    vols = []
    persons = rng.random()
    for j in range(n_vols):
        rec = {
            "id": f"v{j}",
            "lat": number(rng.uniform(-90, 90)),
            "lon": number(rng.uniform(-180, 180)),
            "skills": _skills(rng),
            "max_km": float(rng.choice([0.0, 2.0, 5.5])) if rng.random() < 0.8 else 10,
            "capacity": int(rng.integers(1, 4)),
            "availability": [_window(rng) for _ in range(int(rng.integers(0, 4)))],
        }
        if rng.random() < 0.5:
            rec["load"] = int(rng.integers(0, 5))
        if persons < 0.3:
            rec["person"] = int(rng.integers(-3, 8))  # numbers only
        elif persons < 0.6:
            r = rng.random()
            if r < 0.4:
                rec["person"] = f"p{int(rng.integers(0, 8))}"
            elif r < 0.8:
                rec["person"] = int(rng.integers(0, 8))
        if rng.random() < 0.3:
            rec["busy"] = []
            for k in range(int(rng.integers(0, 3))):
                f, la = _day(rng), _day(rng)
                if f and la and la < f:
                    f, la = la, f
                rec["busy"].append(
                    {
                        "ref": f"b{k}",
                        "first": f and f.isoformat(),
                        "last": la and la.isoformat(),
                        "windows": [_window(rng) for _ in range(int(rng.integers(1, 3)))],
                    }
                )
        elif rng.random() < 0.2:
            rec["busy"] = None
        r = rng.random()
        if r < 0.1:
            rec["week_limit"] = {"tasks": int(rng.integers(1, 4))}
        elif r < 0.2:
            rec["week_limit"] = {"hours": float(rng.choice([1.5, 2, 6]))}
        elif r < 0.25:
            rec["week_limit"] = None
        if rng.random() < 0.1:
            rec["paused_until"] = (BASE + timedelta(days=int(rng.integers(0, 30)))).isoformat()
        vols.append(rec)
    return needs, vols


def _same(a, b):
    """Two column sets are equal: the same values and types (numpy arrays and dtypes too)."""
    assert type(a) is type(b)
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if name == "person":  # the grouping, numbered by first appearance
            x, y = I._people(x), I._people(y)
        if isinstance(x, tuple) and x and isinstance(x[0], np.ndarray):
            for u, v in zip(x, y, strict=True):
                assert u.dtype == v.dtype and np.array_equal(u, v), name
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, name
            assert np.array_equal(x, y) and np.array_equal(np.signbit(x), np.signbit(y)), name
        else:
            assert x == y, name


def _agree(needs, vols):
    """The property: the bulk path's columns, when it takes the records, are those of the
    record-by-record path (which then must take them too)."""
    for bulk, each, recs in (
        (I._needs_in_bulk, I._needs_one_by_one, needs),
        (I._volunteers_in_bulk, I._volunteers_one_by_one, vols),
    ):
        try:
            got = bulk(recs)
        except Exception:
            continue  # given up: the record-by-record path decides
        _same(got, each(recs))


@pytest.mark.parametrize("seed", range(40))
def test_bulk_path_takes_valid_records_and_agrees(seed):
    needs, vols = random_records(seed)
    # valid records in their usual forms: the bulk path takes them
    _same(I._needs_in_bulk(needs), I._needs_one_by_one(needs))
    _same(I._volunteers_in_bulk(vols), I._volunteers_one_by_one(vols))


def test_bulk_path_on_no_records():
    _same(I._needs_in_bulk([]), I._needs_one_by_one([]))
    _same(I._volunteers_in_bulk([]), I._volunteers_one_by_one([]))
    assert parse_instance({"needs": [], "volunteers": []}).times is None


ODD = [
    None,
    "",
    "x",
    "09:00",
    "24:00",
    "2026-12-01",
    "2026-02-30",
    -1,
    0,
    1,
    7,
    2.0,
    2.5,
    -0.0,
    True,
    False,
    math.nan,
    math.inf,
    10**30,
    10**400,
    2**63,
    [],
    ["a", "a"],
    ["a", ""],
    [1],
    {},
    {"tasks": 2},
    {"hours": 1.5},
    [{"weekday": 1, "start": "09:00", "end": "10:00"}],
    [{"weekday": 1, "start": "10:00", "end": "09:00"}],
    [{"weekday": True, "start": "09:00", "end": "10:00"}],
    [{"weekday": 1, "start": "9:00", "end": "10:00"}],
    [
        {
            "ref": "r",
            "first": None,
            "last": None,
            "windows": [{"weekday": 1, "start": "09:00", "end": "10:00"}],
        }
    ],
]


NEED_FIELDS = [
    *("id", "lat", "lon", "skills", "windows", "volunteers_needed", "urgency", "remote_ok"),
    *("first", "last", "waiting_hours"),
]
VOLUNTEER_FIELDS = [
    *("id", "lat", "lon", "skills", "max_km", "capacity", "availability", "load", "person"),
    *("busy", "week_limit", "paused_until"),
]


def _odd_forms(field):
    """The field set to each odd value, and removed; for windows also each odd value inside
    a window."""
    yield from ((field, v) for v in ODD)
    yield field, KeyError
    if field in ("windows", "availability"):
        for key in ("weekday", "start", "end"):
            yield from (((field, key), v) for v in ODD)
            yield (field, key), KeyError


def _set(rec, where, value):
    if isinstance(where, tuple):
        rec, where = rec[where[0]][0], where[1]
    if value is KeyError:
        rec.pop(where, None)
    else:
        rec[where] = copy.deepcopy(value)


@pytest.mark.parametrize("kind", ["needs", "volunteers"])
@pytest.mark.parametrize("position", [0, 2])
def test_bulk_path_never_takes_what_the_record_path_rejects(kind, position):
    """Every field of one record set to each odd value (or removed): the bulk path either
    gives up or agrees with the record-by-record path."""
    needs, vols = random_records(7, 3, 3)
    for rec in (*needs, *vols):  # a window to change in every record
        rec.setdefault("windows", rec.get("availability"))
        if "availability" in rec and not rec["availability"]:
            rec["availability"] = [{"weekday": 0, "start": "08:00", "end": "09:30"}]
        if "windows" in rec and "availability" in rec:
            del rec["windows"]
    for field in NEED_FIELDS if kind == "needs" else VOLUNTEER_FIELDS:
        for where, value in _odd_forms(field):
            ns, vs = copy.deepcopy(needs), copy.deepcopy(vols)
            _set((ns if kind == "needs" else vs)[position], where, value)
            _agree(ns, vs)


class _Record(Mapping):
    """A record that is a mapping but not a dict: only the record-by-record path reads it."""

    def __init__(self, d):
        self._d = d

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


def test_unusual_valid_forms_are_read_record_by_record():
    """What the bulk path leaves (a mapping record, a whole float for an integer, a weekday
    subclass of int) is still read, and gives the same instance as the usual form."""
    needs, vols = random_records(3, 5, 5)
    usual = parse_instance({"needs": needs, "volunteers": vols})
    odd_needs = copy.deepcopy(needs)
    odd_vols = copy.deepcopy(vols)
    odd_needs[2] = _Record(odd_needs[2])
    odd_vols[1]["capacity"] = float(odd_vols[1]["capacity"])
    with pytest.raises(I._GiveUp):
        I._needs_in_bulk(odd_needs)
    with pytest.raises(I._GiveUp):
        I._volunteers_in_bulk(odd_vols)
    odd = parse_instance({"needs": odd_needs, "volunteers": odd_vols})
    for name in usual.__dataclass_fields__:
        x, y = getattr(usual, name), getattr(odd, name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        elif name not in ("times", "_cache"):
            assert x == y, name
    assert (usual.times is None) == (odd.times is None)


def test_first_problem_reported_whichever_path():
    """A problem in a later record and one in an earlier field of an earlier record: the
    first in record order is reported, as record by record."""
    needs, vols = random_records(5, 4, 4)
    needs[3]["lat"] = 100
    needs[1]["windows"] = []
    with pytest.raises(InstanceError, match=r"^needs\[1\] \(id 'n1'\): windows must hold"):
        parse_instance({"needs": needs, "volunteers": vols})
    vols[2]["week_limit"] = {"tasks": 0}
    vols[0]["lat"] = "north"
    needs[3]["lat"] = 1
    needs[1]["windows"] = [{"weekday": 1, "start": "09:00", "end": "10:00"}]
    with pytest.raises(InstanceError, match=r"^volunteers\[0\] \(id 'v0'\): lat must be"):
        parse_instance({"needs": needs, "volunteers": vols})

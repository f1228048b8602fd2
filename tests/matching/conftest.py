"""Factories for engine tests: plain dicts in the instance format, no app."""

from __future__ import annotations

import pytest

from matching import parse_instance, solve

LAT, LON = 51.5, -0.1  # central London


def _window(day: int, start: str, end: str) -> dict:
    return {"weekday": day, "start": start, "end": end}


@pytest.fixture
def window():
    return _window


@pytest.fixture
def create_need():
    def create(id: str = "n1", **over) -> dict:
        rec = {
            "id": id,
            "lat": LAT,
            "lon": LON,
            "skills": [],
            "windows": [_window(1, "09:00", "11:00")],
            "volunteers_needed": 1,
            "urgency": 0.5,
            "remote_ok": False,
        }
        rec.update(over)
        return rec

    return create


@pytest.fixture
def create_volunteer():
    def create(id: str = "v1", **over) -> dict:
        rec = {
            "id": id,
            "lat": LAT,
            "lon": LON,
            "skills": [],
            "max_km": 5.0,
            "capacity": 1,
            "availability": [_window(1, "08:00", "12:00")],
        }
        rec.update(over)
        return rec

    return create


@pytest.fixture
def run():
    """Solve a dict instance; return (pairs set, result)."""

    def run(needs: list, volunteers: list, exclude: list | None = None):
        data = {"needs": needs, "volunteers": volunteers}
        if exclude is not None:
            data["exclude"] = exclude
        result = solve(parse_instance(data))
        pairs = {(m.need, m.volunteer) for m in result.matches}
        return pairs, result

    return run

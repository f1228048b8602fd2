"""The preview narrows a group's offers before the engine; the count must be what the engine
gives on every offer (the narrowing is a bound, never a rule of its own)."""

from __future__ import annotations

import numpy as np
import pytest

import matching
from mutualaid.services import preview

SKILLS = ["cooking", "driving", "befriending", "first-aid"]


def _offers(rng: np.random.Generator, m: int, lat0: float) -> preview.GroupOffers:
    lat = lat0 + rng.normal(0, 0.15, m)
    lon = -0.1 + rng.normal(0, 0.25, m)
    skills = tuple(tuple(s for s in SKILLS if rng.random() < 0.4) for _ in range(m))
    owner, start, end = [], [], []
    for k in range(m):
        for _ in range(int(rng.integers(1, 4))):
            day = int(rng.integers(0, 7)) * 1440
            s = int(rng.integers(0, 40)) * 30
            owner.append(k)
            start.append(day + s)
            end.append(day + min(s + int(rng.choice([60, 180, 480])), 1440))
    order = np.argsort(owner, kind="stable")
    owners = np.array(owner)[order]
    masks = {s: np.array([s in t for t in skills]) for s in SKILLS}
    return preview.GroupOffers(
        version=(),
        ids=tuple(str(k) for k in range(m)),
        lat=lat,
        lon=lon,
        skills=skills,
        max_km=rng.choice([0.5, 2.0, 5.0, 15.0, 60.0, 200.0], m),
        capacity=np.ones(m, dtype=np.int64),
        person=rng.integers(0, m // 2, m),  # some people have two offers
        avail_volunteer=owners,
        avail_start=np.array(start)[order],
        avail_end=np.array(end)[order],
        avail_pointer=np.searchsorted(owners, np.arange(m + 1)),
        skill_masks=masks,
    )


def _engine_on_every_offer(offers, lat, lon, skills, windows, remote_ok) -> int:
    inst = matching.Instance.from_arrays(
        need_ids=["n"],
        need_lat=[lat],
        need_lon=[lon],
        need_skills=[skills],
        volunteers_needed=[1],
        urgency=[0.5],
        remote_ok=[remote_ok],
        window_need=[0] * len(windows),
        window_start=[w["weekday"] * 1440 + int(w["start"][:2]) * 60 for w in windows],
        window_end=[w["weekday"] * 1440 + int(w["end"][:2]) * 60 for w in windows],
        volunteer_ids=offers.ids,
        volunteer_lat=offers.lat,
        volunteer_lon=offers.lon,
        volunteer_skills=offers.skills,
        max_km=offers.max_km,
        capacity=offers.capacity,
        avail_volunteer=offers.avail_volunteer,
        avail_start=offers.avail_start,
        avail_end=offers.avail_end,
    )
    return int(np.unique(offers.person[matching.candidates(inst).volunteer_index]).size)


@pytest.mark.parametrize("lat0", [51.5, 60.0])
def test_narrowing_gives_the_engines_count_on_every_offer(lat0):
    rng = np.random.default_rng(7)
    offers = _offers(rng, 600, lat0)
    nonzero = 0
    for _ in range(60):
        hour = int(rng.integers(7, 20))
        windows = [
            {
                "weekday": int(rng.integers(0, 7)),
                "start": f"{hour:02d}:00",
                "end": f"{hour + 1:02d}:00",
            }
        ]
        skills = sorted(set(rng.choice(SKILLS, size=int(rng.integers(0, 3))).tolist()))
        lat, lon = lat0 + rng.normal(0, 0.2), -0.1 + rng.normal(0, 0.3)
        remote = bool(rng.random() < 0.2)
        expected = _engine_on_every_offer(offers, lat, lon, skills, windows, remote)
        assert preview.count_helpers(offers, lat, lon, skills, windows, remote) == expected
        nonzero += expected > 0
    assert nonzero > 20  # the needs drawn do find people, so the comparison means something

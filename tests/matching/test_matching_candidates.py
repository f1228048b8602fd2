"""The candidate stage against a brute-force reference over every pair.

The reference checks each need against each volunteer directly: skills as
sets, availability minute by minute, the great-circle distance from the
pair's chord (the formula of :mod:`matching._scoring`), exclusions as a set.
The engine must give exactly its pairs, score units and distances, including
pairs exactly at a volunteer's ``max_km``, one float step either side of it,
and windows that only touch a block or each other.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Instance, candidates
from matching._candidates import best_candidates, reach_counts
from matching._kernels import class_memberships
from matching._scoring import (
    chord_to_km,
    closeness_part,
    need_parts,
    score_units,
    unit_vectors,
    volunteer_parts,
)

SKILLS = ("a", "b", "c")
MINUTES = (480, 540, 600, 660, 720)  # 08:00 .. 12:00 on the hour: windows often touch
SITES = ((51.5, -0.1), (51.5004, -0.1003), (51.52, -0.12), (-33.9, 151.2))


def _chords(inst: Instance) -> np.ndarray:
    """Chord of every (need, volunteer), summed as (dx*dx + dy*dy) + dz*dz."""
    p = unit_vectors(inst.need_lat, inst.need_lon)[:, None, :]
    q = unit_vectors(inst.volunteer_lat, inst.volunteer_lon)[None, :, :]
    d = p - q
    return np.sqrt((d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1]) + d[..., 2] * d[..., 2])


def _minutes(owner: np.ndarray, start: np.ndarray, end: np.ndarray, k: int) -> set[int]:
    out: set[int] = set()
    for o, s, e in zip(owner.tolist(), start.tolist(), end.tolist()):
        if o == k:
            out.update(range(s, e))
    return out


def brute_force(inst: Instance) -> tuple[dict, np.ndarray, np.ndarray]:
    """({(need, volunteer): (units, km)}, free count, reach count) over every pair."""
    n, m = inst.n_needs, inst.n_volunteers
    km = chord_to_km(_chords(inst)).reshape(n, m)
    u, w = need_parts(inst.urgency, inst.waiting_hours)
    units = score_units(
        closeness_part(km, inst.max_km[None, :]),
        (u + w)[:, None],
        volunteer_parts(inst.load)[None, :],
    ).reshape(n, m)
    excluded = set(zip(inst.exclude_need.tolist(), inst.exclude_volunteer.tolist()))
    free = np.zeros(n, dtype=np.int64)
    reach = np.zeros(n, dtype=np.int64)
    pairs = {}
    for i in range(n):
        need_min = _minutes(inst.window_need, inst.window_start, inst.window_end, i)
        for j in range(m):
            if not set(inst.need_skills[i]) <= set(inst.volunteer_skills[j]):
                continue
            if not inst.remote_ok[i] and km[i, j] > inst.max_km[j]:
                continue
            reach[i] += 1
            avail = _minutes(inst.avail_volunteer, inst.avail_start, inst.avail_end, j)
            if not need_min <= avail:
                continue
            free[i] += 1
            if (i, j) not in excluded:
                pairs[(i, j)] = (int(units[i, j]), float(np.float32(km[i, j])))
    return pairs, free, reach


@st.composite
def _blocks(draw, owners: int, min_size: int):
    owner, start, end = [], [], []
    for k in range(owners):
        for _ in range(draw(st.integers(min_size, 3))):
            day = draw(st.integers(0, 1)) * 1440
            i = draw(st.integers(0, len(MINUTES) - 2))
            j = draw(st.integers(i + 1, len(MINUTES) - 1))
            owner.append(k)
            start.append(day + MINUTES[i])
            end.append(day + MINUTES[j])
    return owner, start, end


@st.composite
def _points(draw, k: int):
    lat, lon = [], []
    for _ in range(k):
        if draw(st.booleans()):
            a, b = draw(st.sampled_from(SITES))
        else:
            a = 51.5 + draw(st.floats(-0.05, 0.05))
            b = -0.1 + draw(st.floats(-0.08, 0.08))
        lat.append(a)
        lon.append(b)
    return lat, lon


_KEPT = (
    *("need_ids", "need_lat", "need_lon", "need_skills", "volunteers_needed", "urgency"),
    *("remote_ok", "waiting_hours", "window_need", "window_start", "window_end"),
    *("volunteer_ids", "volunteer_lat", "volunteer_lon", "volunteer_skills", "capacity"),
    *("avail_volunteer", "avail_start", "avail_end", "load"),
)


@st.composite
def instances(draw):
    n = draw(st.integers(0, 7))
    m = draw(st.integers(0, 7))
    n_lat, n_lon = draw(_points(n))
    v_lat, v_lon = draw(_points(m))
    wn, ws, we = draw(_blocks(n, 1))
    av, ast, aen = draw(_blocks(m, 0))
    skills = st.lists(st.sampled_from(SKILLS), max_size=2, unique=True)
    max_km = [draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 1e5])) for _ in range(m)]
    inst = Instance.from_arrays(
        need_ids=[f"n{i}" for i in range(n)],
        need_lat=n_lat,
        need_lon=n_lon,
        need_skills=[draw(skills) for _ in range(n)],
        volunteers_needed=np.ones(n, dtype=np.int64),
        urgency=[draw(st.sampled_from([0.0, 0.3, 0.5, 1.0])) for _ in range(n)],
        remote_ok=[draw(st.booleans()) and draw(st.booleans()) for _ in range(n)],
        waiting_hours=[draw(st.sampled_from([0.0, 5.0, 48.0, 200.0])) for _ in range(n)],
        window_need=wn,
        window_start=ws,
        window_end=we,
        volunteer_ids=[f"v{j}" for j in range(m)],
        volunteer_lat=v_lat,
        volunteer_lon=v_lon,
        volunteer_skills=[draw(skills) for _ in range(m)],
        max_km=max_km,
        capacity=np.ones(m, dtype=np.int64),
        avail_volunteer=av,
        avail_start=ast,
        avail_end=aen,
        load=[draw(st.sampled_from([0, 2, 10])) for _ in range(m)],
    )
    if n and m:
        # some volunteers reach exactly one need, or one float step short of or past it
        km = chord_to_km(_chords(inst))
        for j in range(m):
            if draw(st.booleans()):
                i = draw(st.integers(0, n - 1))
                step = draw(st.sampled_from([-1, 0, 0, 1]))
                edge = km[i, j]
                if step:
                    edge = np.nextafter(edge, np.inf * step)
                max_km[j] = max(float(edge), 0.0)
        ex = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=4))
        inst = Instance.from_arrays(
            **{f: getattr(inst, f) for f in _KEPT},
            max_km=max_km,
            exclude_need=[a for a, _ in ex],
            exclude_volunteer=[b for _, b in ex],
        )
    return inst


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(instances())
def test_candidates_equal_brute_force_exactly(inst):
    c = candidates(inst)
    want, free, reach = brute_force(inst)
    got = {
        (a, b): (s, d)
        for a, b, s, d in zip(
            c.need_index.tolist(),
            c.volunteer_index.tolist(),
            c.score_units.tolist(),
            c.distance_km.tolist(),
        )
    }
    assert len(got) == len(c)
    assert got == want
    assert c.free_count.tolist() == free.tolist()
    assert reach_counts(inst, np.arange(inst.n_needs)).tolist() == reach.tolist()
    # grouped by need in input order, each need's best first
    key = np.lexsort((-c.score_units.astype(np.int64), c.need_index))
    assert np.array_equal(key, np.arange(len(c)))


def _one_pair(max_km: float) -> Instance:
    """A need and a volunteer about 4.9 km apart, free together."""
    return Instance.from_arrays(
        need_ids=["n"],
        need_lat=[51.5],
        need_lon=[-0.1],
        need_skills=[()],
        volunteers_needed=[1],
        urgency=[0.5],
        remote_ok=[False],
        window_need=[0],
        window_start=[540],
        window_end=[600],
        volunteer_ids=["v"],
        volunteer_lat=[51.5],
        volunteer_lon=[-0.03],
        volunteer_skills=[()],
        max_km=[max_km],
        capacity=[1],
        avail_volunteer=[0],
        avail_start=[540],
        avail_end=[600],
    )


def test_pair_exactly_at_max_km_is_feasible():
    edge = float(chord_to_km(_chords(_one_pair(1.0)))[0, 0])
    assert len(candidates(_one_pair(edge))) == 1
    assert len(candidates(_one_pair(float(np.nextafter(edge, 0))))) == 0


def test_more_than_32_skills():
    """Skills beyond the first 32 (tested on the volunteer's full skill row)."""
    rng = np.random.default_rng(3)
    names = [f"s{k:02d}" for k in range(70)]
    n, m = 30, 40

    def sets(k, most):
        return [
            tuple(rng.choice(names, size=rng.integers(0, most + 1), replace=False))
            for _ in range(k)
        ]

    inst = Instance.from_arrays(
        need_ids=[f"n{i}" for i in range(n)],
        need_lat=51.5 + rng.uniform(-0.01, 0.01, n),
        need_lon=-0.1 + rng.uniform(-0.01, 0.01, n),
        need_skills=[*sets(n - 1, 2), tuple(names)],
        volunteers_needed=np.ones(n, dtype=np.int64),
        urgency=np.full(n, 0.5),
        remote_ok=rng.random(n) < 0.2,
        window_need=np.arange(n),
        window_start=np.full(n, 540),
        window_end=np.full(n, 600),
        volunteer_ids=[f"v{j}" for j in range(m)],
        volunteer_lat=51.5 + rng.uniform(-0.01, 0.01, m),
        volunteer_lon=-0.1 + rng.uniform(-0.01, 0.01, m),
        volunteer_skills=[*sets(m - 1, 60), tuple(names)],
        max_km=np.full(m, 5.0),
        capacity=np.ones(m, dtype=np.int64),
        avail_volunteer=np.arange(m),
        avail_start=np.full(m, 480),
        avail_end=np.full(m, 720),
    )
    c = candidates(inst)
    want, free, _ = brute_force(inst)
    got = dict(
        zip(
            zip(c.need_index.tolist(), c.volunteer_index.tolist()),
            zip(c.score_units.tolist(), c.distance_km.tolist()),
        )
    )
    assert got == want and c.free_count.tolist() == free.tolist()
    assert (n - 1, m - 1) in got


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(1, 3), st.data())
def test_best_candidates_are_the_first_of_each_need(inst, per_need, data):
    """The best pairs of each need are the first of ``candidates()``; the bound is at least
    the next one's score and at most any pair kept; counts are exact where nothing is cut."""
    full = candidates(inst)
    needs = None
    if inst.n_needs and data.draw(st.booleans()):
        needs = data.draw(st.lists(st.integers(0, inst.n_needs - 1), max_size=4))
    best, bound = best_candidates(inst, per_need, needs)
    asked = np.zeros(inst.n_needs, dtype=bool)
    asked[np.arange(inst.n_needs) if needs is None else needs] = True
    rank = np.arange(len(full)) - np.searchsorted(full.need_index, full.need_index)
    first = asked[full.need_index] & (rank < per_need)
    for name in ("need_index", "volunteer_index", "score_units", "distance_km"):
        assert np.array_equal(getattr(best, name), getattr(full, name)[first])
    nxt = asked[full.need_index] & (rank == per_need)
    want = np.zeros(inst.n_needs, dtype=np.int64)
    want[full.need_index[nxt]] = full.score_units[nxt]
    assert np.all(bound >= want)
    low = np.full(inst.n_needs, np.iinfo(np.int32).max)
    np.minimum.at(low, best.need_index, best.score_units)
    assert np.all(bound <= low)
    exact = bound == 0
    assert np.array_equal(best.free_count[exact], np.where(asked, full.free_count, 0)[exact])


def test_best_candidates_needs_a_positive_count():
    with pytest.raises(ValueError, match="per_need must be at least 1, got 0"):
        best_candidates(_one_pair(1.0), 0)


def test_class_memberships_once_per_class():
    """Two blocks of one volunteer in the same hour give that hour once; none for no blocks."""
    owner = np.array([0, 0, 2])
    start = np.array([540, 580, 60])
    end = np.array([560, 700, 61])
    pointer, classes = class_memberships(owner, start, end, 3, 60)
    assert pointer.tolist() == [0, 3, 3, 4]
    assert classes.tolist() == [9, 10, 11, 1]

"""The lazy path (each need's best pairs, more where the duals ask) against every pair at once."""

from __future__ import annotations

import numpy as np
import pytest

from matching import SCORE_UNITS, Instance, candidates
from matching._assign import b_matching
from matching._candidates import best_candidates
from matching._certify import certify, lexicographic_weight
from matching._lazy import assign
from matching._solve import _solve


def random_instance(
    seed: int, n: int, m: int, ties: bool = False, tight: bool = False, people: bool = False
) -> Instance:
    """Needs and volunteers within a few km; ``ties``: few distinct positions, loads and
    urgencies (many equal scores); ``tight``: little capacity (long augmenting paths);
    ``people``: some persons with several records."""
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 3, (n + m, 2)) * 0.01 if ties else rng.random((n + m, 2)) * 0.04
    lat, lon = 51.5 + grid[:, 0], -0.1 + grid[:, 1]
    windows = rng.integers(1, 3, n)
    wn = np.repeat(np.arange(n), windows)
    day = rng.integers(0, 2, wn.size)
    start = day * 1440 + rng.integers(8, 12, wn.size) * 60
    avail = rng.integers(1, 3, m)
    av = np.repeat(np.arange(m), avail)
    a_day = rng.integers(0, 2, av.size)
    a_start = a_day * 1440 + rng.integers(6, 10, av.size) * 60
    skills = ["a", "b"]
    person = None
    if people:
        person = rng.integers(0, max(m * 2 // 3, 1), m)
    return Instance.from_arrays(
        need_ids=[f"n{i}" for i in range(n)],
        need_lat=lat[:n],
        need_lon=lon[:n],
        need_skills=[tuple(s for s in skills if rng.random() < 0.2) for _ in range(n)],
        volunteers_needed=rng.integers(1, 4, n),
        urgency=rng.choice([0.2, 0.5] if ties else [0.2, 0.5, 0.8, 1.0], n),
        remote_ok=rng.random(n) < 0.05,
        waiting_hours=rng.choice([0.0, 24.0] if ties else [0.0, 3.0, 24.0, 100.0], n),
        window_need=wn,
        window_start=start,
        window_end=start + 60,
        volunteer_ids=[f"v{j}" for j in range(m)],
        volunteer_lat=lat[n:],
        volunteer_lon=lon[n:],
        volunteer_skills=[tuple(s for s in skills if rng.random() < 0.6) for _ in range(m)],
        max_km=rng.choice([2.0, 4.0] if ties else [1.0, 2.0, 3.0, 5.0], m),
        capacity=np.ones(m, dtype=np.int64) if tight else rng.integers(1, 4, m),
        avail_volunteer=av,
        avail_start=a_start,
        avail_end=a_start + 6 * 60,
        load=rng.choice([0, 2] if ties else [0, 1, 2, 5, 10], m),
        exclude_need=rng.integers(0, n, n // 10),
        exclude_volunteer=rng.integers(0, m, n // 10),
        volunteer_person=person,
    )


def outcome(res):
    st = res.stats
    return (
        st["filled_slots"],
        st["total_score"],
        sorted((m.need, m.volunteer, m.score) for m in res.matches),
        [(u.need, u.open_slots, u.reason_code, u.reason) for u in res.unmatched],
    )


CASES = [
    dict(n=60, m=40),
    dict(n=60, m=40, tight=True),
    dict(n=80, m=30, tight=True),
    dict(n=40, m=80),
    dict(n=60, m=60, people=True),
    dict(n=60, m=40, tight=True, people=True),
]


@pytest.mark.parametrize("per_need", [1, 2, 5])
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("seed", range(8))
def test_lazy_equals_every_pair(seed, case, per_need):
    """No ties: the optimum is unique, so the lazy path finds the same pairs and reasons."""
    inst = random_instance(seed, **CASES[case])
    full = _solve(inst, True, None)
    lazy = _solve(inst, True, per_need)
    assert full.stats["certified_optimal"] and lazy.stats["certified_optimal"]
    assert outcome(lazy) == outcome(full)
    assert lazy.stats["pairs_generated"] >= lazy.stats["candidate_pairs"]


@pytest.mark.parametrize("per_need", [1, 3])
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("seed", range(8))
def test_lazy_with_ties_reaches_the_same_optimum(seed, case, per_need):
    """Ties: the same slots and total score; the tie the lazy path picks is optimal on every
    pair (checked by the certificate on the full graph), and the same on every run."""
    inst = random_instance(seed, **CASES[case], ties=True)
    full = _solve(inst, False, None)
    lazy = _solve(inst, True, per_need)
    assert lazy.stats["certified_optimal"]
    assert outcome(lazy)[:2] == outcome(full)[:2]
    # optimal on the full graph, checked with every pair given
    cand = candidates(inst)
    key = {(a, b): k for k, (a, b) in enumerate(zip(cand.need_index, cand.volunteer_index))}
    x = np.zeros(len(cand), dtype=bool)
    x[[key[(a, b)] for a, b in zip(lazy.need_index, lazy.volunteer_index)]] = True
    w = lexicographic_weight(cand.score_units, inst.volunteers_needed, inst.capacity, SCORE_UNITS)
    several = np.unique(inst.volunteer_person).size < inst.n_volunteers
    ok, _, _ = certify(
        cand.need_index,
        cand.volunteer_index,
        w,
        inst.volunteers_needed,
        inst.capacity,
        x,
        person=inst.volunteer_person if several else None,
    )
    assert ok
    again = _solve(inst, False, per_need)
    assert outcome(again) == outcome(lazy)


@pytest.mark.parametrize("seed", range(6))
def test_rounds_settle_every_open_slot_with_all_its_pairs(seed):
    """Needs left with open slots end with every pair (the reasons count them)."""
    inst = random_instance(seed, 80, 30, tight=True)
    cand, chosen, bound, info = assign(inst, SCORE_UNITS, 1, None)
    assert info["rounds"] > 1
    filled = np.bincount(cand.need_index[chosen], minlength=inst.n_needs)
    short = filled < inst.volunteers_needed
    assert short.any() and np.all(bound[short] == 0)
    full = candidates(inst)
    got = np.bincount(cand.need_index, minlength=inst.n_needs)
    want = np.bincount(full.need_index, minlength=inst.n_needs)
    assert np.array_equal(got[short], want[short])


def test_certificate_rejects_a_bound_that_could_improve():
    """One need, two volunteers; the solver saw only the worse pair: the bound of the better
    one left out must fail the certificate, and pass once it cannot beat the pair taken."""
    ni, vi = np.array([0]), np.array([1])
    s = np.array([100])
    demand, capacity = np.array([1]), np.array([1, 1])
    chosen, _ = b_matching(ni, vi, s, demand, capacity, SCORE_UNITS)
    x = np.zeros(1, dtype=bool)
    x[chosen] = True
    w = lexicographic_weight(s, demand, capacity, SCORE_UNITS)
    big = int(w[0] - s[0])
    better = np.array([big + 200])
    assert not certify(ni, vi, w, demand, capacity, x, left_out=better)[0]
    assert certify(ni, vi, w, demand, capacity, x, left_out=np.array([big + 100]))[0]
    # an unfilled slot with any pair left out is never certified
    assert not certify(ni, vi, w, np.array([2]), capacity, x, left_out=np.array([big + 1]))[0]


def test_need_potentials_settle_left_out_pairs():
    """The solver's potentials rule out pairs left out that cannot beat what a need holds."""
    ni, vi, s = np.array([0, 1]), np.array([0, 1]), np.array([500, 400])
    demand, capacity = np.array([1, 2]), np.array([1, 1])
    open_needs = np.array([True, True])
    chosen, info = b_matching(ni, vi, s, demand, capacity, SCORE_UNITS, open_needs=open_needs)
    pi = info["need_potential"]
    assert chosen.tolist() == [0, 1]
    # need 0 holds volunteer 0 at 500: a pair left out scoring at most 500 cannot help,
    # one scoring 501 might
    assert SCORE_UNITS - 500 + pi[0] >= 0 > SCORE_UNITS - 501 + pi[0]
    # need 1 has a slot open: any pair left out of it might fill it
    assert SCORE_UNITS - 1 + pi[1] < 0


def assert_best_pairs(inst: Instance, sizes: tuple[int, ...]) -> None:
    """For each ``per_need``: the best pairs are the first of ``candidates()``, and the bound
    covers every pair left out (at most the units of any pair kept)."""
    full = candidates(inst)
    rank = np.arange(len(full)) - np.searchsorted(full.need_index, full.need_index)
    for per_need in sizes:
        best, bound = best_candidates(inst, per_need)
        first = rank < per_need
        for name in ("need_index", "volunteer_index", "score_units", "distance_km"):
            assert np.array_equal(getattr(best, name), getattr(full, name)[first])
        best_left = np.zeros(inst.n_needs, dtype=np.int64)
        np.maximum.at(best_left, full.need_index[~first], full.score_units[~first])
        assert np.all(bound >= best_left)
        low = np.full(inst.n_needs, SCORE_UNITS + 1)
        np.minimum.at(low, best.need_index, best.score_units)
        assert np.all(bound <= low)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", range(10))
def test_best_pairs_skip_only_what_cannot_make_the_best(seed, ties):
    """Dense instances (many pairs per need, so cells and volunteers are skipped): the best
    pairs are the first of ``candidates()`` and the bound covers every pair left out."""
    inst = random_instance(seed, 30, 300, ties=ties)
    assert_best_pairs(inst, (1, 4, 16))


@pytest.mark.parametrize("seed", range(10))
def test_remote_needs_best_pairs_beyond_reach(seed):
    """Remote needs with most volunteers beyond reach, whose pairs score only the need and
    fairness parts: many equal scores, and loads high enough that different fairness parts
    round to the same units. The best pairs are still the first of ``candidates()``, the
    bound covers every pair left out, and the lazy path reaches the full optimum."""
    rng = np.random.default_rng(seed)
    n, m = 20, 400
    base = random_instance(seed, n, m)
    spread = rng.random((n + m, 2)) * 0.6  # tens of km apart, beyond most reaches
    inst = Instance.from_arrays(
        need_ids=base.need_ids,
        need_lat=51.2 + spread[:n, 0],
        need_lon=-0.4 + spread[:n, 1],
        need_skills=base.need_skills,
        volunteers_needed=base.volunteers_needed,
        urgency=base.urgency,
        remote_ok=rng.random(n) < 0.8,
        waiting_hours=base.waiting_hours,
        window_need=base.window_need,
        window_start=base.window_start,
        window_end=base.window_end,
        volunteer_ids=base.volunteer_ids,
        volunteer_lat=51.2 + spread[n:, 0],
        volunteer_lon=-0.4 + spread[n:, 1],
        volunteer_skills=base.volunteer_skills,
        max_km=rng.choice([2.0, 5.0, 10.0], m),
        capacity=rng.integers(1, 3, m),
        avail_volunteer=base.avail_volunteer,
        avail_start=base.avail_start,
        avail_end=base.avail_end,
        load=rng.choice([0, 1, 300, 301, 302, 303, 304, 305, 306, 307], m),
        exclude_need=rng.integers(0, n, n),
        exclude_volunteer=rng.integers(0, m, n),
    )
    assert_best_pairs(inst, (1, 3, 16))
    every = _solve(inst, False, None)
    lazy = _solve(inst, True, 2)
    assert lazy.stats["certified_optimal"]
    assert outcome(lazy)[:2] == outcome(every)[:2]

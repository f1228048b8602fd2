"""The assignment's packed arcs and its reasons found alongside it.

The searches keep each arc's cost, head and flow in one word and, beside
every arc carrying flow into a node, its cost and tail; these tests drive
the parts of that bookkeeping that ordinary graphs touch rarely: arcs leaving
and re-entering a record of capacity above 1 in one augmenting path, (need,
person) nodes on long paths, the highest score bound the packing allows, and
the reasons' facts found in a second thread while the assignment is solved.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_matching_assign import Q, check, reference
from test_matching_lazy import CASES, outcome, random_instance

from matching import candidates, solve
from matching._assign import b_matching
from matching._certify import certify, lexicographic_weight
from matching._scoring import chord_to_km
from matching._solve import _facts, _reasons


def ladder(k, cap):
    """Needs ``0..k-1``; need ``i`` likes record ``i`` best and record ``i - 1`` next, the
    last need also a record nobody else wants. Records have capacity ``cap``: routed in
    order, later needs push earlier ones back along the ladder, through records that lose
    and gain an arc in the same path while other arcs still carry flow into them."""
    ni = np.r_[np.arange(k), np.arange(1, k), [k - 1]]
    vi = np.r_[np.arange(k), np.arange(k - 1), [k]]
    s = np.r_[np.full(k, 9000), np.full(k - 1, 8000), [100]]
    return ni, vi, s


@pytest.mark.parametrize("cap", [1, 2, 3])
@pytest.mark.parametrize("k", [3, 40, 300])
def test_ladders_of_capacity_above_one(k, cap):
    ni, vi, s = ladder(k, cap)
    demand = np.full(k, 2, dtype=np.int64)
    capacity = np.full(k + 1, cap, dtype=np.int64)
    # a few more needs on the same records, wanting many: records fill and refill
    extra = np.arange(0, k, 3)
    ni = np.r_[ni, k + np.arange(extra.size)]
    vi = np.r_[vi, extra]
    s = np.r_[s, np.full(extra.size, 8500)]
    demand = np.r_[demand, np.full(extra.size, 3)]
    check(ni, vi, s, demand, capacity)


@pytest.mark.parametrize("seed", range(15))
def test_long_paths_through_people_with_several_records(seed):
    # a chain of needs where every person has two records next to each other: (need, person)
    # nodes sit on the long augmenting paths, and a need cannot take both of one person
    rng = np.random.default_rng(500 + seed)
    k = int(rng.integers(5, 60))
    ni = np.r_[np.arange(k - 1), np.arange(k), np.arange(k)]
    vi = np.r_[np.arange(1, k), np.arange(k), (np.arange(k) + 2) % (k + 1)]
    keep = rng.random(ni.size) < 0.9
    pairs = np.unique(np.c_[ni[keep], vi[keep]], axis=0)
    ni, vi = pairs[:, 0], pairs[:, 1]
    s = rng.integers(1, 4, ni.size) * (Q // 4) if seed % 2 else rng.integers(1, Q, ni.size)
    demand = rng.integers(1, 3, k)
    capacity = rng.integers(1, 3, k + 1)
    person = np.arange(k + 1) // 2
    check(ni, vi, s, demand, capacity, person)


def test_highest_score_bound_packs_exactly():
    # costs up to q - 1 must survive the sort key and the packing of cost, flow and head
    rng = np.random.default_rng(4)
    n, m, q = 30, 25, 2**23
    mask = rng.random((n, m)) < 0.2
    ni, vi = np.nonzero(mask)
    s = rng.integers(1, q, ni.size)
    demand = rng.integers(1, 3, n)
    capacity = rng.integers(1, 3, m)
    chosen, _ = b_matching(ni, vi, s, demand, capacity, q)
    x = np.zeros(ni.size, dtype=bool)
    x[chosen] = True
    w = lexicographic_weight(s, demand, capacity, q)
    assert certify(ni, vi, w, demand, capacity, x)[0]
    assert chosen.size == reference(ni, vi, rng.integers(1, Q, ni.size), demand, capacity)[0]
    with pytest.raises(ValueError):
        b_matching(ni, vi, s, demand, capacity, 2**23 + 1)


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("seed", range(4))
def test_reasons_found_alongside_equal_reasons_found_after(seed, case):
    inst = random_instance(seed, **CASES[case])
    res = solve(inst)
    cand = candidates(inst)
    filled = np.bincount(np.asarray(res.need_index, dtype=np.int64), minlength=inst.n_needs)
    after = _reasons(inst, cand, filled)
    given = _reasons(inst, cand, filled, facts=_facts(inst, cand))
    key = [(u.need, u.open_slots, u.reason_code, u.reason) for u in after]
    assert key == [(u.need, u.open_slots, u.reason_code, u.reason) for u in res.unmatched]
    assert key == [(u.need, u.open_slots, u.reason_code, u.reason) for u in given]
    # and the whole result is the same on a second run (the thread changes nothing)
    assert outcome(solve(inst)) == outcome(res)


def test_chord_to_km_in_place_equals_the_expression():
    rng = np.random.default_rng(7)
    chord = np.r_[rng.random(1000) * 0.01, rng.random(100) * 2.5, [0.0, 2.0, 3.0]]
    out = np.empty_like(chord)
    assert chord_to_km(chord, out=out) is out
    assert np.array_equal(out, chord_to_km(chord))

"""The optimality certificate: it accepts exactly the optimal assignments."""

from __future__ import annotations

import numpy as np
import pytest
from test_matching_assign import Q, random_graph, reference  # same directory, on sys.path

from matching import parse_instance, solve
from matching._assign import b_matching
from matching._certify import certify, lexicographic_weight, potentials


def random_feasible(rng, ni, vi, demand, capacity):
    """A maximal assignment built in random order: often, not always, optimal."""
    left_n, left_v = demand.copy(), capacity.copy()
    x = np.zeros(ni.size, dtype=bool)
    for p in rng.permutation(ni.size):
        if left_n[ni[p]] and left_v[vi[p]] and rng.random() < 0.9:
            x[p] = True
            left_n[ni[p]] -= 1
            left_v[vi[p]] -= 1
    return x


def objective(x, s):
    return int(x.sum()), int(s[x].sum())


@pytest.mark.parametrize("seed", range(60))
def test_certify_accepts_exactly_the_optimal_assignments(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 12)), int(rng.integers(1, 12))
    ni, vi, s, demand, capacity = random_graph(
        rng, n, m, float(rng.uniform(0.1, 0.6)), ties=seed % 3 == 0
    )
    w = lexicographic_weight(s, demand, capacity, Q)
    best = reference(ni, vi, s, demand, capacity)
    x = random_feasible(rng, ni, vi, demand, capacity)
    ok, _, _ = certify(ni, vi, w, demand, capacity, x)
    assert ok == (objective(x, s) == best)
    chosen, _ = b_matching(ni, vi, s, demand, capacity, Q)
    y = np.zeros(ni.size, dtype=bool)
    y[chosen] = True
    assert certify(ni, vi, w, demand, capacity, y)[0]


def test_certify_rejects_greedy_that_blocks_a_slot():
    # n0 likes v0 best, but v0 is n1's only volunteer: greedy fills one slot, the optimum two
    ni, vi = np.array([0, 0, 1]), np.array([0, 1, 0])
    s = np.array([9000, 8000, 5000])
    one = np.ones(2, dtype=np.int64)
    w = lexicographic_weight(s, one, one, Q)
    greedy = np.array([True, False, False])
    assert certify(ni, vi, w, one, one, greedy)[0] is False
    assert potentials(ni, vi, w, one, one, greedy)[0] is None
    best = np.array([False, True, True])
    assert certify(ni, vi, w, one, one, best)[0] is True


def test_certify_finds_the_pairs_a_restricted_solve_missed():
    rng = np.random.default_rng(7)
    ni, vi, s, demand, capacity = random_graph(rng, 30, 30, 0.25, ties=False)
    w = lexicographic_weight(s, demand, capacity, Q)
    seen = rng.random(ni.size) < 0.6
    e, o = np.flatnonzero(seen), np.flatnonzero(~seen)
    chosen, _ = b_matching(ni[e], vi[e], s[e], demand, capacity, Q)
    x = np.zeros(e.size, dtype=bool)
    x[chosen] = True
    ok, improving, _ = certify(ni[e], vi[e], w[e], demand, capacity, x, extra=(ni[o], vi[o], w[o]))
    restricted_best = objective(x, s[e])
    assert ok == (restricted_best == reference(ni, vi, s, demand, capacity))
    assert not ok and improving.size > 0
    # adding the improving pairs and solving again gets closer, never further
    keep = np.r_[e, o[improving]]
    chosen2, _ = b_matching(ni[keep], vi[keep], s[keep], demand, capacity, Q)
    assert (chosen2.size, int(s[keep][chosen2].sum())) > restricted_best


def test_certify_empty_assignment():
    ni = vi = np.zeros(0, dtype=np.int64)
    one = np.ones(1, dtype=np.int64)
    ok, improving, _ = certify(
        ni, vi, np.zeros(0, dtype=np.int64), one, one, np.zeros(0, dtype=bool)
    )
    assert ok and improving.size == 0


def test_solve_reports_the_certificate(create_need, create_volunteer):
    inst = parse_instance(
        {
            "needs": [create_need("n1"), create_need("n2", volunteers_needed=2)],
            "volunteers": [create_volunteer("v1", capacity=2), create_volunteer("v2")],
        }
    )
    res = solve(inst, certify=True)
    assert res.stats["certified_optimal"] is True
    assert "certificate" in res.stats["seconds"]
    assert "certified_optimal" not in solve(inst).stats


@pytest.mark.parametrize("seed", range(40))
def test_certify_with_people_accepts_exactly_the_optimal_assignments(seed):
    from test_matching_assign import ortools_reference

    rng = np.random.default_rng(700 + seed)
    n, m = int(rng.integers(1, 12)), int(rng.integers(2, 14))
    ni, vi, s, demand, capacity = random_graph(
        rng, n, m, float(rng.uniform(0.2, 0.7)), ties=seed % 3 == 0
    )
    person = rng.integers(0, max(1, m // 2), m)
    w = lexicographic_weight(s, demand, capacity, Q)
    best = ortools_reference(ni, vi, s, demand, capacity, person)
    # a random maximal assignment that respects people
    left_n, left_v = demand.copy(), capacity.copy()
    taken = set()
    x = np.zeros(ni.size, dtype=bool)
    for p in rng.permutation(ni.size):
        key = (ni[p], person[vi[p]])
        if left_n[ni[p]] and left_v[vi[p]] and key not in taken and rng.random() < 0.9:
            x[p] = True
            taken.add(key)
            left_n[ni[p]] -= 1
            left_v[vi[p]] -= 1
    ok, _, _ = certify(ni, vi, w, demand, capacity, x, person=person)
    assert ok == (objective(x, s) == best)
    chosen, _ = b_matching(ni, vi, s, demand, capacity, Q, person=person)
    y = np.zeros(ni.size, dtype=bool)
    y[chosen] = True
    assert certify(ni, vi, w, demand, capacity, y, person=person)[0]


def test_certify_rejects_one_person_twice_for_a_need():
    # records 0 and 1 are one person; the need wants two volunteers
    ni, vi = np.array([0, 0, 0]), np.array([0, 1, 2])
    s = np.array([9000, 8000, 100])
    demand, capacity = np.array([2]), np.ones(3, dtype=np.int64)
    person = np.array([5, 5, 6])
    w = lexicographic_weight(s, demand, capacity, Q)
    twice = np.array([True, True, False])
    assert certify(ni, vi, w, demand, capacity, twice)[0] is True  # without people: optimal
    assert certify(ni, vi, w, demand, capacity, twice, person=person)[0] is False
    assert potentials(ni, vi, w, demand, capacity, twice, person=person)[0] is None
    best = np.array([True, False, True])
    assert certify(ni, vi, w, demand, capacity, best, person=person)[0] is True
    # the other record of the same person instead: feasible but not optimal
    worse = np.array([False, True, True])
    assert certify(ni, vi, w, demand, capacity, worse, person=person)[0] is False


def test_certify_rejects_more_than_the_slots_or_the_capacity():
    ni, vi = np.array([0, 0, 1]), np.array([0, 1, 0])
    s = np.array([9000, 8000, 5000])
    one = np.ones(2, dtype=np.int64)
    w = lexicographic_weight(s, one, one, Q)
    assert certify(ni, vi, w, one, one, np.array([True, True, False]))[0] is False
    assert certify(ni, vi, w, one, one, np.array([True, False, True]))[0] is False


def test_solve_certifies_with_people(create_need, create_volunteer):
    inst = parse_instance(
        {
            "needs": [create_need("n1", volunteers_needed=2), create_need("n2")],
            "volunteers": [
                create_volunteer("v1", person="tess", capacity=2),
                create_volunteer("v2", person="tess"),
                create_volunteer("v3", lat=51.51),
            ],
        }
    )
    res = solve(inst, certify=True)
    assert res.stats["certified_optimal"] is True
    got = {(m.need, m.volunteer) for m in res.matches}
    assert len(got) == 3 and ("n1", "v3") in got
    assert len({v for n, v in got if n == "n1"} & {"v1", "v2"}) == 1

"""The assignment stage on random graphs against an integer program (HiGHS ``milp``)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from matching._assign import b_matching

Q = 10_000


def reference(ni, vi, s, demand, capacity):
    p = ni.size
    if p == 0:
        return 0, 0
    big = (p + 1) * Q
    rows = np.r_[ni, demand.size + vi]
    a = coo_array(
        (np.ones(2 * p), (rows, np.r_[np.arange(p), np.arange(p)])),
        shape=(demand.size + capacity.size, p),
    ).tocsr()
    res = milp(
        -(big + s.astype(float)),
        integrality=np.ones(p),
        constraints=LinearConstraint(a, 0, np.r_[demand, capacity]),
        bounds=Bounds(0, 1),
    )
    x = np.rint(res.x).astype(bool)
    return int(x.sum()), int(s[x].sum())


def random_graph(rng, n, m, density, ties):
    mask = rng.random((n, m)) < density
    ni, vi = np.nonzero(mask)
    s = rng.integers(1, 4 if ties else Q, ni.size) * (Q // 4 if ties else 1)
    demand = rng.integers(1, 4, n)
    capacity = rng.integers(1, 4, m)
    return ni.astype(np.int64), vi.astype(np.int64), s.astype(np.int64), demand, capacity


@pytest.mark.parametrize("seed", range(40))
def test_b_matching_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    ni, vi, s, demand, capacity = random_graph(
        rng, n, m, float(rng.uniform(0.02, 0.4)), ties=seed % 3 == 0
    )
    chosen, _ = b_matching(ni, vi, s, demand, capacity, Q)
    assert np.unique(chosen).size == chosen.size
    assert np.all(np.bincount(ni[chosen], minlength=n) <= demand)
    assert np.all(np.bincount(vi[chosen], minlength=m) <= capacity)
    assert (chosen.size, int(s[chosen].sum())) == reference(ni, vi, s, demand, capacity)


def test_b_matching_is_deterministic():
    rng = np.random.default_rng(99)
    ni, vi, s, demand, capacity = random_graph(rng, 60, 50, 0.2, ties=True)
    first, _ = b_matching(ni, vi, s, demand, capacity, Q)
    for _ in range(3):
        again, _ = b_matching(ni, vi, s, demand, capacity, Q)
        assert np.array_equal(first, again)


@pytest.mark.parametrize("seed", range(12))
def test_b_matching_split_into_components_is_optimal(seed):
    # several independent blocks in one graph
    rng = np.random.default_rng(1000 + seed)
    parts, n, m = [], 0, 0
    for _ in range(int(rng.integers(2, 7))):
        bn, bm = int(rng.integers(2, 9)), int(rng.integers(2, 9))
        ni, vi, s, demand, capacity = random_graph(
            rng, bn, bm, float(rng.uniform(0.2, 0.6)), ties=seed % 2 == 0
        )
        parts.append((ni + n, vi + m, s, demand, capacity))
        n, m = n + bn, m + bm
    ni, vi, s, demand, capacity = (np.concatenate(x) for x in zip(*parts))
    chosen, _ = b_matching(ni, vi, s, demand, capacity, Q)
    assert np.unique(chosen).size == chosen.size
    assert np.all(np.bincount(ni[chosen], minlength=n) <= demand)
    assert np.all(np.bincount(vi[chosen], minlength=m) <= capacity)
    assert (chosen.size, int(s[chosen].sum())) == reference(ni, vi, s, demand, capacity)
    again, _ = b_matching(ni, vi, s, demand, capacity, Q)
    assert np.array_equal(chosen, again)


# --------------------------------------------------------------------------
# against OR-Tools' min-cost flow, with people who have several records
# --------------------------------------------------------------------------


def ortools_reference(ni, vi, s, demand, capacity, person=None):
    """(filled slots, total score) by OR-Tools' min-cost flow on the network with a
    (need, person) node per pair of a need and a person, capacity 1."""
    from ortools.graph.python import min_cost_flow

    n, m = demand.size, capacity.size
    person = np.arange(m) if person is None else np.asarray(person)
    f = min_cost_flow.SimpleMinCostFlow()
    src, snk = n + m, n + m + 1
    total = int(demand.sum())
    big = (total + 1) * Q
    for i in range(n):
        f.add_arc_with_capacity_and_unit_cost(src, i, int(demand[i]), 0)
    for j in range(m):
        f.add_arc_with_capacity_and_unit_cost(n + j, snk, int(capacity[j]), 0)
    nodes: dict = {}
    arcs = []
    for a, b, w in zip(ni.tolist(), vi.tolist(), s.tolist()):
        key = (a, int(person[b]))
        if key not in nodes:
            nodes[key] = n + m + 2 + len(nodes)
            f.add_arc_with_capacity_and_unit_cost(a, nodes[key], 1, 0)
        arcs.append(f.add_arc_with_capacity_and_unit_cost(nodes[key], n + b, 1, -(big + w)))
    f.add_arc_with_capacity_and_unit_cost(src, snk, total, 0)
    f.set_node_supply(src, total)
    f.set_node_supply(snk, -total)
    assert f.solve() == f.OPTIMAL
    x = np.array([f.flow(a) for a in arcs], dtype=bool)
    return int(x.sum()), int(s[x].sum()) if x.size else 0


def check(ni, vi, s, demand, capacity, person=None, order=None):
    """The solver's pairs are feasible, distinct people per need, and optimal."""
    chosen, _ = b_matching(ni, vi, s, demand, capacity, Q, person=person, order=order)
    assert np.unique(chosen).size == chosen.size
    assert np.all(np.bincount(ni[chosen], minlength=demand.size) <= demand)
    assert np.all(np.bincount(vi[chosen], minlength=capacity.size) <= capacity)
    who = vi if person is None else np.asarray(person)[vi]
    key = ni[chosen] * (int(who.max(initial=0)) + 1) + who[chosen]
    assert np.unique(key).size == key.size, "a need got one person twice"
    assert (chosen.size, int(s[chosen].sum())) == ortools_reference(
        ni, vi, s, demand, capacity, person
    )
    return chosen


@pytest.mark.parametrize("seed", range(60))
def test_b_matching_with_people_is_optimal(seed):
    rng = np.random.default_rng(5000 + seed)
    n, m = int(rng.integers(1, 30)), int(rng.integers(1, 30))
    ni, vi, s, demand, capacity = random_graph(
        rng, n, m, float(rng.uniform(0.05, 0.6)), ties=seed % 3 == 0
    )
    person = rng.integers(0, max(1, m // int(rng.integers(1, 4))), m)  # 1-3 records a person
    check(ni, vi, s, demand, capacity, person)


def test_people_with_several_records_fill_a_need_once_each():
    # needs 0 and 1 want 3 volunteers; records 0-2 are one person, 3-4 another, 5 a third
    # (who can help twice)
    ni = np.repeat([0, 1], 6)
    vi = np.tile(np.arange(6), 2)
    s = np.array([9000, 8900, 8800, 5000, 4900, 1000] * 2)
    person = np.array([7, 7, 7, 3, 3, 11])
    demand = np.array([3, 3])
    capacity = np.array([1, 1, 1, 1, 1, 2])
    chosen = check(ni, vi, s, demand, capacity, person)
    # six records and three people: each need gets three people, one record of each
    assert chosen.size == 6
    for need in (0, 1):
        assert sorted(person[vi[chosen[ni[chosen] == need]]].tolist()) == [3, 7, 11]


def test_a_need_with_more_slots_than_suitable_people():
    # five slots, four records, but only two people
    ni = np.zeros(4, dtype=np.int64)
    vi = np.arange(4)
    s = np.array([100, 200, 300, 400])
    person = np.array([0, 0, 1, 1])
    chosen = check(ni, vi, s, np.array([5]), np.ones(4, dtype=np.int64), person)
    assert vi[chosen].tolist() == [1, 3]  # each person's better record


def test_empty_inputs():
    e = np.zeros(0, dtype=np.int64)
    for demand, capacity in ((e, e), (np.array([2]), e), (e, np.array([1])), ([1, 1], [2])):
        chosen, _ = b_matching(e, e, e, np.asarray(demand), np.asarray(capacity), Q)
        assert chosen.size == 0
    chosen, _ = b_matching(e, e, e, np.array([1]), np.array([1]), Q, person=np.array([0]))
    assert chosen.size == 0


def test_ties_everywhere_are_optimal_and_deterministic():
    rng = np.random.default_rng(3)
    ni, vi, s, demand, capacity = random_graph(rng, 40, 40, 0.3, ties=True)
    s[:] = Q // 2
    person = rng.integers(0, 25, 40)
    first = check(ni, vi, s, demand, capacity, person)
    for _ in range(3):
        again, _ = b_matching(ni, vi, s, demand, capacity, Q, person=person)
        assert np.array_equal(first, again)


def chain(k):
    """Need i likes record i + 1 best and record i next; the last need has only record k - 1.

    Routed in order, every need takes the record it likes best, and the last need's slot
    then needs the augmenting path through the whole chain: every need moves back by one."""
    ni = np.r_[np.arange(k - 1), np.arange(k)]
    vi = np.r_[np.arange(1, k), np.arange(k)]
    s = np.r_[np.full(k - 1, 9000), np.full(k, 8000)]
    return ni, vi, s


@pytest.mark.parametrize("k", [2, 5, 50, 400])
def test_tight_capacity_long_augmenting_paths(k):
    # k needs and k records in a chain, every capacity 1: the optimum fills every slot
    ni, vi, s = chain(k)
    one = np.ones(k, dtype=np.int64)
    chosen = check(ni, vi, s, one, one)
    assert chosen.size == k and np.array_equal(ni[chosen], vi[chosen])
    # several chains side by side, sharing nothing
    parts = [(ni + k * c, vi + k * c, s) for c in range(3)]
    ni3, vi3, s3 = (np.concatenate(x) for x in zip(*parts))
    one = np.ones(3 * k, dtype=np.int64)
    assert check(ni3, vi3, s3, one, one).size == 3 * k


@pytest.mark.parametrize("seed", range(20))
def test_tight_capacity_random_graphs(seed):
    # scarce volunteers with capacity 1, needs wanting several, sparse: long alternating paths
    rng = np.random.default_rng(9000 + seed)
    n, m = int(rng.integers(20, 80)), int(rng.integers(20, 80))
    mask = rng.random((n, m)) < 3.0 / m
    ni, vi = np.nonzero(mask)
    s = rng.integers(1, Q, ni.size)
    demand = rng.integers(1, 4, n)
    capacity = np.ones(m, dtype=np.int64)
    person = np.arange(m) // (1 + seed % 2)
    check(ni.astype(np.int64), vi.astype(np.int64), s, demand, capacity, person)


@pytest.mark.parametrize("seed", range(30))
def test_any_search_order_is_optimal(seed):
    # the needs' searches in a shuffled or reversed order: another optimum, as good
    rng = np.random.default_rng(12_000 + seed)
    n, m = int(rng.integers(2, 40)), int(rng.integers(1, 40))
    if seed % 2:
        mask = rng.random((n, m)) < 3.0 / m  # scarce: long alternating paths
        ni, vi = (x.astype(np.int64) for x in np.nonzero(mask))
        s = rng.integers(1, Q, ni.size)
        demand, capacity = rng.integers(1, 4, n), np.ones(m, dtype=np.int64)
    else:
        ni, vi, s, demand, capacity = random_graph(rng, n, m, 0.3, ties=seed % 3 == 0)
    person = rng.integers(0, max(1, m // 2), m)
    order = rng.permutation(n) if seed % 3 else np.arange(n)[::-1]
    chosen = check(ni, vi, s, demand, capacity, person, order=order)
    again, _ = b_matching(ni, vi, s, demand, capacity, Q, person=person, order=order)
    assert np.array_equal(chosen, again)


def test_reversed_chain_is_optimal():
    k = 200
    ni, vi, s = chain(k)
    one = np.ones(k, dtype=np.int64)
    chosen = check(ni, vi, s, one, one, order=np.arange(k)[::-1])
    assert chosen.size == k


def test_an_order_of_the_wrong_length_is_refused():
    ni, vi, s = chain(3)
    one = np.ones(3, dtype=np.int64)
    with pytest.raises(ValueError, match="order must list the 3 needs, got shape \\(2,\\)"):
        b_matching(ni, vi, s, one, one, Q, order=np.array([0, 1]))

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

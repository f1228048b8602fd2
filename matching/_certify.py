"""A proof that an assignment is optimal: dual prices with no improving pair.

The assignment is a maximum-weight b-matching with weight ``M + score`` per
pair (``M`` larger than any total score, so filling one more slot always
wins). As a min-cost circulation it has nodes source, needs, volunteers and
sink; arcs source -> need (capacity = slots), need -> volunteer (capacity 1,
cost ``-(M + score)``), volunteer -> sink (capacity = slots) and sink ->
source (free). When a person has several volunteer records among one need's
pairs, those pairs leave from a (need, person) node fed by one arc need ->
(need, person) of capacity 1, so the need gets that person at most once. A
flow is optimal exactly when its residual graph has no
negative cycle (Klein's criterion), and then shortest-path distances from a
virtual root joined to every node are potentials ``pi`` under which every
residual arc has a non-negative reduced cost ``cost + pi[tail] - pi[head]``.

:func:`certify` computes those distances with a frontier Bellman-Ford whose
every round is a few vectorised numpy operations over the arcs leaving the
nodes that improved in the round before; on an optimal flow the rounds are
as many as the arcs of the longest shortest path (about 125 on a 10k x 10k
city group with 3 M pairs, 1.6 s). It then checks every residual
arc, including the pairs of a larger candidate graph that the solver never
saw, so it is also how a solver that looked at a subset of the pairs proves
that the rest could not have improved the result. It shares no code with the
solver (:mod:`matching._assign`), and checks the assignment's feasibility
(slots, capacities, distinct people) before anything else.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from ._arrays import ranges

__all__ = ["certify", "feasible", "lexicographic_weight"]

_CYCLE_CHECK = 32  # rounds between looks for a cycle among the predecessors


def lexicographic_weight(
    score: np.ndarray, demand: np.ndarray, capacity: np.ndarray, q: int
) -> np.ndarray:
    """Pair weights ``M + score`` with ``M`` above any achievable total score."""
    big = (min(int(demand.sum()), int(capacity.sum())) + 1) * int(q)
    return big + np.asarray(score, dtype=np.int64)


def potentials(
    ni: np.ndarray,
    vi: np.ndarray,
    weight: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    chosen: np.ndarray,
    max_rounds: int | None = None,
    person: np.ndarray | None = None,
    left_out: np.ndarray | None = None,
) -> tuple[np.ndarray | None, int]:
    """Shortest-path potentials of the residual graph of ``chosen``.

    Parameters
    ----------
    ni, vi : ndarray of int
        Need and volunteer of every pair the assignment was chosen from.
    weight : ndarray of int64
        Pair weights (larger is better).
    demand, capacity : ndarray of int
        Slots of every need and volunteer.
    chosen : ndarray of bool
        The assignment, one flag per pair.
    max_rounds : int, optional
        Give up after this many rounds (default: the number of nodes plus
        one, enough for any graph without a negative cycle).
    person : ndarray of int, optional
        The person of every volunteer (default: each its own person).
    left_out : ndarray of int64, optional
        Per need, the highest weight of its pairs *not* given (0 or less:
        none). The graph then also has, for each such need, an arc to a node
        from which every volunteer is reachable at no cost: a need may take
        any volunteer at that weight. Potentials of that graph prove that no
        pair left out could improve ``chosen`` (see Notes of :func:`certify`).

    Returns
    -------
    pi : ndarray of int64 or None
        Potentials of needs ``0..n-1``, volunteers ``n..n+m-1``, source
        ``n+m``, sink ``n+m+1``, then the (need, person) nodes (and with
        ``left_out``, two more nodes); None when
        a negative cycle exists, i.e. the assignment is not optimal on these
        pairs, or when the assignment is not feasible.
    rounds : int
        Bellman-Ford rounds run.
    """
    n, m = demand.size, capacity.size
    s, t = n + m, n + m + 1
    x = np.asarray(chosen, dtype=bool)
    ni = np.asarray(ni, dtype=np.int64)
    vi = np.asarray(vi, dtype=np.int64) + n
    if not feasible(ni, vi - n, demand, capacity, x, person):
        return None, 0
    fn = np.bincount(ni[x], minlength=n)
    fv = np.bincount(vi[x] - n, minlength=m)
    # pairs of a (need, person) with several records leave from that pair's own node
    tail_of = ni.copy()
    g_tail = g_head = g_cost = np.zeros(0, dtype=np.int64)
    n_groups = 0
    if person is not None and ni.size:
        who = np.asarray(person, dtype=np.int64)
        key = ni * (int(who.max()) + 1) + who[vi - n]
        _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        grouped = cnt[inv] > 1
        ids = np.cumsum(cnt > 1) - 1
        node = n + m + 2 + ids[inv[grouped]]
        tail_of[grouped] = node
        n_groups = int(np.count_nonzero(cnt > 1))
        g_node = np.arange(n_groups) + n + m + 2
        g_need = np.zeros(n_groups, dtype=np.int64)
        g_need[node - n - m - 2] = ni[grouped]
        g_used = np.bincount(node[x[grouped]] - n - m - 2, minlength=n_groups) > 0
        # need -> (need, person) while unused, the reverse once used; cost 0
        g_tail = np.where(g_used, g_node, g_need)
        g_head = np.where(g_used, g_need, g_node)
        g_cost = np.zeros(n_groups, dtype=np.int64)
    N = n + m + 2 + n_groups
    lo_tail = lo_head = lo_cost = np.zeros(0, dtype=np.int64)
    if left_out is not None:
        # any volunteer at the need's bound: need -> z (-bound), z -> each volunteer of the
        # pairs, z -> w -> sink standing for the volunteers of no pair (each has room and
        # no arc but the one to the sink)
        z, w_node = N, N + 1
        N += 2
        lo = np.asarray(left_out, dtype=np.int64)
        cut = np.flatnonzero(lo > 0)
        seen = np.unique(vi)
        lo_tail = np.concatenate((cut, np.full(seen.size + 1, z), [w_node]))
        lo_head = np.concatenate((np.full(cut.size, z), seen, [w_node, t]))
        lo_cost = np.concatenate((-lo[cut], np.zeros(seen.size + 2, dtype=np.int64)))
    need_open = np.flatnonzero(fn < demand)
    need_used = np.flatnonzero(fn > 0)
    vol_open = np.flatnonzero(fv < capacity) + n
    vol_used = np.flatnonzero(fv > 0) + n
    w = np.asarray(weight, dtype=np.int64)
    tails = np.concatenate(
        (
            np.full(need_open.size, s),
            need_used,
            tail_of[~x],
            vi[x],
            vol_open,
            np.full(vol_used.size, t),
            g_tail,
            lo_tail,
            [t, s],
        )
    )
    heads = np.concatenate(
        (
            need_open,
            np.full(need_used.size, s),
            vi[~x],
            tail_of[x],
            np.full(vol_open.size, t),
            vol_used,
            g_head,
            lo_head,
            [s, t],
        )
    )
    costs = np.concatenate(
        (
            np.zeros(need_open.size + need_used.size, dtype=np.int64),
            -w[~x],
            w[x],
            np.zeros(vol_open.size + vol_used.size, dtype=np.int64),
            g_cost,
            lo_cost,
            np.zeros(2, dtype=np.int64),
        )
    )
    if not x.any():
        # the sink -> source arc carries no flow, so its reverse (last) is not residual
        tails, heads, costs = tails[:-1], heads[:-1], costs[:-1]
    order = np.argsort(tails, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    ptr = np.r_[0, np.cumsum(np.bincount(tails, minlength=N))]
    dist = np.zeros(N, dtype=np.int64)
    pred = np.full(N, -1, dtype=np.int64)
    front = np.arange(N)
    limit = N + 1 if max_rounds is None else max_rounds
    rounds = 0
    while front.size:
        if rounds >= limit:
            return None, rounds
        rounds += 1
        idx = ranges(ptr[front], ptr[front + 1])
        nd = dist[tails[idx]] + costs[idx]
        h = heads[idx]
        better = nd < dist[h]
        if not better.any():
            break
        h, nd, tl = h[better], nd[better], tails[idx[better]]
        order = np.lexsort((nd, h))
        h, nd, tl = h[order], nd[order], tl[order]
        first = np.r_[True, h[1:] != h[:-1]]
        front = h[first]
        dist[front] = nd[first]
        pred[front] = tl[first]
        if rounds % _CYCLE_CHECK == 0 and _has_cycle(pred):
            # a cycle among Bellman-Ford predecessors has negative cost
            return None, rounds
    return dist, rounds


def feasible(
    ni: np.ndarray,
    vi: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    chosen: np.ndarray,
    person: np.ndarray | None = None,
) -> bool:
    """Whether ``chosen`` respects every slot count, capacity and distinct person."""
    x = np.asarray(chosen, dtype=bool)
    a = np.asarray(ni, dtype=np.int64)[x]
    b = np.asarray(vi, dtype=np.int64)[x]
    if np.any(np.bincount(a, minlength=demand.size) > demand):
        return False
    if np.any(np.bincount(b, minlength=capacity.size) > capacity):
        return False
    who = b if person is None else np.asarray(person, dtype=np.int64)[b]
    key = a * (int(who.max(initial=0)) + 1) + who
    return bool(np.unique(key).size == key.size)


def _has_cycle(pred: np.ndarray) -> bool:
    """Whether the predecessor links (one per node, -1 for none) close a cycle."""
    has = np.flatnonzero(pred >= 0)
    if np.any(pred[has] == has):
        return True
    g = csr_array(
        (np.ones(has.size, dtype=np.int8), (has, pred[has])), shape=(pred.size, pred.size)
    )
    _, label = connected_components(g, directed=True, connection="strong")
    return bool(np.bincount(label).max() > 1)


def certify(
    ni: np.ndarray,
    vi: np.ndarray,
    weight: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    chosen: np.ndarray,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    person: np.ndarray | None = None,
    left_out: np.ndarray | None = None,
) -> tuple[bool, np.ndarray | None, int]:
    """Whether ``chosen`` is optimal, with the pairs that could improve it.

    Parameters
    ----------
    ni, vi, weight, demand, capacity, chosen
        As for :func:`potentials`.
    extra : (ndarray, ndarray, ndarray), optional
        Need, volunteer and weight of further pairs, none chosen, that the
        assignment did not consider; they are checked against the potentials
        as direct need -> volunteer arcs (with ``person``, a conservative
        check: a pair it reports may still be unable to improve the result).
    person : ndarray of int, optional
        The person of every volunteer (default: each its own person).
    left_out : ndarray of int64, optional
        Per need, an upper bound on the weight of its feasible pairs that are
        neither given nor in ``extra`` (0 or less: none), as
        :func:`potentials` takes it.

    Returns
    -------
    optimal : bool
        True when the assignment is feasible and no pair, given, extra or
        left out, has a negative reduced cost.
    improving : ndarray of int or None
        Indices into ``extra`` of the pairs with a negative reduced cost
        (None when the assignment is infeasible or not even optimal on its
        own pairs).
    rounds : int
        Bellman-Ford rounds.

    Notes
    -----
    With ``left_out``, the graph checked is a relaxation of the full one: a
    need may take *any* volunteer (even one it could not reach, and a person
    it already has) at its bound. An assignment optimal there is optimal on
    every pair, since the full graph's assignments are among the
    relaxation's and ``chosen`` is one of them.
    """
    pi, rounds = potentials(
        ni, vi, weight, demand, capacity, chosen, person=person, left_out=left_out
    )
    if pi is None:
        return False, None, rounds
    if extra is None:
        return True, np.zeros(0, dtype=np.int64), rounds
    en, ev, ew = (np.asarray(a) for a in extra)
    reduced = pi[en.astype(np.int64)] - pi[ev.astype(np.int64) + demand.size] - ew.astype(np.int64)
    improving = np.flatnonzero(reduced < 0)
    return improving.size == 0, improving, rounds

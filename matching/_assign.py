"""The optimal capacitated assignment (bipartite b-matching) on the candidate graph.

Objective, lexicographic: most filled slots, then highest total score.

The candidate graph is split into connected components. A component with a
single need (or a single volunteer) is solved exactly by taking its best
pairs. The rest become a slot graph: each need has ``d`` slot rows, each
volunteer ``c`` slot columns; a pair where both sides have several slots
goes through a two-node gadget (a row and a column) so it is used at most
once. Every maximum matching of the slot graph fills the most slots, so the
problem is the cheapest maximum matching, with cost ``Q + 2 - score`` per pair.

A maximum matching (Hopcroft-Karp) and the Dulmage-Mendelsohn decomposition
split the slot graph exactly into three independent parts, each with one side
covered completely: the columns reachable by alternating paths from unmatched
rows, matched into those rows; the rows reachable from unmatched columns,
matched into those columns; and a perfect matching on the rest. Edges between
parts are in no maximum matching. Each part is a full one-sided assignment
solved by scipy's LAPJVsp (``min_weight_full_bipartite_matching``) per
connected component, with no "unfilled" columns, so no augmenting search ever
explores a whole component only to give up.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array, csr_array
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    maximum_bipartite_matching,
    min_weight_full_bipartite_matching,
)

from ._arrays import expand

__all__ = ["b_matching"]

_GADGETS_FIRST = 3  # multi-slot pairs per need with a gadget from the start
_BATCH_ROWS = 2000  # rows per LAPJVsp call when small components are batched


def _components(ni: np.ndarray, vi: np.ndarray, n: int, m: int) -> tuple[int, np.ndarray]:
    g = coo_array(
        (np.ones(ni.size, dtype=np.int8), (ni, vi.astype(np.int64) + n)), shape=(n + m, n + m)
    )
    return connected_components(g, directed=False)


def _top_per_group(
    group: np.ndarray, score: np.ndarray, tie: np.ndarray, limit: np.ndarray
) -> np.ndarray:
    """Indices of the ``limit`` best-scored items of every group (ties by ``tie``)."""
    order = np.lexsort((tie, -score.astype(np.int64), group))
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(g.size), 0))
    rank = np.arange(g.size) - start
    return order[rank < limit[order]]


def _full_rows(a: csr_array) -> np.ndarray:
    """Column matched to each row by a min-cost matching covering every row of ``a``.

    scipy's LAPJVsp spends time proportional to the number of columns on every
    row it augments, so it is called per connected component (small components
    batched together, up to ``_BATCH_ROWS`` rows): the components are
    independent, so their optimal matchings together are optimal."""
    R, C = a.shape
    if R == 0:
        return np.zeros(0, dtype=np.int64)
    if R <= _BATCH_ROWS:
        _, col = min_weight_full_bipartite_matching(a)
        return col.astype(np.int64)
    coo = a.tocoo()
    g = csr_array(
        (np.ones(coo.nnz, dtype=np.int8), (coo.row, coo.col.astype(np.int64) + R)),
        shape=(R + C, R + C),
    )
    ncomp, label = connected_components(g, directed=False)
    del g
    if ncomp == 1:
        _, col = min_weight_full_bipartite_matching(a)
        return col.astype(np.int64)
    rows_per = np.bincount(label[:R], minlength=ncomp)
    batch = (np.cumsum(rows_per) - rows_per) // _BATCH_ROWS
    rb, cb = batch[label[:R]], batch[label[R:]]
    row_order = np.argsort(rb, kind="stable")
    col_order = np.argsort(cb, kind="stable")
    inv_col = np.empty(C, dtype=np.int64)
    inv_col[col_order] = np.arange(C)
    inv_row = np.empty(R, dtype=np.int64)
    inv_row[row_order] = np.arange(R)
    p = csr_array((coo.data, (inv_row[coo.row], inv_col[coo.col])), shape=(R, C))
    del coo
    nb = int(batch[-1]) + 1
    r_lo = np.searchsorted(rb[row_order], np.arange(nb + 1))
    c_lo = np.searchsorted(cb[col_order], np.arange(nb + 1))
    out = np.empty(R, dtype=np.int64)
    for b in range(nb):
        r0, r1, c0, c1 = r_lo[b], r_lo[b + 1], c_lo[b], c_lo[b + 1]
        if r1 == r0:
            continue
        _, col = min_weight_full_bipartite_matching(p[r0:r1, c0:c1])
        out[row_order[r0:r1]] = col_order[c0 + col.astype(np.int64)]
    return out


def _sub(
    r: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    transpose: bool = False,
) -> csr_array:
    """The submatrix on boolean masks ``rows`` x ``cols`` (or its transpose)."""
    keep = rows[r] & cols[c]
    ri = np.cumsum(rows) - 1
    ci = np.cumsum(cols) - 1
    rr, cc = ri[r[keep]], ci[c[keep]]
    shape = (int(rows.sum()), int(cols.sum()))
    if transpose:
        return csr_array((v[keep], (cc, rr)), shape=shape[::-1])
    return csr_array((v[keep], (rr, cc)), shape=shape)


def _slot_graph(
    ni: np.ndarray,
    vi: np.ndarray,
    s: np.ndarray,
    dn: np.ndarray,
    cv: np.ndarray,
    q: int,
    gadget: np.ndarray,
):
    """The slot graph: need slots and gadget rows x volunteer slots and gadget columns."""
    ns_start = np.r_[0, np.cumsum(dn)]
    vs_start = np.r_[0, np.cumsum(cv)]
    NS, VS = int(ns_start[-1]), int(vs_start[-1])
    # every maximum matching of this graph has the same number of edges, so a
    # constant offset of 1 keeps costs positive without changing the optimum
    cost = (q + 2 - s.astype(np.int64)).astype(np.float64)

    d_p, c_p = dn[ni], cv[vi]
    simple = ~gadget
    sp = np.flatnonzero(simple)
    gp = np.flatnonzero(~simple)
    G = gp.size

    cnt = d_p[sp] * c_p[sp]
    own, k = expand(cnt)
    p = sp[own]
    rows = [ns_start[ni[p]] + k // c_p[p]]
    cols = [vs_start[vi[p]] + k % c_p[p]]
    vals = [cost[p]]
    gcol = VS + np.arange(G)
    grow = NS + np.arange(G)
    own, k = expand(d_p[gp])
    rows.append(ns_start[ni[gp[own]]] + k)
    cols.append(gcol[own])
    vals.append(cost[gp[own]])
    rows.append(grow)
    cols.append(gcol)
    vals.append(np.ones(G))
    own, k = expand(c_p[gp])
    rows.append(grow[own])
    cols.append(vs_start[vi[gp[own]]] + k)
    vals.append(np.ones(own.size))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    v = np.concatenate(vals)
    return r, c, v, NS, VS, G, sp, gp


def _alternating(
    indptr: np.ndarray, indices: np.ndarray, match: np.ndarray, mate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows reachable from unmatched rows by alternating paths, and their columns.

    ``indptr``/``indices`` are the rows' adjacency (CSR), ``match[row]`` the
    matched column (or -1), ``mate[col]`` the matched row (or -1)."""
    R, C = match.size, mate.size
    even = np.zeros(R, dtype=bool)
    odd = np.zeros(C, dtype=bool)
    free = np.flatnonzero(match < 0)
    if free.size == 0:
        return even, odd
    has = mate >= 0
    # nodes: rows, then columns (one edge each, to the matched row), then a source
    ptr = np.concatenate(
        (indptr, indptr[-1] + np.cumsum(has), [indptr[-1] + has.sum() + free.size])
    )
    idx = np.concatenate((indices.astype(np.int64) + R, mate[has], free))
    g = csr_array((np.ones(idx.size, dtype=np.int8), idx, ptr), shape=(R + C + 1, R + C + 1))
    reach = breadth_first_order(g, R + C, directed=True, return_predecessors=False)
    reach = reach[reach < R + C]
    even[reach[reach < R]] = True
    odd[reach[reach >= R] - R] = True
    return even, odd


def _lapjvsp(
    ni: np.ndarray, vi: np.ndarray, s: np.ndarray, dn: np.ndarray, cv: np.ndarray, q: int
) -> np.ndarray:
    """Pair indices chosen by the slot assignment (see the module notes).

    Pairs start without gadgets (a relaxation: a pair between two multi-slot
    people could be used twice); pairs the optimum uses twice get a gadget and
    the problem is solved again, until no pair repeats. The last solution is
    feasible and optimal for a relaxation, hence optimal."""
    # a need with several slots tends to repeat its best multi-slot volunteers,
    # so those pairs get gadgets from the start, and more of a need's pairs
    # each time one of them repeats
    multi = (dn[ni] > 1) & (cv[vi] > 1)
    mp = np.flatnonzero(multi)
    order = mp[np.lexsort((vi[mp], -s[mp].astype(np.int64), ni[mp]))]
    g = ni[order]
    first = np.r_[True, g[1:] != g[:-1]] if g.size else np.zeros(0, dtype=bool)
    rank = np.zeros(ni.size, dtype=np.int64)
    rank[order] = np.arange(g.size) - np.maximum.accumulate(np.where(first, np.arange(g.size), 0))
    limit = np.full(dn.size, _GADGETS_FIRST, dtype=np.int64)
    gadget = multi & (rank < limit[ni])
    while True:
        chosen = _slot_assignment(ni, vi, s, dn, cv, q, gadget)
        again = chosen[1:] == chosen[:-1]
        if not again.any():
            return chosen
        rep = chosen[1:][again]
        limit[np.unique(ni[rep])] *= 2
        gadget |= multi & (rank < limit[ni])
        gadget[rep] = True


def _slot_assignment(
    ni: np.ndarray,
    vi: np.ndarray,
    s: np.ndarray,
    dn: np.ndarray,
    cv: np.ndarray,
    q: int,
    gadget: np.ndarray,
) -> np.ndarray:
    """Pair indices chosen by the slot assignment. ``dn``/``cv`` are per pair's need/volunteer
    slot counts keyed by compact need / volunteer ids in ``ni``/``vi``."""
    nn, nv = dn.size, cv.size
    r, c, v, NS, VS, G, sp, gp = _slot_graph(ni, vi, s, dn, cv, q, gadget)
    R, C = NS + G, VS + G
    a = csr_array((v, (r, c)), shape=(R, C))
    # a maximum matching (Hopcroft-Karp), then the rows reachable from its
    # unmatched rows by alternating paths (Dulmage-Mendelsohn): rows outside that
    # set are covered by every maximum matching and never use a reachable column
    match = maximum_bipartite_matching(a, perm_type="column").astype(np.int64)
    rowmate = np.full(C, -1, dtype=np.int64)
    ok = match >= 0
    rowmate[match[ok]] = np.flatnonzero(ok)
    # Dulmage-Mendelsohn: rows reachable from unmatched rows by alternating paths
    # (even rows) are the only ones some maximum matching leaves uncovered, and
    # their neighbours (odd columns) are covered by them in every maximum
    # matching; symmetrically from unmatched columns. The graph splits into three
    # independent problems, each with one side covered completely.
    even_row, odd_col = _alternating(a.indptr, a.indices, match, rowmate)
    at = a.tocsc()
    even_col, odd_row = _alternating(at.indptr, at.indices, rowmate, match)
    del at
    pr, pc = [], []
    # odd columns, each matched into the even rows
    if odd_col.any():
        col = _full_rows(_sub(r, c, v, even_row, odd_col, transpose=True))
        pr.append(np.flatnonzero(even_row)[col])
        pc.append(np.flatnonzero(odd_col))
    # odd rows, each matched into the even columns
    if odd_row.any():
        col = _full_rows(_sub(r, c, v, odd_row, even_col))
        pr.append(np.flatnonzero(odd_row))
        pc.append(np.flatnonzero(even_col)[col])
    # the rest: a perfect matching
    rest_r, rest_c = ~(even_row | odd_row), ~(even_col | odd_col)
    if rest_r.any():
        col = _full_rows(_sub(r, c, v, rest_r, rest_c))
        pr.append(np.flatnonzero(rest_r))
        pc.append(np.flatnonzero(rest_c)[col])
    row_ind = np.concatenate(pr) if pr else np.zeros(0, dtype=np.int64)
    col_ind = np.concatenate(pc) if pc else np.zeros(0, dtype=np.int64)

    slot_row = row_ind < NS
    row_ind, col_ind = row_ind[slot_row], col_ind[slot_row]
    chosen = []
    to_gadget = col_ind >= VS
    chosen.append(gp[col_ind[to_gadget] - VS])
    to_vol = ~to_gadget
    if np.any(to_vol):
        need_of_slot = np.repeat(np.arange(nn), dn)
        vol_of_slot = np.repeat(np.arange(nv), cv)
        a_n = need_of_slot[row_ind[to_vol]]
        a_v = vol_of_slot[col_ind[to_vol]]
        lookup = csr_array((sp + 1, (ni[sp], vi[sp])), shape=(nn, nv))
        chosen.append(np.asarray(lookup[a_n, a_v]).ravel() - 1)
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def b_matching(
    ni: np.ndarray,
    vi: np.ndarray,
    score: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    q: int,
) -> tuple[np.ndarray, dict]:
    """Optimal pairs: most filled slots, then highest total score.

    Parameters
    ----------
    ni, vi : ndarray of int
        Need and volunteer index of each candidate pair (pairs distinct).
    score : ndarray of int
        Integer score of each pair, in ``[1, q]``.
    demand, capacity : ndarray of int
        Slots of every need and every volunteer (at least 1).
    q : int
        Upper bound of the integer scores.

    Returns
    -------
    chosen : ndarray of int64
        Sorted indices of the chosen pairs.
    info : dict
        Component counts.
    """
    n, m = demand.size, capacity.size
    info = {"components": 0, "largest_component_pairs": 0, "assignment_pairs": 0}
    if ni.size == 0:
        return np.zeros(0, dtype=np.int64), info
    deg_n = np.bincount(ni, minlength=n)
    deg_v = np.bincount(vi, minlength=m)
    d_eff = np.minimum(demand, deg_n)
    c_eff = np.minimum(capacity, deg_v)

    ncomp, label = _components(ni, vi, n, m)
    comp = label[ni]
    n_needs = np.bincount(label[:n][deg_n > 0], minlength=ncomp)
    n_vols = np.bincount(label[n:][deg_v > 0], minlength=ncomp)
    pairs_per = np.bincount(comp, minlength=ncomp)
    info["components"] = int(np.count_nonzero(pairs_per))
    info["largest_component_pairs"] = int(pairs_per.max())

    single_need = n_needs[comp] == 1
    trivial = single_need | (n_vols[comp] == 1)
    chosen = []
    t = np.flatnonzero(trivial)
    if t.size:
        sn = single_need[t]
        limit = np.where(sn, d_eff[ni[t]], c_eff[vi[t]])
        tie = np.where(sn, vi[t], ni[t])
        chosen.append(t[_top_per_group(comp[t], score[t], tie, limit)])

    h = np.flatnonzero(~trivial)
    info["assignment_pairs"] = int(h.size)
    if h.size:
        needs, cn = np.unique(ni[h], return_inverse=True)
        vols, cvv = np.unique(vi[h], return_inverse=True)
        sub = _lapjvsp(cn.reshape(-1), cvv.reshape(-1), score[h], d_eff[needs], c_eff[vols], q)
        chosen.append(h[sub])
    out = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return out.astype(np.int64), info

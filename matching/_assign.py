"""The optimal capacitated assignment (bipartite b-matching) on the candidate graph.

Objective, lexicographic: most filled slots, then highest total score. A
need's volunteers are distinct people: a volunteer record may belong to a
person who has other records, and no need gets two records of one person.

The problem is a min-cost flow. Nodes: needs, volunteer records, a sink, and
one node per (need, person) whose person has several records among the
need's candidate pairs. Arcs, all of capacity 1 but the last two: need ->
record, or need -> (need, person) -> record, costing ``q - score``; record ->
sink with the record's capacity; need -> sink, "leave a slot unfilled",
costing ``(slots + 1) * q``. That arc lets every slot be routed, and since it
costs more than any total score it makes the minimum-cost routing exactly the
lexicographic optimum, whatever order the slots are routed in.

Successive shortest paths route one need slot at a time: a Dijkstra search
from the need on reduced costs (an indexed binary heap, int64 potentials)
ends at the first record with room, or at a need's "unfilled" arc, and the
path is augmented. Potentials then only decrease; a record with room keeps
potential 0 and every record's potential stays at most 0, so a need's arcs,
sorted by cost, are scanned only while an arc could still beat the best end
found so far.

A warm start routes many slots without a search, keeping the potentials dual
feasible: each need takes its cheapest records with room in order of cost,
skipping a full record only while what it takes costs no more than that
record's cost less its potential; its own potential is then as high as its
arcs allow, and a record it fills gets the lowest potential its needs allow.
Needs with (need, person) nodes are left to the searches. Arcs are sorted by
a counting sort by tail and a radix sort by cost within each tail; ties go to
the lower pair index, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["b_matching"]


def _compiled(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled by numba, its machine code cached on disk when a cache is writable.

    numba caches beside the package, or in ``NUMBA_CACHE_DIR``, or in the user's cache
    folder; with none writable it compiles in every process instead of failing. The
    compiled code releases the interpreter's lock, so other threads run meanwhile."""
    try:
        return njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(nogil=True)(fn)


@_compiled
def _sort_by_cost(comp, lo, hi, buf, count, cost_bits):  # type: ignore[no-untyped-def]
    """Stable sort of ``comp[lo:hi]`` by the cost in bits 40 and up (``cost_bits`` wide)."""
    size = hi - lo
    for i in range(lo + 1, hi):  # often sorted already (candidates come best first)
        if comp[i] < comp[i - 1]:
            break
    else:
        return
    if size <= 32:  # insertion sort
        for i in range(lo + 1, hi):
            x = comp[i]
            c = x >> 40
            j = i - 1
            while j >= lo and (comp[j] >> 40) > c:
                comp[j + 1] = comp[j]
                j -= 1
            comp[j + 1] = x
        return
    src = comp[lo:hi]
    dst = buf[:size]
    passes = 0
    for shift in range(40, 40 + cost_bits, 8):  # radix sort, 8 bits a pass
        count[:] = 0
        for i in range(size):
            count[((src[i] >> shift) & 255) + 1] += 1
        for d in range(256):
            count[d + 1] += count[d]
        for i in range(size):
            d = (src[i] >> shift) & 255
            dst[count[d]] = src[i]
            count[d] += 1
        src, dst = dst, src
        passes += 1
    if passes % 2 == 1:
        comp[lo:hi] = buf[:size]


@_compiled
def _arcs(ni, vi, score, q, group, g_need, n):  # type: ignore[no-untyped-def]
    """The network's arcs leaving needs and (need, person) nodes, sorted (CSR).

    ``group[p]`` is the (need, person) node of pair ``p`` (-1: none; ``group``
    empty: none for any pair), ``g_need``
    each such node's need. A need's arcs to its (need, person) nodes come
    first, then every tail's arcs by cost, ties by pair. Returns ``ptr``, the
    number of (need, person) arcs of every tail, and per arc its cost and head
    packed in one word (``cost << 32 | head``), its tail and its pair (-1 for
    need -> (need, person) arcs)."""
    n_groups = g_need.size
    n_left = n + n_groups
    n_pairs = ni.size
    n_arcs = n_pairs + n_groups
    count = np.zeros(n_left + 1, dtype=np.int64)
    for p in range(n_pairs):
        t = ni[p] if n_groups == 0 or group[p] < 0 else n + group[p]
        count[t + 1] += 1
    first = np.zeros(n_left, dtype=np.int64)  # (need, person) arcs of each need
    for g in range(n_groups):
        first[g_need[g]] += 1
    for t in range(n_left):
        count[t + 1] += first[t]
    ptr = np.cumsum(count)
    arc = np.empty(n_arcs, dtype=np.int64)
    tail = np.empty(n_arcs, dtype=np.int32)
    pair = np.empty(n_arcs, dtype=np.int32)
    fill = ptr[:-1].copy()
    for g in range(n_groups):
        t = g_need[g]
        a = fill[t]
        fill[t] += 1
        arc[a], pair[a] = n + g, -1
    # every pair arc as one int64, cost above pair index, sorted within its tail (in place)
    comp = arc
    for p in range(n_pairs):
        t = ni[p] if n_groups == 0 or group[p] < 0 else n + group[p]
        comp[fill[t]] = ((q - np.int64(score[p])) << np.int64(40)) | p
        fill[t] += 1
    mask = (np.int64(1) << np.int64(40)) - 1
    cost_bits = 1
    while (1 << cost_bits) <= q:
        cost_bits += 1
    buf = np.empty(np.max(count), dtype=np.int64)
    digits = np.empty(257, dtype=np.int64)
    for t in range(n_left):
        lo, hi = ptr[t] + first[t], ptr[t + 1]
        if hi - lo > 1:
            # pairs were written in pair order: a stable sort by cost breaks ties by pair
            _sort_by_cost(comp, lo, hi, buf, digits, cost_bits)
        for a in range(ptr[t], hi):
            tail[a] = t
        for a in range(lo, hi):
            x = comp[a]
            p = x & mask
            arc[a] = ((x >> np.int64(40)) << np.int64(32)) | (n_left + vi[p])
            pair[a] = p
    return ptr, first, arc, tail, pair


# columns of the per-node table (one row, one cache line, per node); potentials, read for
# every arc scanned, are kept apart in a denser array
_DIST = 0  # tentative distance in the current search
_HPOS = 1  # position in the heap, -1 outside
_ROOM = 2  # arcs that may still carry flow into the node (records, (need, person) nodes)
_ALO = 3  # the node's arcs: from ptr[u] ...
_ASORT = 4  # ... the ones sorted by cost from here (after a need's (need, person) arcs) ...
_AHI = 5  # ... to ptr[u + 1]
_ILO = 6  # the node's slots for arcs carrying flow in: slot_ptr[u] ...
_IHI = 7  # ... to slot_ptr[u + 1]
_INF = np.int64(1) << np.int64(62)  # the distance of a node not reached in the current search
_LOW = (np.int64(1) << np.int64(31)) - 1  # the head (or tail) in a packed arc word
_FLOW = np.int64(1) << np.int64(31)  # the flag of an arc carrying flow in a packed arc word


@_compiled
def _heap_up(heap_d, heap_u, tab, i, d, u):  # type: ignore[no-untyped-def]
    """Put node ``u`` with distance ``d`` at heap position ``i`` and sift it up."""
    while i > 0:
        parent = (i - 1) >> 1
        pd = heap_d[parent]
        if pd <= d:
            break
        pu = heap_u[parent]
        heap_d[i] = pd
        heap_u[i] = pu
        tab[pu, _HPOS] = i
        i = parent
    heap_d[i] = d
    heap_u[i] = u
    tab[u, _HPOS] = i


@_compiled
def _heap_pop(heap_d, heap_u, tab, size):  # type: ignore[no-untyped-def]
    """Remove the root; return the new size."""
    tab[heap_u[0], _HPOS] = -1
    size -= 1
    if size == 0:
        return 0
    d = heap_d[size]
    u = heap_u[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        cd = heap_d[c]
        if c + 1 < size and heap_d[c + 1] < cd:
            c += 1
            cd = heap_d[c]
        if cd >= d:
            break
        cu = heap_u[c]
        heap_d[i] = cd
        heap_u[i] = cu
        tab[cu, _HPOS] = i
        i = c
    heap_d[i] = d
    heap_u[i] = u
    tab[u, _HPOS] = i
    return size


@_compiled
def _reach(heap_d, heap_u, tab, touched, size, n_touched, u, d):  # type: ignore[no-untyped-def]
    """Lower node ``u``'s tentative distance to ``d``: it enters the heap (and ``touched``)
    when first reached, else moves up. Returns the heap's size and the number touched."""
    if tab[u, _DIST] == _INF:
        touched[n_touched] = u
        n_touched += 1
        size += 1
        i = size - 1
    else:
        i = tab[u, _HPOS]
    tab[u, _DIST] = d
    _heap_up(heap_d, heap_u, tab, i, d, u)
    return size, n_touched


@intrinsic
def _prefetch(typingctx, arr, i):  # type: ignore[no-untyped-def]
    """Ask the processor to bring ``arr[i]`` into its caches; no effect on any value."""

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])  # type: ignore[no-untyped-call]
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", [ptr.type], ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        )
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep in every level, data
        return context.get_dummy_value()

    return types.void(arr, i), codegen


@_compiled
def _flow(n, n_left, ptr, first, arc, tail, slot_ptr, slots, unfilled_cost, order):  # type: ignore[no-untyped-def]
    """Min-cost routing of every need's ``slots[need]`` units (see the module notes).

    Nodes ``0..n-1`` are needs, ``n..n_left-1`` (need, person) nodes, the rest
    records. Arcs leave needs and (need, person) nodes (``ptr``): first a
    need's ``first[need]`` arcs to its (need, person) nodes, then the rest by
    cost; ``arc`` packs each one's cost, flag of flow and head (``cost << 32
    | flow << 31 | head``, flows set here). ``slot_ptr`` gives each node's
    room for arcs carrying flow into it (a record's capacity, 1 for a (need,
    person) node). The searches take the needs in ``order``. Returns the
    number of searches, the potentials, each node's room left and, per node,
    the arcs carrying flow into it.

    The searches wait on memory more than they compute, so what they read at
    random is packed: an arc in one word; beside each arc carrying flow into
    a node, its cost and tail (``into_tc``); a node's other fields in one row
    of ``tab``. When a node is first reached, the start of its arcs is
    fetched ahead of its turn."""
    n_nodes = slot_ptr.size - 1
    inf = _INF
    n_into = max(slot_ptr[-1], 1)
    into = np.empty(n_into, dtype=np.int64)  # arcs carrying flow in, per node
    into_tc = np.empty(n_into, dtype=np.int64)  # their cost << 32 | tail
    pot = np.zeros(n_nodes, dtype=np.int64)
    tab = np.zeros((n_nodes, 8), dtype=np.int64)
    for u in range(n_nodes):
        tab[u, _DIST] = inf
        tab[u, _HPOS] = -1
        tab[u, _ROOM] = slot_ptr[u + 1] - slot_ptr[u]
        tab[u, _ILO] = slot_ptr[u]
        tab[u, _IHI] = slot_ptr[u + 1]
        if u < n_left:
            tab[u, _ALO] = ptr[u]
            tab[u, _ASORT] = ptr[u] + first[u] if u < n else ptr[u]
            tab[u, _AHI] = ptr[u + 1]
    filled = np.zeros(n, dtype=np.int64)  # slots routed by the warm start

    # warm start: each need takes its cheapest records with room, in order of cost, and
    # skips a full record while what it takes costs no more than that record's cost less its
    # potential; a record that becomes full gets the lowest potential its needs allow
    for u in range(n):
        if first[u] > 0:
            continue
        limit = inf  # least cost less potential among the full records skipped
        a = ptr[u]
        while a < ptr[u + 1] and filled[u] < slots[u]:
            c = arc[a] >> 32
            if c > limit:
                break
            h = arc[a] & _LOW
            if tab[h, _ROOM] == 0:
                limit = min(limit, c - pot[h])
            else:
                arc[a] |= _FLOW
                k = tab[h, _IHI] - tab[h, _ROOM]
                into[k] = a
                into_tc[k] = (c << np.int64(32)) | u
                tab[h, _ROOM] -= 1
                filled[u] += 1
            a += 1
        # as high as the arcs not taken allow: those left cost at least arc a's cost
        if a < ptr[u + 1]:
            limit = min(limit, arc[a] >> 32)
        if limit < inf:
            pot[u] = -limit
        elif a > ptr[u]:
            pot[u] = -(arc[a - 1] >> 32)
        for b in range(ptr[u], a):
            h = arc[b] & _LOW
            if arc[b] & _FLOW and tab[h, _ROOM] == 0:
                low = -inf
                for k in range(slot_ptr[h], slot_ptr[h + 1]):
                    x = into_tc[k]
                    low = max(low, (x >> 32) + pot[x & _LOW])
                pot[h] = low

    pred = np.zeros(n_nodes, dtype=np.int64)  # arc a reached forward, -(a + 1) backward
    heap_d = np.empty(n_nodes, dtype=np.int64)
    heap_u = np.empty(n_nodes, dtype=np.int32)
    touched = np.empty(n_nodes, dtype=np.int64)
    settled = np.empty(n_nodes, dtype=np.int64)
    searches = 0
    for src in order:
        # every search routes one more unit of the need, to a record or "unfilled"
        for _ in range(slots[src] - filled[src]):
            searches += 1
            best = inf
            best_node = -1
            tab[src, _DIST] = 0
            heap_d[0] = 0
            heap_u[0] = src
            tab[src, _HPOS] = 0
            size = 1
            n_touched = 1
            touched[0] = src
            n_settled = 0
            while size > 0:
                du = heap_d[0]
                if du >= best:
                    break
                u = heap_u[0]
                size = _heap_pop(heap_d, heap_u, tab, size)
                settled[n_settled] = u
                n_settled += 1
                base = du + pot[u]
                if u < n and base + unfilled_cost < best:
                    best = base + unfilled_cost
                    best_node = u
                lo = tab[u, _ASORT]
                for a in range(tab[u, _ALO], tab[u, _AHI]):
                    x = arc[a]
                    c = x >> 32
                    # a record's potential is at most 0: no later arc can do better
                    if a >= lo and base + c >= best:
                        break
                    if x & _FLOW:
                        continue
                    h = x & _LOW
                    nd = base + c - pot[h]
                    if nd >= best:
                        continue
                    if h >= n_left and tab[h, _ROOM] > 0:
                        # a record with room: potential 0, its arc to the sink costs 0
                        best = nd
                        best_node = h
                        pred[h] = a
                    elif nd < tab[h, _DIST]:  # false for settled nodes
                        pred[h] = a
                        if tab[h, _DIST] == inf:
                            _prefetch(into_tc, tab[h, _ILO])  # type: ignore[call-arg]
                        size, n_touched = _reach(
                            heap_d, heap_u, tab, touched, size, n_touched, h, nd
                        )
                for k in range(tab[u, _ILO], tab[u, _IHI] - tab[u, _ROOM]):
                    x = into_tc[k]
                    v = x & _LOW
                    nd = base - (x >> 32) - pot[v]
                    if nd >= best or nd >= tab[v, _DIST]:
                        continue
                    pred[v] = -(into[k] + 1)
                    if tab[v, _DIST] == inf:
                        _prefetch(arc, tab[v, _ALO])  # type: ignore[call-arg]
                    size, n_touched = _reach(heap_d, heap_u, tab, touched, size, n_touched, v, nd)
            # potentials: settled nodes move by their distance below the sink's
            for i in range(n_settled):
                u = settled[i]
                pot[u] += tab[u, _DIST] - best
            # augment along the path
            v = best_node
            while v != src:
                code = pred[v]
                if code >= 0:
                    h = arc[code] & _LOW
                    v = tail[code]
                    k = tab[h, _IHI] - tab[h, _ROOM]
                    into[k] = code
                    into_tc[k] = ((arc[code] >> 32) << np.int64(32)) | v
                    tab[h, _ROOM] -= 1
                    arc[code] |= _FLOW
                else:
                    a = -code - 1
                    h = arc[a] & _LOW
                    hi = tab[h, _IHI] - tab[h, _ROOM]
                    for k in range(tab[h, _ILO], hi):
                        if into[k] == a:
                            into[k] = into[hi - 1]
                            into_tc[k] = into_tc[hi - 1]
                            break
                    tab[h, _ROOM] += 1
                    arc[a] &= ~_FLOW
                    v = h
            for i in range(n_touched):
                u = touched[i]
                tab[u, _DIST] = inf
                tab[u, _HPOS] = -1
    room = tab[:, _ROOM].copy()
    return searches, pot, room, into


@_compiled
def _highest_need_potentials(  # type: ignore[no-untyped-def]
    n, n_left, ptr, arc, tail, slot_ptr, slots, unfilled_cost, pot, room, into
):
    """The highest potentials of the final flow with the sink at 0 and every record at most 0.

    Potentials ``pi`` are valid when ``pi[h] <= pi[u] + cost`` for every residual arc
    ``u -> h``; with ``pi[sink] = 0`` and an arc ``sink -> record`` of cost 0 for every
    record, the highest valid ``pi`` are the shortest distances from the sink. They are
    found by one Dijkstra search on the reduced costs of the solver's potentials (all
    non-negative). Returns the needs' potentials."""
    n_nodes = slot_ptr.size - 1
    inf = _INF
    tab = np.empty((n_nodes, 2), dtype=np.int64)  # the columns _DIST and _HPOS
    tab[:, _DIST] = inf
    tab[:, _HPOS] = -1
    heap_d = np.empty(n_nodes, dtype=np.int64)
    heap_u = np.empty(n_nodes, dtype=np.int32)
    touched = np.empty(n_nodes, dtype=np.int64)
    filled = np.zeros(n, dtype=np.int64)
    for a in range(arc.size):
        if arc[a] & _FLOW and tail[a] < n:
            filled[tail[a]] += 1
    size = 0
    n_touched = 0
    for u in range(n_left, n_nodes):  # sink -> record, cost 0
        size, n_touched = _reach(heap_d, heap_u, tab, touched, size, n_touched, u, -pot[u])
    for u in range(n):  # sink -> need along an "unfilled" arc carrying flow
        if filled[u] < slots[u]:
            d = -unfilled_cost - pot[u]
            if d < tab[u, _DIST]:
                size, n_touched = _reach(heap_d, heap_u, tab, touched, size, n_touched, u, d)
    out = np.empty(n, dtype=np.int64)
    while size > 0:
        du = heap_d[0]
        u = heap_u[0]
        size = _heap_pop(heap_d, heap_u, tab, size)
        base = du + pot[u]
        if u < n_left:
            for a in range(ptr[u], ptr[u + 1]):
                x = arc[a]
                if x & _FLOW:
                    continue
                h = x & _LOW
                nd = base + (x >> 32) - pot[h]
                if nd < tab[h, _DIST]:  # false for settled nodes
                    size, n_touched = _reach(heap_d, heap_u, tab, touched, size, n_touched, h, nd)
        if u >= n:
            hi = slot_ptr[u + 1] - room[u]
            for k in range(slot_ptr[u], hi):
                a = into[k]
                v = tail[a]
                nd = base - (arc[a] >> 32) - pot[v]
                if nd < tab[v, _DIST]:
                    size, n_touched = _reach(heap_d, heap_u, tab, touched, size, n_touched, v, nd)
    for u in range(n):
        d = tab[u, _DIST]
        out[u] = d + pot[u] if d < inf else inf
    return out


@_compiled
def _chosen(arc, pair):  # type: ignore[no-untyped-def]
    """The pairs of the arcs carrying flow, sorted."""
    k = 0
    for a in range(arc.size):
        if arc[a] & _FLOW and pair[a] >= 0:
            k += 1
    out = np.empty(k, dtype=np.int64)
    k = 0
    for a in range(arc.size):
        if arc[a] & _FLOW and pair[a] >= 0:
            out[k] = pair[a]
            k += 1
    out.sort()
    return out


def b_matching(
    ni: np.ndarray,
    vi: np.ndarray,
    score: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    q: int,
    person: np.ndarray | None = None,
    open_needs: np.ndarray | None = None,
    order: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Optimal pairs: most filled slots, then highest total score.

    Parameters
    ----------
    ni, vi : ndarray of int
        Need and volunteer record index of each candidate pair (pairs distinct).
    score : ndarray of int
        Integer score of each pair, in ``[1, q]``.
    demand, capacity : ndarray of int
        Slots of every need and every volunteer record (at least 1).
    q : int
        Upper bound of the integer scores.
    person : ndarray of int, optional
        The person of every volunteer record (default: each record its own
        person). No need gets two records of the same person.
    open_needs : ndarray of bool, optional
        Needs whose pairs given are only some of their pairs (the best ones).
        With it, the network is that of the larger graph: those needs' slots
        and every record's capacity are not cut to the pairs given, and
        ``info["need_potential"]`` holds valid dual prices for it (see Notes).
    order : ndarray of int, optional
        The order in which the needs' shortest-path searches run (default:
        index order), a permutation of the needs. Any order gives an optimal
        assignment (which one, among equals, may differ); needs near each
        other searched one after another read the same records and arcs, which
        memory caches then hold.

    Returns
    -------
    chosen : ndarray of int64
        Sorted indices of the chosen pairs.
    info : dict
        ``searches``: shortest-path searches run after the warm start;
        ``need_potential`` (with ``open_needs``): every need's potential.

    Notes
    -----
    The potentials ``pi`` leave every residual arc a non-negative reduced
    cost ``cost + pi[tail] - pi[head]``, with arc costs ``q - score``, the
    sink at 0 and every record at or below 0 (a record the pairs do not
    mention is at 0). So a pair left out of need ``i``'s pairs, scoring at
    most ``b``, has a reduced cost of at least ``q - b + pi[i]``: when that
    is not negative for every open need, no left-out pair can improve the
    assignment, which is then optimal on the larger graph.
    """
    n, m = int(demand.size), int(capacity.size)
    info: dict[str, Any] = {"searches": 0}
    if open_needs is not None:
        # a need with no pairs routes its slots "unfilled": potential -(slots + 1) * q
        info["need_potential"] = np.full(
            n, -(int(np.asarray(demand).sum()) + 1) * int(q), dtype=np.int64
        )
    if ni.size == 0:
        return np.zeros(0, dtype=np.int64), info
    # the arcs' sort key holds a cost (below q) in 23 bits above a pair index in 40
    if q > 2**23 or n + m + ni.size >= 2**31:
        raise ValueError("too many pairs or nodes, or a score bound above 2**23")
    # one compiled specialisation: int32 indices and scores (as the candidates hold them)
    ni = np.asarray(ni, dtype=np.int32)
    vi = np.asarray(vi, dtype=np.int32)
    score = np.asarray(score, dtype=np.int32)
    group = np.zeros(0, dtype=np.int64)
    g_need = np.zeros(0, dtype=np.int64)
    if person is not None and np.unique(person).size < m:
        # (need, person) keys with several records of the person among the need's pairs
        pid = np.unique(np.asarray(person), return_inverse=True)[1].reshape(-1).astype(np.int64)
        span = int(pid.max()) + 1
        k = np.asarray(ni, dtype=np.int64) * span + pid[vi]
        keys, inv, cnt = np.unique(k, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        gid = np.cumsum(cnt > 1) - 1
        multi = cnt[inv] > 1
        group = np.full(ni.size, -1, dtype=np.int64)
        group[multi] = gid[inv[multi]]
        g_need = keys[cnt > 1] // span
    n_groups = int(g_need.size)
    n_left = n + n_groups
    ptr, first, arcs, tails, pairs = _arcs(ni, vi, score, int(q), group, g_need, n)
    # a need fills at most one slot per distinct person it has arcs to
    out_deg = np.diff(ptr[: n + 1])
    demand = np.asarray(demand, dtype=np.int64)
    capacity = np.asarray(capacity, dtype=np.int64)
    if open_needs is None:
        slots = np.minimum(demand, out_deg)
        cap = np.minimum(capacity, np.bincount(vi, minlength=m))
    else:
        slots = np.where(open_needs, demand, np.minimum(demand, out_deg))
        cap = capacity
    room = np.concatenate((np.zeros(n, dtype=np.int64), np.ones(n_groups, dtype=np.int64), cap))
    slot_ptr = np.concatenate(([0], np.cumsum(room))).astype(np.int64)
    unfilled_cost = (int(slots.sum()) + 1) * int(q)
    if order is None:
        order = np.arange(n, dtype=np.int64)
    else:
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (n,):
            raise ValueError(f"order must list the {n} needs, got shape {order.shape}")
    searches, pot, room, into = _flow(
        n, n_left, ptr, first, arcs, tails, slot_ptr, slots, unfilled_cost, order
    )
    info["searches"] = int(searches)
    if open_needs is not None:
        info["need_potential"] = _highest_need_potentials(
            n, n_left, ptr, arcs, tails, slot_ptr, slots, unfilled_cost, pot, room, into
        )
    return _chosen(arcs, pairs), info

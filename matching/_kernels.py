"""Compiled loops of the candidate stage (see :mod:`matching._candidates`).

Volunteers are numbered here in *index order*: by travel band, then grid
cell, then fairness part (highest first), then input order, so the
volunteers of one cell are contiguous in every
per-volunteer array. The index lists, per time class and band, the occupied
cells (sorted keys) and each cell's volunteers. A need visits the cells next
to its own in every band of its time class.

Distances are not computed here: :func:`scan_needs` hands back chord
lengths on the unit sphere, computed as ``sqrt((dx*dx + dy*dy) + dz*dz)``,
and decides reach by comparing them with each volunteer's largest feasible
chord (``chord_limit``, computed once with the same ``arcsin`` that turns
chords into km). The caller turns the chords into km with numpy and
:func:`sort_segments` scores them (:func:`pair_units`), so the reach test,
the distance and the score come from one chord and one formula.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

__all__ = [
    "build_cells",
    "class_memberships",
    "fairness_order",
    "pair_units",
    "regroup",
    "scan_best",
    "scan_best_chunks",
    "scan_chunks",
    "scan_needs",
    "sort_chunks",
    "sort_segments",
]


@njit(cache=True)
def _first_at_least(keys: Any, lo: int, hi: int, value: int) -> int:
    """Binary search: the first position in ``keys[lo:hi]`` holding at least ``value``."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _fits(
    v: int, vol_skills: Any, sk: Any, n_words: int, vol_time: Any, word: Any, mask: Any, items: int
) -> bool:
    """Whether volunteer ``v`` has the need's skill words ``sk[:n_words]`` (0 words when the
    entry's first 32 skill bits decided it) and covers its ``items`` time items."""
    for w in range(n_words):
        if vol_skills[v, w] & sk[w] != sk[w]:
            return False
    for t in range(items):  # noqa: SIM110 - a loop numba compiles, not a generator
        if vol_time[v, word[t]] & mask[t] != mask[t]:
            return False
    return True


@njit(cache=True, inline="always")
def _excluded(ex_vol: Any, lo: int, hi: int, v: int) -> bool:
    """Whether ``v`` is among a need's excluded volunteers ``ex_vol[lo:hi]`` (sorted)."""
    if hi == lo:
        return False
    k = _first_at_least(ex_vol, lo, hi, v)
    return k < hi and ex_vol[k] == v


@njit(cache=True)
def scan_needs(
    start: int,
    stop: int,
    todo: Any,
    count_only: bool,
    need_class: Any,
    need_mode: Any,
    need_xyz: Any,
    need_skills: Any,
    item_word: Any,
    item_mask: Any,
    item_count: Any,
    ex_ptr: Any,
    ex_vol: Any,
    class_cells: Any,
    cell_key: Any,
    cell_start: Any,
    entry_vol: Any,
    entry_skills: Any,
    band_h: Any,
    band_offset: Any,
    band_span: Any,
    vol_xyz: Any,
    chord_limit: Any,
    vol_skills: Any,
    vol_time: Any,
    out_vol: Any,
    out_chord: Any,
    pairs: Any,
    free: Any,
) -> tuple[int, int]:
    """Feasible pairs of needs ``todo[start] .. todo[stop - 1]``, need by need.

    ``need_mode`` is 0 for a need to skip, 1 for a local need, 2 for a
    remote one. For each need, writes its pairs (volunteer in index order, chord) to
    ``out_vol`` and ``out_chord`` after those of the needs before it,
    ``pairs[need]`` their number and ``free[need]`` the number before
    exclusions. A local need's pairs are the volunteers of its time class
    within their ``chord_limit``; a remote need's are every volunteer of its
    class. Both must have the skills (``need_skills`` words a subset of
    ``vol_skills`` words; ``entry_skills`` holds each entry's first 32 skill
    bits, tested before the volunteer's arrays are read) and the time (each
    of the need's ``item_count`` items ``(item_word, item_mask)`` covered by
    the volunteer's time row).

    With ``count_only``, nothing is written and the time is not tested:
    ``free[need]`` counts the volunteers with the skills within reach.

    Returns ``(next, written)``: ``next < stop`` when the output arrays
    could not hold the pairs of need ``todo[next]`` (none of them written).
    """
    n_bands = band_h.size
    n_skill_words = need_skills.shape[1]
    cap = out_vol.size
    pos = 0
    ranges = np.empty((9, 2), dtype=np.int64)  # runs of cells: at most one per column
    sk = np.empty(n_skill_words, dtype=np.uint64)  # the need's skill words
    word = np.empty(item_word.shape[0], dtype=np.int64)  # and time items
    mask = np.empty(item_word.shape[0], dtype=np.uint64)
    for q in range(start, stop):
        n = todo[q]
        begin = pos
        c = need_class[n]
        nx = need_xyz[n, 0]
        ny = need_xyz[n, 1]
        nz = need_xyz[n, 2]
        items = 0 if count_only else item_count[n]
        extra = False  # skills beyond the 32 held in entry_skills
        for w in range(n_skill_words):
            sk[w] = need_skills[n, w]
            extra |= sk[w] != 0 and (w > 0 or sk[w] >> np.uint64(32) != 0)
        low = np.uint32(sk[0] & np.uint64(0xFFFFFFFF)) if n_skill_words else np.uint32(0)
        for t in range(items):
            word[t] = item_word[t, n]
            mask[t] = item_mask[t, n]
        e_lo = ex_ptr[n]
        e_hi = ex_ptr[n + 1]
        n_free = 0
        overflow = False
        if need_mode[n] == 0:
            continue
        remote = need_mode[n] == 2
        for b in range(n_bands):
            c0 = class_cells[c * n_bands + b]
            c1 = class_cells[c * n_bands + b + 1]
            if c0 == c1:
                continue
            n_ranges = 0
            if remote:
                ranges[0, 0] = c0
                ranges[0, 1] = c1
                n_ranges = 1
            else:
                h = band_h[b]
                off = band_offset[b]
                span = band_span[b]
                ix = np.int64(math.floor(nx / h)) + off
                iy = np.int64(math.floor(ny / h)) + off
                iz = np.int64(math.floor(nz / h)) + off
                for dx in range(-1, 2):
                    # the cells of columns (ix + dx, iy - 1 .. iy + 1) are consecutive keys
                    base = ((ix + dx) * span + iy - 1) * span
                    j = _first_at_least(cell_key, c0, c1, base + iz - 1)
                    top = base + 2 * span + iz + 1
                    while j < c1 and cell_key[j] <= top:
                        z = (cell_key[j] - base) % span
                        if iz - 1 <= z <= iz + 1:
                            j1 = j + 1
                            while j1 < c1 and cell_key[j1] <= top:
                                z = (cell_key[j1] - base) % span
                                if z < iz - 1 or z > iz + 1:
                                    break
                                j1 += 1
                            ranges[n_ranges, 0] = j
                            ranges[n_ranges, 1] = j1
                            n_ranges += 1
                            j = j1
                        else:
                            j += 1
            for r in range(n_ranges):
                j0 = ranges[r, 0]
                j1 = ranges[r, 1]
                for e in range(cell_start[j0], cell_start[j1]):
                    if entry_skills[e] & low != low:  # most rejections, without the volunteer
                        continue
                    v = entry_vol[e]
                    dx_ = nx - vol_xyz[v, 0]
                    dy_ = ny - vol_xyz[v, 1]
                    dz_ = nz - vol_xyz[v, 2]
                    sq = dx_ * dx_ + dy_ * dy_
                    sq += dz_ * dz_
                    chord = math.sqrt(sq)
                    if not remote and chord > chord_limit[v]:
                        continue
                    if not _fits(
                        v,
                        vol_skills,
                        sk,
                        n_skill_words if extra else 0,
                        vol_time,
                        word,
                        mask,
                        items,
                    ):
                        continue
                    n_free += 1
                    if count_only:
                        continue
                    if _excluded(ex_vol, e_lo, e_hi, v):
                        continue
                    if pos >= cap:
                        overflow = True
                        break
                    out_vol[pos] = v
                    out_chord[pos] = chord
                    pos += 1
                if overflow:
                    break
            if overflow:
                break
        if overflow:
            return q, begin
        pairs[n] = pos - begin
        free[n] = n_free
    return stop, pos


@njit(cache=True)
def _rint(x: float) -> float:
    """Round half to even, as ``np.rint`` (``x`` finite)."""
    r = float(math.floor(x))
    d = x - r
    if d > 0.5 or (d == 0.5 and r % 2.0 == 1.0):
        r += 1.0
    return r


@njit(cache=True)
def pair_units(
    km: float,
    max_km: float,
    need_total: float,
    volunteer_total: float,
    closeness_weight: float,
    score_units: int,
) -> int:
    """Score units of one pair: :func:`matching._scoring.score_units` of its parts.

    The same operations in the same order as the numpy functions of
    :mod:`matching._scoring` (``closeness_part`` then ``score_units``), so
    the units are identical to theirs (the tests compare them on every
    pair)."""
    rel = 1.0 - km / max_km if max_km > 0 else (1.0 if km <= 0 else 0.0)
    rel = min(max(rel, 0.0), 1.0)
    s = closeness_weight * rel + need_total + volunteer_total
    u = _rint(s * score_units)
    return int(min(max(u, 1.0), float(score_units)))


@njit(cache=True)
def _order_by_units(units: Any, k: int, order: Any, tmp: Any, count: Any) -> Any:
    """Positions of ``units[:k]`` highest first, ties in position order (in ``order`` or ``tmp``).

    Insertion sort for a few pairs, else a least-significant-digit radix
    sort (stable) of ``top - units`` in digits of 7 bits (units are at most
    ``2**14``: two passes)."""
    if k <= 32:
        for i in range(k):
            u = units[i]
            j = i
            while j > 0 and units[order[j - 1]] < u:
                order[j] = order[j - 1]
                j -= 1
            order[j] = i
        return order
    top = units[0]
    for i in range(1, k):
        top = max(top, units[i])
    for i in range(k):
        tmp[i] = i
    src, dst = tmp, order
    for shift in (0, 7):
        count[:] = 0
        for i in range(k):
            count[((top - units[i]) >> shift) & 127] += 1
        total = 0
        for b in range(128):
            c = count[b]
            count[b] = total
            total += c
        for i in range(k):
            p = src[i]
            b = ((top - units[p]) >> shift) & 127
            dst[count[b]] = p
            count[b] += 1
        src, dst = dst, src
    return src


@njit(cache=True)
def sort_segments(
    start: int,
    stop: int,
    todo: Any,
    pairs: Any,
    vol: Any,
    km: Any,
    max_km: Any,
    need_total: Any,
    vol_total: Any,
    vol_input: Any,
    closeness_weight: float,
    score_units: int,
    out_need: Any,
    out_vol: Any,
    out_units: Any,
    out_km: Any,
    offset: int,
    keep: int,
    bound: Any,
    at: Any,
) -> None:
    """Score the pairs of needs ``todo[start:stop]`` and write them at ``offset``, best first.

    ``vol`` (index order) and ``km`` hold the pairs need by need as
    :func:`scan_needs` wrote them (each need's in index order); ``max_km``
    and ``vol_total`` are in index order, ``vol_input`` maps it to input
    order. Each need's pairs are written by score units, highest first, ties
    in index order: its first ``keep`` pairs, ``bound[need]`` the score
    units of the best pair left out (0 if none) and ``at[need]`` where its
    pairs start in the output."""
    src = 0
    dst = offset
    units = np.empty(0, dtype=np.int64)
    order = np.empty(0, dtype=np.int64)
    tmp = np.empty(0, dtype=np.int64)
    count = np.zeros(128, dtype=np.int64)
    for q in range(start, stop):
        n = todo[q]
        k = pairs[n]
        at[n] = dst
        if k == 0:
            continue
        if units.size < k:
            units = np.empty(2 * k, dtype=np.int64)
            order = np.empty(2 * k, dtype=np.int64)
            tmp = np.empty(2 * k, dtype=np.int64)
        nt = need_total[n]
        for i in range(k):
            v = vol[src + i]
            units[i] = pair_units(
                km[src + i], max_km[v], nt, vol_total[v], closeness_weight, score_units
            )
        ranked = _order_by_units(units, k, order, tmp, count)
        bound[n] = units[ranked[keep]] if k > keep else 0
        for i in range(min(k, keep)):
            j = ranked[i]
            out_need[dst + i] = n
            out_vol[dst + i] = vol_input[vol[src + j]]
            out_units[dst + i] = units[j]
            out_km[dst + i] = km[src + j]
        src += k
        dst += min(k, keep)


@njit(cache=True)
def class_memberships(
    owner: Any, start: Any, end: Any, n_owners: int, minutes: int
) -> tuple[Any, Any]:
    """Every time class (``minutes`` wide) each owner's blocks touch, once each.

    ``owner`` is sorted and each owner's blocks are sorted by start and do
    not overlap (merged blocks). Returns ``(pointer, classes)``: owner ``v``'s
    classes, ascending, are ``classes[pointer[v]:pointer[v + 1]]``."""
    total = 0
    for b in range(owner.size):
        total += (end[b] - 1) // minutes - start[b] // minutes + 1
    classes = np.empty(total, dtype=np.int16)
    pointer = np.zeros(n_owners + 1, dtype=np.int64)
    k = 0
    for b in range(owner.size):
        v = owner[b]
        for c in range(start[b] // minutes, (end[b] - 1) // minutes + 1):
            if b > 0 and owner[b - 1] == v and classes[k - 1] == c:
                continue  # the owner's previous block ended in this class
            classes[k] = c
            k += 1
        pointer[v + 1] = k
    for v in range(n_owners):  # owners without blocks
        pointer[v + 1] = max(pointer[v + 1], pointer[v])
    return pointer, classes[:k].copy()


@njit(cache=True)
def build_cells(
    pointer: Any,
    classes: Any,
    n_classes: int,
    order: Any,
    band: Any,
    key: Any,
    n_bands: int,
) -> tuple[Any, Any, Any, Any]:
    """The index's entries and cells from each volunteer's classes.

    ``order`` lists the volunteers (input order) in index order, ``band`` and
    ``key`` are in index order. Entries are sorted by class, then index
    order; a cell is a run of entries with one class, band and key. Returns
    ``(class_cells, cell_key, cell_start, entry_vol)``."""
    start = np.zeros(n_classes + 1, dtype=np.int64)
    for i in range(classes.size):
        start[classes[i] + 1] += 1
    for c in range(n_classes):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    entry_vol = np.empty(classes.size, dtype=np.int32)
    for p in range(order.size):
        v = order[p]
        for i in range(pointer[v], pointer[v + 1]):
            c = classes[i]
            entry_vol[fill[c]] = p
            fill[c] += 1
    n_cells = 0
    for c in range(n_classes):
        for e in range(start[c], start[c + 1]):
            p = entry_vol[e]
            q = entry_vol[max(e - 1, 0)]
            if e == start[c] or band[p] != band[q] or key[p] != key[q]:
                n_cells += 1
    cell_key = np.empty(n_cells, dtype=np.int64)
    cell_start = np.empty(n_cells + 1, dtype=np.int64)
    class_cells = np.empty(n_classes * n_bands + 1, dtype=np.int64)
    j = 0
    cb = 0  # next class * n_bands + band whose first cell is not set
    for c in range(n_classes):
        for e in range(start[c], start[c + 1]):
            p = entry_vol[e]
            q = entry_vol[max(e - 1, 0)]
            if e == start[c] or band[p] != band[q] or key[p] != key[q]:
                here = c * n_bands + band[p]
                while cb <= here:
                    class_cells[cb] = j
                    cb += 1
                cell_key[j] = key[p]
                cell_start[j] = e
                j += 1
    while cb <= n_classes * n_bands:
        class_cells[cb] = j
        cb += 1
    cell_start[n_cells] = classes.size
    return class_cells, cell_key, cell_start, entry_vol


@njit(cache=True, parallel=True)
def fairness_order(
    class_cells: Any, cell_start: Any, entry_vol: Any, level: Any, n_levels: int, n_bands: int
) -> Any:
    """Each class's entries by fairness, highest first, then in index order.

    ``level`` is each volunteer's (index order) rank of fairness, 0 the
    highest. Returns positions into ``entry_vol``: class ``c``'s entries
    ``cell_start[class_cells[c * n_bands]] .. cell_start[class_cells[(c + 1) * n_bands]] - 1``
    rearranged in place of them. A counting sort per class (entries are in
    index order within a class, and it is stable)."""
    out = np.empty(entry_vol.size, dtype=np.int64)
    n_classes = (class_cells.size - 1) // max(n_bands, 1)
    for c in prange(n_classes):
        lo = cell_start[class_cells[c * n_bands]]
        hi = cell_start[class_cells[(c + 1) * n_bands]]
        count = np.zeros(n_levels + 1, dtype=np.int64)
        for e in range(lo, hi):
            count[level[entry_vol[e]] + 1] += 1
        for k in range(n_levels):
            count[k + 1] += count[k]
        for e in range(lo, hi):
            k = level[entry_vol[e]]
            out[lo + count[k]] = e
            count[k] += 1
    return out


@njit(cache=True, parallel=True)
def scan_chunks(
    spans: Any,
    todo: Any,
    count_only: bool,
    need_class: Any,
    need_mode: Any,
    need_xyz: Any,
    need_skills: Any,
    item_word: Any,
    item_mask: Any,
    item_count: Any,
    ex_ptr: Any,
    ex_vol: Any,
    class_cells: Any,
    cell_key: Any,
    cell_start: Any,
    entry_vol: Any,
    entry_skills: Any,
    band_h: Any,
    band_offset: Any,
    band_span: Any,
    vol_xyz: Any,
    chord_limit: Any,
    vol_skills: Any,
    vol_time: Any,
    out_vol: Any,
    out_chord: Any,
    pairs: Any,
    free: Any,
    result: Any,
) -> None:
    """:func:`scan_needs` on chunks ``todo[spans[c, 0]:spans[c, 1]]`` of needs in parallel.

    Chunk ``c`` writes to row ``c`` of ``out_vol`` and ``out_chord``;
    ``result[c]`` is its ``(next_need, written)``. The output does not depend
    on the number of threads."""
    # chunks come in processing order, and its parts differ in work (time classes are
    # busier in the evening): a thread's share of the loop takes every other chunk
    half = (spans.shape[0] + 1) // 2
    for i in prange(spans.shape[0]):
        c = 2 * i if i < half else 2 * (i - half) + 1
        nxt, written = scan_needs(
            spans[c, 0], spans[c, 1], todo, count_only, need_class, need_mode, need_xyz,
            need_skills, item_word, item_mask, item_count, ex_ptr, ex_vol, class_cells, cell_key,
            cell_start, entry_vol, entry_skills, band_h, band_offset, band_span, vol_xyz,
            chord_limit, vol_skills, vol_time, out_vol[c], out_chord[c], pairs, free,
        )  # fmt: skip
        result[c, 0] = nxt
        result[c, 1] = written


@njit(cache=True, parallel=True)
def sort_chunks(
    spans: Any,
    todo: Any,
    written: Any,
    offsets: Any,
    pairs: Any,
    vol: Any,
    km: Any,
    max_km: Any,
    need_total: Any,
    vol_total: Any,
    vol_input: Any,
    closeness_weight: float,
    score_units: int,
    out_need: Any,
    out_vol: Any,
    out_units: Any,
    out_km: Any,
    keep: int,
    bound: Any,
    at: Any,
) -> None:
    """:func:`sort_segments` on the chunks of :func:`scan_chunks` in parallel: chunk ``c``'s
    needs ``todo[spans[c, 0]:spans[c, 1]]`` (``written[c]`` pairs in row ``c`` of ``vol`` and
    ``km``) at ``offsets[c]``."""
    for c in prange(spans.shape[0]):
        k = written[c]
        sort_segments(
            spans[c, 0], spans[c, 1], todo, pairs, vol[c, :k], km[c, :k], max_km, need_total,
            vol_total, vol_input, closeness_weight, score_units, out_need, out_vol, out_units,
            out_km, offsets[c], keep, bound, at,
        )  # fmt: skip


@njit(cache=True, parallel=True)
def regroup(
    at: Any, kept: Any, need: Any, vol: Any, units: Any, km: Any
) -> tuple[Any, Any, Any, Any]:
    """The pairs grouped by need in need order: need ``n``'s ``kept[n]`` pairs start at
    ``at[n]`` in the arrays given (written in another order of the needs)."""
    n = at.size
    start = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        start[i + 1] = start[i] + kept[i]
    total = start[n]
    o_need = np.empty(total, dtype=need.dtype)
    o_vol = np.empty(total, dtype=vol.dtype)
    o_units = np.empty(total, dtype=units.dtype)
    o_km = np.empty(total, dtype=km.dtype)
    for i in prange(n):
        a = at[i]
        b = start[i]
        for k in range(kept[i]):
            o_need[b + k] = need[a + k]
            o_vol[b + k] = vol[a + k]
            o_units[b + k] = units[a + k]
            o_km[b + k] = km[a + k]
    return o_need, o_vol, o_units, o_km


@njit(cache=True)
def _heap_push_min(heap: Any, size: int, keep: int, x: int) -> int:
    """Keep the ``keep`` largest values seen in a min-heap ``heap[:size]``; returns the size."""
    if size < keep:
        i = size
        size += 1
    elif x > heap[0]:
        # replace the root and sift down
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and heap[c + 1] < heap[c]:
                c += 1
            if heap[c] >= x:
                break
            heap[i] = heap[c]
            i = c
        heap[i] = x
        return size
    else:
        return size
    while i > 0:  # sift up
        parent = (i - 1) >> 1
        if heap[parent] <= x:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = x
    return size


@njit(cache=True)
def scan_best(
    start: int,
    stop: int,
    todo: Any,
    keep: int,
    need_class: Any,
    need_mode: Any,
    need_xyz: Any,
    need_skills: Any,
    item_word: Any,
    item_mask: Any,
    item_count: Any,
    ex_ptr: Any,
    ex_vol: Any,
    class_cells: Any,
    cell_key: Any,
    cell_start: Any,
    entry_vol: Any,
    entry_skills: Any,
    band_h: Any,
    band_offset: Any,
    band_span: Any,
    vol_xyz: Any,
    chord_limit: Any,
    vol_skills: Any,
    vol_time: Any,
    need_total: Any,
    vol_total: Any,
    max_km: Any,
    cell_fair: Any,
    cell_reach: Any,
    fair_entries: Any,
    closeness_weight: float,
    score_units: int,
    earth_km: float,
    out_vol: Any,
    out_chord: Any,
    pairs: Any,
    free: Any,
    cut: Any,
) -> tuple[int, int]:
    """:func:`scan_needs` for a need's best ``keep`` pairs: cells that cannot hold one are skipped.

    A local need's cells (the same as :func:`scan_needs` visits) are visited
    best first by an upper bound of the score units of any pair in them: the
    cell's highest fairness part (``cell_fair``) and the closeness part at
    the cell's nearest point and largest ``max_km`` (``cell_reach``). Scores
    are estimated here with ``math.asin`` (within a unit of
    :func:`sort_segments`' exact ones); once ``keep`` pairs are found, a cell
    whose bound is more than two units below the ``keep``-th best estimate is
    skipped, with every cell after it; inside a cell, whose volunteers come
    fairest first, the rest of the cell is skipped once a volunteer's bound
    (the cell's closeness bound with its own fairness part) is. ``cut[need]``
    is the highest bound skipped: every pair skipped scores at most that,
    and less than each pair of the need's exact best ``keep``. Of the pairs
    found, those whose estimate is more than two units below the
    ``keep``-th best estimate are dropped too (``cut`` covers them). The
    pairs written are in the order :func:`scan_needs` writes them (volunteer
    index order), so the best ``keep`` and their order are the same;
    ``pairs`` counts them and ``free`` counts the pairs found in the cells
    visited.

    A remote need's pairs within reach are found as a local need's are. Its
    pairs beyond reach score exactly their need and fairness parts (no
    closeness), so they are taken from the class's entries in fairness
    order (``fair_entries``, see :func:`fairness_order`): the scan keeps
    the ``keep`` best by (units, index order) and stops at the first entry
    whose units are below the ``keep``-th (every entry after it scores no
    more), and ``cut`` covers those left out.
    """
    n_bands = band_h.size
    n_skill_words = need_skills.shape[1]
    cap = out_vol.size
    pos = 0
    max_cells = 27 * n_bands + 1
    far = np.empty(max(keep, 1), dtype=np.int64)  # a remote need's best pairs beyond reach
    cells = np.empty(max_cells, dtype=np.int64)
    cell_bound = np.empty(max_cells, dtype=np.int64)
    cell_near = np.empty(max_cells)  # the closeness and need parts of the bound
    heap = np.empty(max(keep, 1), dtype=np.int64)
    est = np.empty(cap, dtype=np.int64)  # estimated units of the pairs written
    sk = np.empty(n_skill_words, dtype=np.uint64)
    word = np.empty(item_word.shape[0], dtype=np.int64)
    mask = np.empty(item_word.shape[0], dtype=np.uint64)
    for q in range(start, stop):
        n = todo[q]
        begin = pos
        if need_mode[n] == 0:
            continue
        c = need_class[n]
        nx = need_xyz[n, 0]
        ny = need_xyz[n, 1]
        nz = need_xyz[n, 2]
        nt = need_total[n]
        items = item_count[n]
        extra = False
        for w in range(n_skill_words):
            sk[w] = need_skills[n, w]
            extra |= sk[w] != 0 and (w > 0 or sk[w] >> np.uint64(32) != 0)
        low = np.uint32(sk[0] & np.uint64(0xFFFFFFFF)) if n_skill_words else np.uint32(0)
        for t in range(items):
            word[t] = item_word[t, n]
            mask[t] = item_mask[t, n]
        e_lo = ex_ptr[n]
        e_hi = ex_ptr[n + 1]
        remote = need_mode[n] == 2
        # the cells to visit, with their bounds
        n_cells = 0
        for b in range(n_bands):
            c0 = class_cells[c * n_bands + b]
            c1 = class_cells[c * n_bands + b + 1]
            if c0 == c1:
                continue
            h = band_h[b]
            off = band_offset[b]
            span = band_span[b]
            ix = np.int64(math.floor(nx / h)) + off
            iy = np.int64(math.floor(ny / h)) + off
            iz = np.int64(math.floor(nz / h)) + off
            for dx in range(-1, 2):
                base = ((ix + dx) * span + iy - 1) * span
                j = _first_at_least(cell_key, c0, c1, base + iz - 1)
                top = base + 2 * span + iz + 1
                while j < c1 and cell_key[j] <= top:
                    key = cell_key[j]
                    z = (key - base) % span
                    if iz - 1 <= z <= iz + 1:
                        cz = key % span
                        cy = (key // span) % span
                        cx = key // (span * span)
                        # nearest point of the cell's box
                        d2 = 0.0
                        for ci, p in ((cx, nx), (cy, ny), (cz, nz)):
                            lo = (ci - off) * h
                            hi = lo + h
                            g = lo - p if p < lo else (p - hi if p > hi else 0.0)
                            d2 += g * g
                        chord = math.sqrt(d2) * (1.0 - 1e-9)
                        km = 2.0 * earth_km * math.asin(min(chord * 0.5, 1.0)) * (1.0 - 1e-9)
                        mk = cell_reach[j]
                        rel = 1.0 - km / mk if mk > 0 else (1.0 if km <= 0 else 0.0)
                        rel = min(max(rel, 0.0), 1.0)
                        s = closeness_weight * rel + nt + cell_fair[j]
                        cells[n_cells] = j
                        cell_near[n_cells] = closeness_weight * rel + nt
                        cell_bound[n_cells] = np.int64(math.ceil(s * score_units)) + 1
                        n_cells += 1
                    j += 1
        # best bound first (insertion sort; ties in visiting order)
        for i in range(1, n_cells):
            x = cells[i]
            y = cell_bound[i]
            z = cell_near[i]
            k = i - 1
            while k >= 0 and cell_bound[k] < y:
                cells[k + 1] = cells[k]
                cell_bound[k + 1] = cell_bound[k]
                cell_near[k + 1] = cell_near[k]
                k -= 1
            cells[k + 1] = x
            cell_bound[k + 1] = y
            cell_near[k + 1] = z
        n_free = 0
        found = 0
        overflow = False
        cut[n] = 0
        if remote:
            # beyond reach: the class's entries fairest first (then index order); the units
            # of these pairs never rise along the scan, so the first entry below the
            # ``keep``-th best ends it; ``far`` keeps the best as units * 2**32 - index
            n_far = 0
            i = cell_start[class_cells[c * n_bands]]
            i1 = cell_start[class_cells[(c + 1) * n_bands]]
            while i < i1:
                e = fair_entries[i]
                i += 1
                if entry_skills[e] & low != low:
                    continue
                v = entry_vol[e]
                u = pair_units(math.inf, max_km[v], nt, vol_total[v], closeness_weight, score_units)
                if n_far >= keep and (u << 32) - v < far[0]:
                    cut[n] = max(cut[n], u)
                    if (u << 32) < far[0]:
                        break  # below the ``keep``-th's units, as every entry after it
                    # the rest of this fairness level comes later in index order: beaten too
                    f = vol_total[v]
                    while i < i1 and vol_total[entry_vol[fair_entries[i]]] == f:
                        i += 1
                    continue
                dx_ = nx - vol_xyz[v, 0]
                dy_ = ny - vol_xyz[v, 1]
                dz_ = nz - vol_xyz[v, 2]
                sq = dx_ * dx_ + dy_ * dy_
                sq += dz_ * dz_
                chord = math.sqrt(sq)
                if chord <= chord_limit[v]:
                    continue  # within reach: found with the cells below
                if not _fits(
                    v, vol_skills, sk, n_skill_words if extra else 0, vol_time, word, mask, items
                ):
                    continue
                n_free += 1
                if _excluded(ex_vol, e_lo, e_hi, v):
                    continue
                if pos >= cap:
                    overflow = True
                    break
                n_far = _heap_push_min(far, n_far, keep, (u << 32) - v)
                out_vol[pos] = v
                out_chord[pos] = chord
                est[pos] = u
                pos += 1
                found = _heap_push_min(heap, found, keep, u)
            if overflow:
                return q, begin
        for i in range(n_cells):
            if found >= keep and cell_bound[i] + 2 < heap[0]:
                cut[n] = max(cut[n], cell_bound[i])
                break
            j = cells[i]
            near = cell_near[i]
            for e in range(cell_start[j], cell_start[j + 1]):
                v = entry_vol[e]
                # a cell's volunteers come fairest first: once the best a volunteer could
                # score here cannot make the best ``keep``, nor can the rest of the cell
                if found >= keep:
                    ub = np.int64(math.ceil((near + vol_total[v]) * score_units)) + 1
                    if ub + 2 < heap[0]:
                        cut[n] = max(cut[n], ub)
                        break
                if entry_skills[e] & low != low:
                    continue
                dx_ = nx - vol_xyz[v, 0]
                dy_ = ny - vol_xyz[v, 1]
                dz_ = nz - vol_xyz[v, 2]
                sq = dx_ * dx_ + dy_ * dy_
                sq += dz_ * dz_
                chord = math.sqrt(sq)
                if chord > chord_limit[v]:
                    continue
                if not _fits(
                    v, vol_skills, sk, n_skill_words if extra else 0, vol_time, word, mask, items
                ):
                    continue
                n_free += 1
                if _excluded(ex_vol, e_lo, e_hi, v):
                    continue
                if pos >= cap:
                    overflow = True
                    break
                out_vol[pos] = v
                out_chord[pos] = chord
                pos += 1
                km = 2.0 * earth_km * math.asin(min(chord * 0.5, 1.0))
                u = pair_units(km, max_km[v], nt, vol_total[v], closeness_weight, score_units)
                est[pos - 1] = u
                found = _heap_push_min(heap, found, keep, u)
            if overflow:
                break
        if overflow:
            return q, begin
        if found >= keep:
            # only pairs that may be among the exact best ``keep`` go on (estimates within a
            # unit of the exact units): the others score less than all of those
            w = begin
            for i in range(begin, pos):
                if est[i] + 2 >= heap[0]:
                    out_vol[w] = out_vol[i]
                    out_chord[w] = out_chord[i]
                    w += 1
                else:
                    cut[n] = max(cut[n], est[i] + 1)
            pos = w
        # back to volunteer index order, as scan_needs writes them
        if pos - begin > 64:
            order = np.argsort(out_vol[begin:pos], kind="mergesort")
            out_vol[begin:pos] = out_vol[begin:pos][order]
            out_chord[begin:pos] = out_chord[begin:pos][order]
        for i in range(begin + 1, pos):  # insertion sort (nothing to do after the argsort)
            v = out_vol[i]
            ch = out_chord[i]
            k = i - 1
            while k >= begin and out_vol[k] > v:
                out_vol[k + 1] = out_vol[k]
                out_chord[k + 1] = out_chord[k]
                k -= 1
            out_vol[k + 1] = v
            out_chord[k + 1] = ch
        pairs[n] = pos - begin
        free[n] = n_free
    return stop, pos


@njit(cache=True, parallel=True)
def scan_best_chunks(
    spans: Any,
    todo: Any,
    keep: int,
    need_class: Any,
    need_mode: Any,
    need_xyz: Any,
    need_skills: Any,
    item_word: Any,
    item_mask: Any,
    item_count: Any,
    ex_ptr: Any,
    ex_vol: Any,
    class_cells: Any,
    cell_key: Any,
    cell_start: Any,
    entry_vol: Any,
    entry_skills: Any,
    band_h: Any,
    band_offset: Any,
    band_span: Any,
    vol_xyz: Any,
    chord_limit: Any,
    vol_skills: Any,
    vol_time: Any,
    need_total: Any,
    vol_total: Any,
    max_km: Any,
    cell_fair: Any,
    cell_reach: Any,
    fair_entries: Any,
    closeness_weight: float,
    score_units: int,
    earth_km: float,
    out_vol: Any,
    out_chord: Any,
    pairs: Any,
    free: Any,
    cut: Any,
    result: Any,
) -> None:
    """:func:`scan_best` on chunks of needs in parallel, as :func:`scan_chunks`."""
    # chunks come in processing order, and its parts differ in work (time classes are
    # busier in the evening): a thread's share of the loop takes every other chunk
    half = (spans.shape[0] + 1) // 2
    for i in prange(spans.shape[0]):
        c = 2 * i if i < half else 2 * (i - half) + 1
        nxt, written = scan_best(
            spans[c, 0], spans[c, 1], todo, keep, need_class, need_mode, need_xyz, need_skills,
            item_word, item_mask, item_count, ex_ptr, ex_vol, class_cells, cell_key,
            cell_start, entry_vol, entry_skills, band_h, band_offset, band_span, vol_xyz,
            chord_limit, vol_skills, vol_time, need_total, vol_total, max_km, cell_fair,
            cell_reach, fair_entries, closeness_weight, score_units, earth_km, out_vol[c],
            out_chord[c], pairs, free, cut,
        )  # fmt: skip
        result[c, 0] = nxt
        result[c, 1] = written

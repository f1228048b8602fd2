"""Feasible pairs: spatial index, skill and availability filters.

Nothing here looks at all pairs. Volunteers are put in a grid on the unit
sphere, one grid per travel band (``max_km`` within a factor of
``_BAND_RATIO``, cells as wide as the band's longest reach), and in time
classes (the hours of the week their merged availability touches). A need
visits, in every band, the cells next to its own among the volunteers of its
time class: of the classes its windows start in, the one with the fewest
volunteers; every volunteer free for that window is free at its start, so
belongs to it. This skips most pairs that are close but never free
together. Skills and times are bitsets: a need's row holds its required
skills and the elementary time segments its windows cover; a volunteer's row
holds its skills and the segments its merged availability covers (so a window
may span adjacent blocks). A pair is compatible when the need's row is a
subset of the volunteer's row; for most needs the time test is one 64-bit word
(see :func:`_time_items`). Remote needs take every volunteer of their time
class with the skills and the time.

The loops over needs and cells are compiled (:mod:`matching._kernels`).
Reach is decided on chord lengths: a pair is within reach when its chord is at
most the volunteer's largest chord whose great-circle distance is at most
``max_km`` (:func:`_chord_limits`), and distances and scores come from those
same chords through :func:`~matching._scoring.chord_to_km`, one formula for
the reach test, the distance and the score. Needs are scanned in chunks, in
parallel, in the order of :func:`_scan_order`; each chunk's pairs are scored,
sorted per need best first and appended to the output arrays as they come
(a chunk whose pairs overflow its buffer keeps the needs it finished and
resumes in the next round), then put in need order (:func:`regroup`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import get_num_threads

from ._arrays import expand
from ._instance import Instance
from ._kernels import (
    build_cells,
    class_memberships,
    fairness_order,
    regroup,
    scan_best_chunks,
    scan_chunks,
    sort_chunks,
)
from ._scoring import (
    EARTH_RADIUS_KM,
    SCORE_UNITS,
    WEIGHTS,
    chord_to_km,
    km_to_chord,
    need_parts,
    unit_vectors,
    volunteer_parts,
)

__all__ = ["Candidates", "best_candidates", "candidates", "nearby_order", "reach_counts"]

_TABLE_LIMIT = 30_000_000  # patterns_needs * patterns_volunteers for a lookup table
_BAND_RATIO = 1.35  # max_km bands: radius grows by this factor
_CLASS_MINUTES = 60  # width of a time class
_MIN_CELL = 2e-6  # narrowest grid cell (chord on the unit sphere, about 13 m)
_BLOCK_PAIRS = 1 << 18  # pairs per chunk of needs (grows for a need with more)
_CHUNKS_PER_THREAD = 8  # chunks of needs scanned in parallel, per thread
_ORDER_CELL = 5.0 / EARTH_RADIUS_KM  # needs are scanned by cells of about 5 km


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every feasible pair of an instance with its score.

    Attributes
    ----------
    need_index, volunteer_index : ndarray of int32
        Indices into the instance's needs and volunteers.
    score_units : ndarray of int32
        Score in units of 0.0001 (``score = score_units / 10000``).
    distance_km : ndarray of float32
        Great-circle distance (the score is computed from the float64 distance).
    need_ids, volunteer_ids : tuple of str
        The instance's ids, used by :meth:`records`.
    free_count : ndarray of int64
        Per need: volunteers with the skills, within reach and free, before
        exclusions.
    seconds : float
        Time taken to generate the pairs.

    Notes
    -----
    Pairs are grouped by need in input order (``need_index`` ascending), each
    need's best first (``score_units`` descending; ties in the order of the
    spatial index, deterministic). :meth:`records` yields them sorted by need
    then volunteer.
    """

    need_index: np.ndarray
    volunteer_index: np.ndarray
    score_units: np.ndarray
    distance_km: np.ndarray
    need_ids: tuple[str, ...] = field(repr=False)
    volunteer_ids: tuple[str, ...] = field(repr=False)
    free_count: np.ndarray = field(repr=False)
    seconds: float = 0.0

    def __len__(self) -> int:
        return int(self.need_index.size)

    @property
    def score(self) -> np.ndarray:
        """Scores as floats in ``(0, 1]``."""
        return self.score_units / SCORE_UNITS

    def sorted_order(self) -> np.ndarray:
        """Permutation sorting pairs by need, then volunteer."""
        return np.lexsort((self.volunteer_index, self.need_index))

    def records(self) -> Iterator[dict[str, Any]]:
        """Yield ``{"need": id, "volunteer": id, "score": float}`` sorted by need then volunteer."""
        order = self.sorted_order()
        nids, vids = self.need_ids, self.volunteer_ids
        ni = self.need_index[order].tolist()
        vi = self.volunteer_index[order].tolist()
        sc = self.score_units[order].tolist()
        for a, b, s in zip(ni, vi, sc):
            yield {"need": nids[a], "volunteer": vids[b], "score": s / SCORE_UNITS}


# --------------------------------------------------------------------------
# bitsets
# --------------------------------------------------------------------------


def _range_bits(
    owner: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_owner: int, n_words: int
) -> np.ndarray:
    """Rows of ``n_words`` uint64 with bits ``[lo, hi)`` set for each owner."""
    bits = np.zeros((n_owner, n_words), dtype=np.uint64)
    keep = hi > lo
    owner, lo, hi = owner[keep], lo[keep], hi[keep]
    if owner.size == 0 or n_words == 0:
        return bits
    w0 = lo // 64
    nw = (hi - 1) // 64 - w0 + 1
    rep, k = expand(nw)
    word = w0[rep] + k
    a = np.maximum(lo[rep], word * 64) - word * 64
    b = np.minimum(hi[rep], word * 64 + 64) - word * 64
    ones = np.right_shift(np.uint64(0xFFFFFFFFFFFFFFFF), (64 - (b - a)).astype(np.uint64))
    mask = np.left_shift(ones, a.astype(np.uint64))
    key = owner[rep] * n_words + word
    order = np.argsort(key, kind="stable")
    key, mask = key[order], mask[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    bits.reshape(-1)[key[starts]] = np.bitwise_or.reduceat(mask, starts)
    return bits


def _merge_blocks(
    owner: np.ndarray, start: np.ndarray, end: np.ndarray, span: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge overlapping or touching blocks of each owner."""
    if owner.size == 0:
        return owner, start, end
    s = owner * span + start
    e = owner * span + end
    order = np.lexsort((s, owner))
    s, e, o = s[order], e[order], owner[order]
    run_end = np.maximum.accumulate(e)
    new = np.r_[True, s[1:] > run_end[:-1]]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], s.size] - 1
    mo = o[first]
    return mo, s[first] - mo * span, run_end[last] - mo * span


def _skill_bits(
    skills: tuple[tuple[str, ...], ...], vocab: dict[str, int], n_words: int
) -> np.ndarray:
    distinct = {t: k for k, t in enumerate(dict.fromkeys(skills))}
    ids = np.fromiter(map(distinct.__getitem__, skills), dtype=np.int64, count=len(skills))
    table = np.zeros((max(len(distinct), 1), n_words), dtype=np.uint64)
    for t, k in distinct.items():
        for s in t:
            j = vocab.get(s)
            if j is not None:
                table[k, j // 64] |= np.uint64(1) << np.uint64(j % 64)
    return table[ids]


def _patterns(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique rows and each row's pattern id (deterministic: sorted unique rows).

    The same as ``np.unique(rows, axis=0, return_inverse=True)`` (rows in
    lexicographic order of their words), by a ``lexsort`` of the columns."""
    if rows.shape[0] == 0:
        return rows, np.zeros(0, dtype=np.int64)
    if rows.shape[1] == 0:
        return rows[:1], np.zeros(rows.shape[0], dtype=np.int64)
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    new = np.empty(rows.shape[0], dtype=bool)
    new[0] = True
    np.any(srt[1:] != srt[:-1], axis=1, out=new[1:])
    inv = np.empty(rows.shape[0], dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return srt[new], inv


def _subset_table(need_pat: np.ndarray, vol_pat: np.ndarray) -> np.ndarray:
    """``table[p, q]``: need pattern p is a subset of volunteer pattern q."""
    table = np.ones((need_pat.shape[0], vol_pat.shape[0]), dtype=bool)
    notv = ~vol_pat
    step = max(1, 4_000_000 // max(1, vol_pat.shape[0]))
    for i in range(0, need_pat.shape[0], step):
        blk = table[i : i + step]
        for w in range(need_pat.shape[1]):
            blk &= (need_pat[i : i + step, w, None] & notv[None, :, w]) == 0
    return table


class _Compat:
    """Skill rows of needs and volunteers, their distinct patterns and which patterns fit."""

    def __init__(self, need_rows: np.ndarray, vol_rows: np.ndarray):
        self.need_pat, self.need_id = _patterns(need_rows)
        self.vol_pat, self.vol_id = _patterns(vol_rows)
        self.need_rows, self.vol_rows = need_rows, vol_rows
        size = self.need_pat.shape[0] * self.vol_pat.shape[0]
        self.table = _subset_table(self.need_pat, self.vol_pat) if size <= _TABLE_LIMIT else None

    def volunteers_for(self, need_pattern: int) -> np.ndarray:
        """Volunteer pattern ids compatible with one need pattern."""
        if self.table is not None:
            return np.flatnonzero(self.table[need_pattern])
        row = self.need_pat[need_pattern]
        ok = np.all((row[None, :] & ~self.vol_pat) == 0, axis=1)
        return np.flatnonzero(ok)


@dataclass(eq=False)
class _Prepared:
    need_xyz: np.ndarray
    vol_xyz: np.ndarray
    skills: _Compat
    need_t: np.ndarray  # need time bit rows (segments the windows cover)
    vol_t: np.ndarray  # volunteer time bit rows (segments the merged blocks cover)


def _merged(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every volunteer's merged availability blocks (cached on the instance)."""
    cached = inst._cache.get("merged")
    if cached is None:
        cached = _merge_blocks(inst.avail_volunteer, inst.avail_start, inst.avail_end, 8 * 1440)
        inst._cache["merged"] = cached
    return cached


def _prepare(inst: Instance) -> _Prepared:
    cached = inst._cache.get("prepared")
    if isinstance(cached, _Prepared):
        return cached
    vocab = {s: k for k, s in enumerate(sorted({s for t in inst.need_skills for s in t}))}
    ws = (len(vocab) + 63) // 64
    need_sk = _skill_bits(inst.need_skills, vocab, ws)
    vol_sk = _skill_bits(inst.volunteer_skills, vocab, ws)

    seg = _sorted_unique(np.concatenate((inst.window_start, inst.window_end)))
    wt = (max(seg.size - 1, 0) + 63) // 64
    need_t = _range_bits(
        inst.window_need,
        np.searchsorted(seg, inst.window_start),
        np.searchsorted(seg, inst.window_end),
        inst.n_needs,
        wt,
    )
    mo, ms, me = _merged(inst)
    vol_t = _range_bits(
        mo,
        np.searchsorted(seg, ms, "left"),
        np.searchsorted(seg, me, "right") - 1,
        inst.n_volunteers,
        wt,
    )
    prep = _Prepared(
        need_xyz=unit_vectors(inst.need_lat, inst.need_lon),
        vol_xyz=unit_vectors(inst.volunteer_lat, inst.volunteer_lon),
        skills=_Compat(need_sk, vol_sk),
        need_t=need_t,
        vol_t=vol_t,
    )
    inst._cache["prepared"] = prep
    return prep


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` of a 1-D array by one sort (faster than the hash-based default)."""
    a = np.sort(a, axis=None)
    if a.size > 1:
        a = a[np.r_[True, a[1:] != a[:-1]]]
    return a


def _time_items(need_t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each need's non-zero time words as (word, mask) items.

    Returns ``word`` and ``mask`` of shape ``(k, n_needs)`` (item ``i`` of each
    need; masks of missing items are 0, which every row passes) and the number
    of items per need. A volunteer row ``r`` covers a need's windows when
    ``r[word] & mask == mask`` for every item. Windows are short, so most needs
    have one item: one word instead of the whole row per pair."""
    n = need_t.shape[0]
    nz = need_t != 0
    count = nz.sum(axis=1).astype(np.int64)
    k = int(count.max()) if n else 0
    word = np.zeros((k, n), dtype=np.intp)
    mask = np.zeros((k, n), dtype=np.uint64)
    if k:
        r, w = np.nonzero(nz)
        rank = expand(count)[1]
        word[rank, r] = w
        mask[rank, r] = need_t[r, w]
    return word, mask, count


# --------------------------------------------------------------------------
# pairs
# --------------------------------------------------------------------------
# --------------------------------------------------------------------------
# the spatial and time index
# --------------------------------------------------------------------------


def _chord_limits(max_km: np.ndarray) -> np.ndarray:
    """Each volunteer's largest chord ``c`` with ``chord_to_km(c) <= max_km``.

    A pair is within reach exactly when its chord is at most this limit
    (``chord_to_km`` does not decrease), so the reach test needs no ``arcsin``
    per pair and agrees with the distance the score is computed from.
    ``inf`` for a ``max_km`` beyond half the circumference."""
    km, inv = np.unique(np.asarray(max_km, dtype=np.float64), return_inverse=True)
    c = km_to_chord(km)
    whole = chord_to_km(np.full(km.shape, 2.0)) <= km
    c[whole] = np.inf
    for _ in range(1000):
        part = ~whole
        over = part & (chord_to_km(c) > km)
        if over.any():
            c[over] = np.nextafter(c[over], -np.inf)
            continue
        up = np.nextafter(c, np.inf)
        under = part & (chord_to_km(up) <= km)
        if not under.any():
            break
        c[under] = up[under]
    else:  # pragma: no cover - km_to_chord is within a few ulps of the limit
        raise RuntimeError("chord limits did not converge")
    return np.asarray(c[inv.reshape(-1)], dtype=np.float64)


def _need_classes(inst: Instance, class_size: np.ndarray) -> np.ndarray:
    """Each need's time class: of the classes its windows start in, the one with the fewest
    volunteers (``class_size``; the lowest class among equals). A volunteer free for a
    window is free at its start, so it belongs to that window's class: the pairs are the same
    whichever window a need's class comes from, and the smallest class means the fewest
    volunteers to test."""
    start = np.asarray(inst.window_start // _CLASS_MINUTES, dtype=np.int64)
    k = np.int64(max(class_size.size, 1))
    key = np.full(inst.n_needs, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(key, inst.window_need, np.asarray(class_size, dtype=np.int64)[start] * k + start)
    return key % k  # (every need has a window)


def _volunteer_classes(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Every time class a volunteer's merged availability blocks touch, as ``(pointer, classes)``.

    Volunteer ``v``'s classes are ``classes[pointer[v]:pointer[v + 1]]``. A
    volunteer free for a need's first window is free at its start, so it
    belongs to the need's class."""
    mo, ms, me = _merged(inst)
    pointer, classes = class_memberships(mo, ms, me, inst.n_volunteers, _CLASS_MINUTES)
    return np.asarray(pointer), np.asarray(classes)


def _n_classes(inst: Instance) -> int:
    top = max(int(inst.window_start.max(initial=0)), int(inst.avail_end.max(initial=0)), 1)
    return top // _CLASS_MINUTES + 1


@dataclass(eq=False)
class _Index:
    """Volunteers by time class, travel band and grid cell (see :mod:`matching._kernels`).

    Per-volunteer arrays are in index order; ``vol_input`` maps it to input order."""

    vol_input: np.ndarray  # int32, index order -> input order
    vol_xyz: np.ndarray
    chord_limit: np.ndarray
    vol_skills: np.ndarray
    vol_time: np.ndarray
    class_cells: np.ndarray  # class * n_bands + band -> first cell
    cell_key: np.ndarray
    cell_start: np.ndarray  # cell -> first entry
    entry_vol: np.ndarray  # int32, index order
    entry_skills: np.ndarray  # uint32, each entry's first 32 skill bits
    band_h: np.ndarray
    band_offset: np.ndarray
    band_span: np.ndarray

    @property
    def position(self) -> np.ndarray:
        """Input order -> index order."""
        pos = np.empty(self.vol_input.size, dtype=np.int64)
        pos[self.vol_input] = np.arange(self.vol_input.size)
        return pos


def _spatial(inst: Instance, prep: _Prepared) -> tuple[np.ndarray, ...]:
    """The index order of the volunteers, with their chord limits, travel bands and cell
    keys (the last two in index order) and the bands' cell sizes, offsets and spans.
    Cached on the instance: every index of it (by time class, or one class for
    :func:`reach_counts`) shares them."""
    cached = inst._cache.get("spatial")
    if cached is not None:
        return tuple(cached)
    m = inst.n_volunteers
    limit = _chord_limits(inst.max_km)
    raw = np.floor(np.log(np.maximum(inst.max_km, 1e-3)) / np.log(_BAND_RATIO))
    bands, band = np.unique(raw.astype(np.int64), return_inverse=True)
    band = band.reshape(-1)
    n_bands = max(bands.size, 1)
    h = np.full(n_bands, _MIN_CELL)
    if m:
        np.maximum.at(h, band, limit * (1 + 1e-9))
    with np.errstate(divide="ignore"):
        offset = np.ceil(1.0 / h).astype(np.int64) + 2
    span = 2 * offset + 1
    # each volunteer's cell key in its band's grid
    cell = np.floor(prep.vol_xyz / h[band, None]).astype(np.int64) + offset[band, None]
    s = span[band]
    key = (cell[:, 0] * s + cell[:, 1]) * s + cell[:, 2]
    del cell, s
    # fairest first within a cell (a need after its best pairs stops early), then input order
    order = np.lexsort((-volunteer_parts(inst.load), key, band))
    key, band = key[order], band[order]
    out = (order, limit, band, key, h, offset, span)
    inst._cache["spatial"] = out
    return out


def _index(
    inst: Instance, prep: _Prepared, pointer: np.ndarray, classes: np.ndarray, n_classes: int
) -> _Index:
    """Index the volunteers by their time classes ``(pointer, classes)`` (see
    :func:`_volunteer_classes`), travel band and grid cell."""
    order, limit, band, key, h, offset, span = _spatial(inst, prep)
    n_bands = h.size
    class_cells, cell_key, cell_start, entry_vol = build_cells(
        pointer, classes, n_classes, order, band, key, n_bands
    )
    vol_skills = np.ascontiguousarray(prep.skills.vol_rows[order])
    return _Index(
        vol_input=order.astype(np.int32),
        vol_xyz=np.ascontiguousarray(prep.vol_xyz[order]),
        chord_limit=limit[order],
        vol_skills=vol_skills,
        vol_time=np.ascontiguousarray(prep.vol_t[order]),
        class_cells=class_cells,
        cell_key=cell_key,
        cell_start=cell_start,
        entry_vol=entry_vol,
        entry_skills=(
            (vol_skills[entry_vol, 0] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            if vol_skills.shape[1]
            else np.zeros(entry_vol.size, dtype=np.uint32)
        ),
        band_h=h,
        band_offset=offset,
        band_span=span,
    )


def _exclusions(inst: Instance, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each need's excluded volunteers (index order, sorted) as ``(pointer, volunteers)``."""
    m = np.int64(max(inst.n_volunteers, 1))
    keys = _sorted_unique(inst.exclude_need * m + position[inst.exclude_volunteer])
    ptr = np.searchsorted(keys // m, np.arange(inst.n_needs + 1)).astype(np.int64)
    return ptr, (keys % m).astype(np.int32)


def reach_counts(inst: Instance, needs: np.ndarray) -> np.ndarray:
    """Per need (all needs; counted for ``needs`` only): volunteers with the skills within reach.

    A remote need counts every volunteer with the skills."""
    prep = _prepare(inst)
    reach = np.zeros(inst.n_needs, dtype=np.int64)
    needs = np.asarray(needs, dtype=np.int64)
    local = needs[~inst.remote_ok[needs]]
    if local.size and inst.n_volunteers:
        m = inst.n_volunteers
        idx = _index(inst, prep, np.arange(m + 1), np.zeros(m, dtype=np.int16), 1)
        mode = np.zeros(inst.n_needs, dtype=np.int8)
        mode[local] = 1
        items = _time_items(prep.need_t[:, :0])
        one_class = np.zeros(inst.n_needs, dtype=np.int64)
        # chunks of about the same number of needs counted, in parallel
        n_chunks = _CHUNKS_PER_THREAD * max(get_num_threads(), 1)
        no_pairs = np.zeros((n_chunks, 0), dtype=np.int32)
        todo = _scan_order(inst, prep, one_class, mode)
        bounds = np.linspace(0, todo.size, n_chunks + 1).astype(np.int64)
        scan_chunks(
            np.column_stack((bounds[:-1], bounds[1:])), todo, True, one_class, mode, prep.need_xyz,
            prep.skills.need_rows, items[0], items[1], items[2],
            np.zeros(inst.n_needs + 1, dtype=np.int64), no_pairs[0], idx.class_cells,
            idx.cell_key, idx.cell_start, idx.entry_vol, idx.entry_skills, idx.band_h,
            idx.band_offset, idx.band_span, idx.vol_xyz, idx.chord_limit, idx.vol_skills,
            idx.vol_time, no_pairs, np.zeros((n_chunks, 0)), np.zeros(inst.n_needs, dtype=np.int64),
            reach, np.zeros((n_chunks, 2), dtype=np.int64),
        )  # fmt: skip
    remote = needs[inst.remote_ok[needs]]
    if remote.size:
        sk = prep.skills
        vcount = np.bincount(sk.vol_id, minlength=sk.vol_pat.shape[0])
        for p in _sorted_unique(sk.need_id[remote]):
            group = remote[sk.need_id[remote] == p]
            reach[group] = vcount[sk.volunteers_for(int(p))].sum()
    return reach


# --------------------------------------------------------------------------
# pairs
# --------------------------------------------------------------------------


class _Output:
    """Output arrays that grow in place, sized from the pairs per need so far.

    The pairs per need of the needs done so far predict the rest well: the
    arrays are grown to that estimate (plus a sixteenth) when full, a few
    times in all rather than by a fixed fraction each time, and shrunk to
    size at the end."""

    def __init__(self) -> None:
        self.need = np.empty(0, dtype=np.int32)
        self.vol = np.empty(0, dtype=np.int32)
        self.units = np.empty(0, dtype=np.int32)
        self.km = np.empty(0, dtype=np.float32)
        self.size = 0

    def _resize(self, cap: int) -> None:
        for buf in (self.need, self.vol, self.units, self.km):
            buf.resize(cap, refcheck=False)  # no views of the buffers are kept

    def reserve(self, k: int, expected: float) -> int:
        """Room for ``k`` more pairs of about ``expected`` in all; returns where they go."""
        lo = self.size
        if lo + k > self.need.size:
            self._resize(max(lo + k, int(expected * 17 / 16), self.need.size * 9 // 8))
        self.size += k
        return lo

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        self._resize(self.size)
        return self.need, self.vol, self.units, self.km


def candidates(instance: Instance) -> Candidates:
    """Every feasible pair of an instance, with its score.

    A pair is feasible when the volunteer has every skill the need requires;
    the need is ``remote_ok`` or the great-circle distance is at most the
    volunteer's ``max_km``; every window of the need lies inside the
    volunteer's availability (adjacent or overlapping blocks are merged); and
    the pair is not excluded.

    Parameters
    ----------
    instance : Instance
        From :func:`parse_instance` or :meth:`Instance.from_arrays`.

    Returns
    -------
    Candidates
        Arrays ``need_index``, ``volunteer_index``, ``score_units``,
        ``distance_km``, grouped by need, each need's best pair first;
        iterate ``records()`` for ``{"need", "volunteer", "score"}``.

    Examples
    --------
    >>> from matching import parse_instance, candidates
    >>> inst = parse_instance({
    ...     "needs": [{"id": "n1", "lat": 51.5, "lon": -0.1, "skills": [],
    ...                "windows": [{"weekday": 0, "start": "09:00", "end": "10:00"}],
    ...                "volunteers_needed": 1, "urgency": 0.5, "remote_ok": False}],
    ...     "volunteers": [{"id": "v1", "lat": 51.5, "lon": -0.1, "skills": [],
    ...                     "max_km": 3, "capacity": 1,
    ...                     "availability": [{"weekday": 0, "start": "08:00", "end": "12:00"}]}]})
    >>> list(candidates(inst).records())
    [{'need': 'n1', 'volunteer': 'v1', 'score': 0.725}]
    """
    return _generate(instance, None, None)[0]


def best_candidates(
    instance: Instance, per_need: int, needs: Any = None
) -> tuple[Candidates, np.ndarray]:
    """The best ``per_need`` feasible pairs of each need, and a bound on the rest.

    The pairs not returned are never held in memory, and most are never
    looked at: a need visits its grid cells best first by an upper bound of
    the score any pair in them could have (its nearest point, the highest
    ``max_km`` and fairness part in it; a cell's volunteers come fairest
    first) and stops once nothing left could make its best ``per_need``
    (see :func:`matching._kernels.scan_best`). Memory grows with
    ``per_need`` times the needs rather than with every feasible pair.

    Parameters
    ----------
    instance : Instance
    per_need : int
        Pairs to keep per need, at least 1.
    needs : array_like of int, optional
        Generate pairs for these needs only (all by default), e.g. the needs
        whose bound a solver could not rule out after a first round.

    Returns
    -------
    Candidates
        As :func:`candidates` returns them (each need's best first), at most
        ``per_need`` pairs per need; ``free_count`` is exact for the needs
        whose bound is 0 (a lower count for the others).
    bound : ndarray of int32
        Per need: an upper bound of the score units of its pairs left out,
        at most those of any pair returned; 0 when none was left out (and
        for needs not asked for). At least the units of its best pair left
        out, and more when whole cells were skipped.

    Notes
    -----
    Pairs come in the same order as from :func:`candidates`: the pairs
    returned are the first ``per_need`` of each need there. A solver can start
    from these pairs and ask again, for the needs whose bound it cannot rule
    out, with a larger ``per_need``; only those needs are generated again.
    """
    if per_need < 1:
        raise ValueError(f"per_need must be at least 1, got {per_need}")
    return _generate(instance, per_need, needs)


def _scan_inputs(
    inst: Instance, prep: _Prepared
) -> tuple[
    _Index, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray
]:
    """The index, exclusions, time items and need classes (cached on the instance, so
    rounds of :func:`best_candidates` for a few needs do not rebuild them)."""
    cached = inst._cache.get("scan_inputs")
    if cached is None:
        idx = _index(inst, prep, *_volunteer_classes(inst), _n_classes(inst))
        ex = _exclusions(inst, idx.position)
        sizes = np.diff(idx.cell_start[idx.class_cells[:: idx.band_h.size]])
        cached = (idx, ex, _time_items(prep.need_t), _need_classes(inst, sizes))
        inst._cache["scan_inputs"] = cached
    return cached


def _fair_entries(inst: Instance, idx: _Index, vol_total: np.ndarray) -> np.ndarray:
    """Each time class's entries fairest first (see :func:`matching._kernels.fairness_order`),
    for remote needs' pairs beyond reach (cached on the instance)."""
    cached = inst._cache.get("fair_entries")
    if cached is None:
        levels, level = np.unique(-vol_total, return_inverse=True)
        cached = fairness_order(
            idx.class_cells, idx.cell_start, idx.entry_vol, level.reshape(-1).astype(np.int64),
            levels.size, idx.band_h.size,
        )  # fmt: skip
        inst._cache["fair_entries"] = cached
    out: np.ndarray = cached
    return out


def _scan_order(
    inst: Instance, prep: _Prepared, need_class: np.ndarray, mode: np.ndarray
) -> np.ndarray:
    """The needs to scan (``mode`` not 0), in the order they are scanned: by time class,
    then grid cell of about 5 km, so that needs scanned one after another read the same
    cells and volunteers (from memory caches, not main memory). Pairs come out in need
    order whatever this order is."""
    todo = np.flatnonzero(mode)
    if todo.size < 2:
        return todo
    cell = np.floor(prep.need_xyz[todo] / _ORDER_CELL).astype(np.int64)
    return todo[np.lexsort((cell[:, 2], cell[:, 1], cell[:, 0], need_class[todo]))]


def nearby_order(inst: Instance) -> np.ndarray:
    """The needs ordered by grid cells of about 5 km, so that needs next to each other in the
    order are near each other (for the assignment's searches, see
    :func:`matching._assign.b_matching`)."""
    if inst.n_needs < 2:
        return np.arange(inst.n_needs, dtype=np.int64)
    cell = np.floor(_prepare(inst).need_xyz / _ORDER_CELL).astype(np.int64)
    return np.lexsort((cell[:, 2], cell[:, 1], cell[:, 0])).astype(np.int64)


def _cell_bounds(
    idx: _Index, vol_total: np.ndarray, max_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of the index: its volunteers' highest fairness part and highest ``max_km``."""
    if idx.cell_key.size == 0:
        return np.zeros(0), np.zeros(0)
    first = idx.cell_start[:-1]
    fair = np.maximum.reduceat(vol_total[idx.entry_vol], first)
    reach = np.maximum.reduceat(max_km[idx.entry_vol], first)
    return fair, reach


def _generate(
    instance: Instance, per_need: int | None, needs: Any
) -> tuple[Candidates, np.ndarray]:
    t0 = time.perf_counter()
    inst = instance
    n = inst.n_needs
    out = _Output()
    pairs = np.zeros(n, dtype=np.int64)
    free = np.zeros(n, dtype=np.int64)
    bound = np.zeros(n, dtype=np.int32)
    at = np.zeros(n, dtype=np.int64)  # where each need's pairs start in ``out``
    keep = np.iinfo(np.int64).max if per_need is None else int(per_need)
    mode = np.where(inst.remote_ok, 2, 1).astype(np.int8)
    if needs is not None:
        chosen = np.zeros(n, dtype=bool)
        chosen[np.asarray(needs, dtype=np.int64)] = True
        mode[~chosen] = 0
    if n and inst.n_volunteers:
        prep = _prepare(inst)
        idx, ex, items, need_class = _scan_inputs(inst, prep)
        need_u, need_w = need_parts(inst.urgency, inst.waiting_hours)
        need_total = need_u + need_w
        vol_total = volunteer_parts(inst.load)[idx.vol_input]
        max_km = inst.max_km[idx.vol_input]
        cut = np.zeros(n, dtype=np.int64)  # per need: bound of the cells skipped
        cell_fair = cell_reach = np.zeros(0)
        fair_entries = np.zeros(0, dtype=np.int64)
        if per_need is not None:
            cell_fair, cell_reach = inst._cache.get("cell_bounds") or _cell_bounds(
                idx, vol_total, max_km
            )
            inst._cache["cell_bounds"] = (cell_fair, cell_reach)
            if (mode == 2).any():
                fair_entries = _fair_entries(inst, idx, vol_total)
        # chunks of needs scanned in parallel, each into its own row of the buffers; each
        # chunk's pairs go to the output as they come (``regroup`` puts them in need order)
        n_chunks = _CHUNKS_PER_THREAD * max(get_num_threads(), 1)
        s_vol = np.empty((n_chunks, _BLOCK_PAIRS), dtype=np.int32)
        s_chord = np.empty((n_chunks, _BLOCK_PAIRS))
        km = np.empty((n_chunks, _BLOCK_PAIRS))
        result = np.zeros((n_chunks, 2), dtype=np.int64)
        per_need_seen = 64.0  # pairs per need scanned so far (sizes the chunks)
        todo = _scan_order(inst, prep, need_class, mode)
        pending = [(0, int(todo.size))] if todo.size else []  # ranges of ``todo`` left
        n_done = n_seen = 0  # needs done, and their pairs
        while pending:
            size = max(1, int(s_vol.shape[1] * 0.7 / per_need_seen))
            chunks: list[tuple[int, int]] = []
            while pending and len(chunks) < n_chunks:
                lo, hi = pending.pop(0)
                if hi - lo > size:
                    pending.insert(0, (lo + size, hi))
                    hi = lo + size
                chunks.append((lo, hi))
            spans = np.array(chunks, dtype=np.int64)
            if per_need is None:
                scan_chunks(
                    spans, todo, False, need_class, mode, prep.need_xyz, prep.skills.need_rows,
                    items[0], items[1], items[2], ex[0], ex[1], idx.class_cells, idx.cell_key,
                    idx.cell_start, idx.entry_vol, idx.entry_skills, idx.band_h,
                    idx.band_offset, idx.band_span, idx.vol_xyz, idx.chord_limit,
                    idx.vol_skills, idx.vol_time, s_vol, s_chord, pairs, free, result,
                )  # fmt: skip
            else:
                scan_best_chunks(
                    spans, todo, keep, need_class, mode, prep.need_xyz, prep.skills.need_rows,
                    items[0], items[1], items[2], ex[0], ex[1], idx.class_cells, idx.cell_key,
                    idx.cell_start, idx.entry_vol, idx.entry_skills, idx.band_h,
                    idx.band_offset, idx.band_span, idx.vol_xyz, idx.chord_limit,
                    idx.vol_skills, idx.vol_time, need_total, vol_total, max_km, cell_fair,
                    cell_reach, fair_entries, WEIGHTS["closeness"], SCORE_UNITS, EARTH_RADIUS_KM,
                    s_vol, s_chord, pairs, free, cut, result,
                )  # fmt: skip
            # every chunk keeps the needs it did; the rest of a chunk whose pairs did not fit
            # comes back first in the next round (no need is scanned twice but the one cut off)
            k = len(chunks)
            stop = result[:k, 0].copy()
            written = result[:k, 1].copy()
            pending[:0] = [(int(stop[c]), hi) for c, (_, hi) in enumerate(chunks) if stop[c] < hi]
            done = np.column_stack((spans[:, 0], stop))
            scanned = [pairs[todo[lo:hi]] for lo, hi in done]
            kept = np.array([np.minimum(x, keep).sum() for x in scanned], dtype=np.int64)
            n_done += int((stop - spans[:, 0]).sum())
            n_seen += sum(int(x.sum()) for x in scanned)
            at_ = out.reserve(int(kept.sum()), (out.size + kept.sum()) * todo.size / max(n_done, 1))
            offsets = at_ + np.concatenate(([0], np.cumsum(kept)[:-1]))
            for c in range(k):
                chord_to_km(s_chord[c, : written[c]], out=km[c, : written[c]])
            sort_chunks(
                done, todo, written, offsets, pairs, s_vol, km, max_km, need_total, vol_total,
                idx.vol_input, WEIGHTS["closeness"], SCORE_UNITS, out.need, out.vol, out.units,
                out.km, keep, bound, at,
            )  # fmt: skip
            if np.any(stop == spans[:, 0]):  # a need's pairs alone do not fit: larger buffers
                width = 2 * s_vol.shape[1]
                s_vol = np.empty((n_chunks, width), dtype=np.int32)
                s_chord = np.empty((n_chunks, width))
                km = np.empty((n_chunks, width))
            per_need_seen = max(n_seen / max(n_done, 1), 1e-3)
        np.maximum(bound, cut, out=bound, casting="unsafe")
    need_index, volunteer_index, units_all, distance = regroup(
        at, np.minimum(pairs, keep), *out.arrays()
    )
    cand = Candidates(
        need_index=need_index,
        volunteer_index=volunteer_index,
        score_units=units_all,
        distance_km=distance,
        need_ids=inst.need_ids,
        volunteer_ids=inst.volunteer_ids,
        free_count=free,
        seconds=time.perf_counter() - t0,
    )
    return cand, bound

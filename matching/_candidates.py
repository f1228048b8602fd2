"""Feasible pairs: spatial index, skill and availability filters.

Nothing here looks at all pairs. Needs and volunteers are first put in time
classes (weekday x part of the day): a need by the start of its first window,
a volunteer in every class its merged availability touches, so a volunteer
free for a need always shares its class. Within a class, local needs are
joined to volunteers with a k-d tree on 3-D unit vectors, one query per band
of ``max_km`` (volunteers in a band share a search radius; each pair is then
checked against its own volunteer's radius). This skips most pairs that are
close but never free together. Skills and times are bitsets: a need's row
holds its required skills and the elementary time segments its windows
cover; a volunteer's row holds its skills and the segments its merged
availability covers (so a window may span adjacent blocks). A pair is
compatible when the need's row is a subset of the volunteer's row. The tests
run per join on join-local arrays: the radius and the skill words on every
pair the trees return, then the time words on the pairs left, one word per
pair for most needs (a need's windows rarely cross a 64-segment word; see
:func:`_time_items`). Great-circle distances are computed only for pairs that
pass the skill and time tests. Remote needs are joined to every volunteer with
the skills (found once per skill pattern) and the time. Pairs are scored chunk
by chunk into output arrays that grow in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from ._arrays import expand
from ._instance import MINUTES_PER_DAY, Instance
from ._scoring import (
    SCORE_UNITS,
    WEIGHTS,
    chord_to_km,
    closeness_part,
    km_to_chord,
    need_parts,
    unit_vectors,
    volunteer_parts,
)

__all__ = ["Candidates", "candidates", "reach_counts"]

_TABLE_LIMIT = 30_000_000  # patterns_needs * patterns_volunteers for a lookup table
_CHUNK = 4_000_000  # pairs per chunk in pairwise subset tests
_BAND_RATIO = 1.35  # max_km bands: radius grows by this factor
_VOLS_PER_QUERY = 200_000  # volunteers per k-d tree join, bounds memory
_SLICE = 1 << 20  # pairs per step of the tests and scores: small, reused temporaries


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every feasible pair of an instance with its score.

    Attributes
    ----------
    need_index, volunteer_index : ndarray of int32
        Indices into the instance's needs and volunteers.
    score_units : ndarray of int32
        Score in units of 0.0001 (``score = score_units / 10000``).
    distance_km : ndarray of float64
        Great-circle distance.
    ids : tuple of (need_ids, volunteer_ids)
        Used by :meth:`records`.

    Notes
    -----
    Pairs are in no particular order; :meth:`records` yields them sorted by
    need then volunteer (input order).
    """

    need_index: np.ndarray
    volunteer_index: np.ndarray
    score_units: np.ndarray
    distance_km: np.ndarray
    need_ids: tuple[str, ...] = field(repr=False)
    volunteer_ids: tuple[str, ...] = field(repr=False)
    # per need: volunteers with the skills and also free and within reach (before exclusions)
    free_count: np.ndarray = field(repr=False)
    seconds: float = 0.0
    _instance: Instance | None = field(default=None, repr=False)
    _reach: dict = field(default_factory=dict, repr=False)

    @property
    def reach_count(self) -> np.ndarray:
        """Per need: volunteers with the skills within reach (whatever their time)."""
        if "all" not in self._reach:
            inst = self._instance
            self._reach["all"] = (
                np.zeros(0, dtype=np.int64)
                if inst is None
                else reach_counts(inst, np.arange(inst.n_needs))
            )
        return self._reach["all"]

    def __len__(self) -> int:
        return int(self.need_index.size)

    @property
    def score(self) -> np.ndarray:
        """Scores as floats in ``(0, 1]``."""
        return self.score_units / SCORE_UNITS

    def sorted_order(self) -> np.ndarray:
        """Permutation sorting pairs by need, then volunteer."""
        return np.lexsort((self.volunteer_index, self.need_index))

    def records(self) -> Iterator[dict]:
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
    distinct: dict[tuple[str, ...], int] = dict.fromkeys(skills)
    for k, t in enumerate(distinct):
        distinct[t] = k
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
    """Subset test between need and volunteer bit rows, by table or pairwise."""

    def __init__(self, need_rows: np.ndarray, vol_rows: np.ndarray):
        self.need_pat, self.need_id = _patterns(need_rows)
        self.vol_pat, self.vol_id = _patterns(vol_rows)
        self.need_rows, self.vol_rows = need_rows, vol_rows
        size = self.need_pat.shape[0] * self.vol_pat.shape[0]
        self.table = _subset_table(self.need_pat, self.vol_pat) if size <= _TABLE_LIMIT else None

    def pairs(self, ni: np.ndarray, vi: np.ndarray) -> np.ndarray:
        if self.need_rows.shape[1] == 0:
            return np.ones(ni.size, dtype=bool)
        if self.table is not None:
            return self.table[self.need_id[ni], self.vol_id[vi]]
        ok = np.empty(ni.size, dtype=bool)
        for i in range(0, ni.size, _CHUNK):
            a, b = ni[i : i + _CHUNK], vi[i : i + _CHUNK]
            r = np.ones(a.size, dtype=bool)
            for w in range(self.need_rows.shape[1]):
                r &= (self.need_rows[a, w] & ~self.vol_rows[b, w]) == 0
            ok[i : i + _CHUNK] = r
        return ok

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
    vocab: dict
    segments: np.ndarray
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
    if cached is not None:
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
        vocab=vocab,
        segments=seg,
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

_CLASS_BOUNDS = (0, 540, 720, 900, 1080)  # minutes of the day where time classes start


def _time_classes(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time classes (weekday x part of the day) for a join that skips pairs never free together.

    Returns each need's class (the class of its first window's start) and the
    (volunteer, class) memberships: every class a merged availability block
    overlaps, sorted by volunteer then class. A volunteer free for a need's
    first window is free at its start, so it belongs to the need's class."""
    bounds = (np.arange(7)[:, None] * MINUTES_PER_DAY + np.array(_CLASS_BOUNDS)).ravel()

    def cls(t: np.ndarray) -> np.ndarray:
        return np.searchsorted(bounds, t, side="right") - 1

    first = np.searchsorted(inst.window_need, np.arange(inst.n_needs))
    if inst.window_need.size:
        first = np.minimum(first, inst.window_need.size - 1)
        has = inst.window_need[first] == np.arange(inst.n_needs)
        need_cls = np.where(has, cls(inst.window_start[first]), -1)
    else:
        need_cls = np.full(inst.n_needs, -1, dtype=np.int64)
    mo, ms, me = _merged(inst)
    lo, hi = cls(ms), cls(np.maximum(me - 1, ms))
    span = hi - lo + 1
    own, k = expand(span)
    k = lo[own] + k
    key = _sorted_unique(mo[own] * bounds.size + np.minimum(k, bounds.size - 1))
    return need_cls, key // bounds.size, key % bounds.size


def _groups(inst: Instance, needs: np.ndarray, by_time: bool):
    """(needs, volunteers) of each join, both in index order; by time class with ``by_time``."""
    if not by_time:
        return [(needs, np.arange(inst.n_volunteers))]
    need_cls, mem_v, mem_c = _time_classes(inst)
    need_cls = need_cls[needs]
    classes = _sorted_unique(need_cls)
    # memberships grouped by class, volunteers ascending within a class (stable sort)
    order = np.argsort(mem_c.astype(np.int16), kind="stable")  # radix sort
    mem_v, mem_c = mem_v[order], mem_c[order]
    bounds = np.searchsorted(mem_c, np.r_[classes, classes + 1])
    lo, hi = bounds[: classes.size], bounds[classes.size :]
    by_need = np.argsort(need_cls.astype(np.int16), kind="stable")
    nb = np.searchsorted(need_cls[by_need], np.r_[classes, classes[-1:] + 1])
    return [
        (
            needs[by_need[nb[t] : nb[t + 1]]],
            mem_v[lo[t] : hi[t]] if c >= 0 else np.arange(inst.n_volunteers),
        )
        for t, c in enumerate(classes.tolist())
    ]


def _joins(inst: Instance, prep: _Prepared, needs: np.ndarray, by_time: bool = True):
    """Yield (group_needs, vols, limit, sdm): k-d tree joins, a superset of the pairs within max_km.

    ``sdm`` is the ``ndarray`` output of ``sparse_distance_matrix`` (``i``
    indexes ``vols``, ``j`` indexes ``group_needs``, ``v`` the chord) and
    ``limit`` each of ``vols``' chord radius. With ``by_time``, needs and
    volunteers are joined only within a time class (see
    :func:`_time_classes`), which skips most pairs that are never free
    together; the exact tests come after."""
    if needs.size == 0 or inst.n_volunteers == 0:
        return
    km = inst.max_km
    band = np.floor(np.log(np.maximum(km, 1e-3)) / np.log(_BAND_RATIO)).astype(np.int64)
    for group_needs, group_vols in _groups(inst, needs, by_time):
        if group_needs.size == 0 or group_vols.size == 0:
            continue
        tree_n = cKDTree(prep.need_xyz[group_needs], balanced_tree=False, compact_nodes=False)
        gb = band[group_vols]
        order = np.lexsort((group_vols, gb))
        bands = gb[order]
        cuts = np.flatnonzero(np.r_[True, bands[1:] != bands[:-1], True])
        for a, b in zip(cuts[:-1], cuts[1:]):
            members = group_vols[order[a:b]]
            for c in range(0, members.size, _VOLS_PER_QUERY):
                vols = members[c : c + _VOLS_PER_QUERY]
                limit = km_to_chord(km[vols]) * (1 + 1e-9) + 1e-12
                tree_v = cKDTree(prep.vol_xyz[vols], balanced_tree=False, compact_nodes=False)
                sdm = tree_v.sparse_distance_matrix(
                    tree_n, float(limit.max()), output_type="ndarray"
                )
                if sdm.size:
                    yield group_needs, vols, limit, sdm


def _spatial_pairs(inst: Instance, prep: _Prepared, needs: np.ndarray, by_time: bool = True):
    """Yield (need_index, volunteer_index, chord) chunks, a superset of the pairs within max_km."""
    for group_needs, vols, limit, sdm in _joins(inst, prep, needs, by_time):
        sdm = sdm[sdm["v"] <= limit[sdm["i"]]]
        yield group_needs[sdm["j"]], vols[sdm["i"]], sdm["v"]


def reach_counts(inst: Instance, needs: np.ndarray) -> np.ndarray:
    """Per need (all needs; counted for ``needs`` only): volunteers with the skills within reach.

    A remote need counts every volunteer with the skills."""
    prep = _prepare(inst)
    reach = np.zeros(inst.n_needs, dtype=np.int64)
    needs = np.asarray(needs, dtype=np.int64)
    local = needs[~inst.remote_ok[needs]]
    for ni, vi, chord in _spatial_pairs(inst, prep, local, by_time=False):
        ok = prep.skills.pairs(ni, vi)
        ni, vi, chord = ni[ok], vi[ok], chord[ok]
        ok = chord_to_km(chord) <= inst.max_km[vi]
        reach += np.bincount(ni[ok], minlength=inst.n_needs)
    remote = needs[inst.remote_ok[needs]]
    if remote.size:
        sk = prep.skills
        vcount = np.bincount(sk.vol_id, minlength=sk.vol_pat.shape[0])
        for p in _sorted_unique(sk.need_id[remote]):
            group = remote[sk.need_id[remote] == p]
            reach[group] = vcount[sk.volunteers_for(int(p))].sum()
    return reach


def _local_pairs(inst: Instance, prep: _Prepared, local: np.ndarray):
    """Yield (need_index, volunteer_index, chord) chunks of local pairs with the skills and
    the time, within each volunteer's chord radius (the km test comes after).

    Per join, the tests run on join-local arrays with ``take``: the radius and
    the skill words on every pair the k-d trees return, then each need's time
    items (see :func:`_time_items`) on the pairs left."""
    sk = prep.skills
    need_sk, vol_sk = sk.need_rows, sk.vol_rows
    item_word, item_mask, item_count = _time_items(prep.need_t)
    vol_t = prep.vol_t
    wt = vol_t.shape[1]
    last = None
    for group_needs, vols, limit, sdm in _joins(inst, prep, local):
        if group_needs is not last:  # need arrays of the time class, once per class
            last = group_needs
            g_sk = [
                (w, np.ascontiguousarray(need_sk[group_needs, w]))
                for w in range(need_sk.shape[1])
                if need_sk[group_needs, w].any()
            ]
            g_word = item_word[:, group_needs]
            g_mask = item_mask[:, group_needs]
            g_count = item_count[group_needs]
            g_items = int(g_count.max()) if g_count.size else 0
        rows = vol_t[vols].ravel()
        vol_w = [vol_sk[vols, w] for w, _ in g_sk]
        for lo in range(0, sdm.size, _SLICE):
            part = sdm[lo : lo + _SLICE]
            i = np.ascontiguousarray(part["i"])
            j = np.ascontiguousarray(part["j"])
            chord = part["v"]
            ok = chord <= limit.take(i)
            for (w, need_w), vw in zip(g_sk, vol_w):
                a = need_w.take(j)
                b = vw.take(i)
                b &= a
                ok &= b == a
            idx = np.flatnonzero(ok)
            ii, jj = i.take(idx), j.take(idx)
            if g_items:
                m = g_mask[0].take(jj)
                k = ii * wt
                k += g_word[0].take(jj)
                x = rows.take(k)
                x &= m
                keep = x == m
                for t in range(1, g_items):
                    sub = np.flatnonzero(g_count.take(jj) > t)
                    if sub.size == 0:
                        break
                    js = jj.take(sub)
                    m = g_mask[t].take(js)
                    k = ii.take(sub) * wt
                    k += g_word[t].take(js)
                    x = rows.take(k)
                    x &= m
                    keep[sub] &= x == m
                idx, ii, jj = idx[keep], ii[keep], jj[keep]
            yield group_needs.take(jj), vols.take(ii), chord.take(idx)


def _remote_groups(inst: Instance, prep: _Prepared, remote: np.ndarray):
    """Yield (needs, vols) for the remote needs: needs with one pattern (skills and
    windows), in pattern order, and every volunteer with the skills and the time, ascending."""
    if remote.size == 0 or inst.n_volunteers == 0:
        return
    sk = prep.skills
    ws = sk.need_rows.shape[1]
    rows = np.hstack((sk.need_rows[remote], prep.need_t[remote]))
    pats, inv = _patterns(rows)
    # patterns are sorted rows, skill words first: one skill pattern's patterns are consecutive
    by_pat = np.argsort(inv, kind="stable")
    cuts = np.r_[0, np.cumsum(np.bincount(inv, minlength=pats.shape[0]))]
    last_skills, skilled, skilled_t = None, None, None
    for p in range(pats.shape[0]):
        needs = remote[by_pat[cuts[p] : cuts[p + 1]]]
        key = pats[p, :ws].tobytes()
        if key != last_skills:
            last_skills = key
            if sk.table is not None:
                ok = sk.table[sk.need_id[needs[0]]][sk.vol_id]
            else:
                ok = np.ones(inst.n_volunteers, dtype=bool)
                for w in np.flatnonzero(pats[p, :ws]):
                    ok &= (sk.vol_rows[:, w] & pats[p, w]) == pats[p, w]
            skilled = np.flatnonzero(ok)
            skilled_t = np.ascontiguousarray(prep.vol_t[skilled].T)
        ok = np.ones(skilled.size, dtype=bool)
        for w in np.flatnonzero(pats[p, ws:]):
            m = pats[p, ws + w]
            ok &= (skilled_t[w] & m) == m
        vols = skilled[ok]
        if vols.size:
            yield needs, vols


class _Output:
    """Scores the feasible pairs chunk by chunk and appends them to the output arrays.

    The output arrays grow in place by an eighth at a time (``ndarray.resize``
    remaps large buffers rather than copying them), so the peak memory is about
    1.1 copies of the output rather than two (the chunks and their
    concatenation)."""

    _DTYPES = (np.int32, np.int32, np.int32, np.float64)

    def __init__(self, inst: Instance):
        self.inst = inst
        need_u, need_w = need_parts(inst.urgency, inst.waiting_hours)
        self.need_total = need_u + need_w
        self.vol_total = volunteer_parts(inst.load)
        self.positive_km = bool(np.all(inst.max_km > 0))
        self.bufs = [np.empty(0, dtype=d) for d in self._DTYPES]
        self.size = 0
        self.excluded_free: list[np.ndarray] = []  # need of each excluded feasible pair
        n, m = inst.n_needs, np.int64(max(inst.n_volunteers, 1))
        self.m = m
        if inst.exclude_need.size:
            self.ex_keys = _sorted_unique(inst.exclude_need * m + inst.exclude_volunteer)
            self.ex_need = np.zeros(n, dtype=bool)
            self.ex_need[inst.exclude_need] = True
        else:
            self.ex_keys = None

    def _write(self, shape: tuple[int, ...], *columns: np.ndarray) -> None:
        """Append rows: need, volunteer, score units, km, each broadcast to ``shape``."""
        k = int(np.prod(shape))
        lo, hi = self.size, self.size + k
        if hi > self.bufs[0].size:
            cap = max(hi, self.bufs[0].size * 9 // 8 + (1 << 16))
            for buf in self.bufs:
                buf.resize(cap, refcheck=False)  # no views of the buffers are kept
        for buf, col in zip(self.bufs, columns):
            buf[lo:hi].reshape(shape)[...] = col
        self.size = hi

    def _excluded(self, ni: np.ndarray, vi: np.ndarray) -> np.ndarray | None:
        """Positions of excluded pairs, or None."""
        if self.ex_keys is None or ni.size == 0:
            return None
        sub = np.flatnonzero(self.ex_need[ni])
        if sub.size == 0:
            return None
        key = ni[sub].astype(np.int64) * self.m + vi[sub]
        ex = self.ex_keys
        pos = np.minimum(np.searchsorted(ex, key), ex.size - 1)
        hit = sub[ex[pos] == key]
        return hit if hit.size else None

    def _closeness(self, dist: np.ndarray, mk: np.ndarray) -> np.ndarray:
        if not self.positive_km:
            return closeness_part(dist, mk)
        # closeness_part for max_km > 0 with fewer temporaries (the same arithmetic)
        rel = np.divide(dist, mk)
        np.subtract(1.0, rel, out=rel)
        np.clip(rel, 0.0, 1.0, out=rel)
        rel *= WEIGHTS["closeness"]
        return rel

    @staticmethod
    def _units(s: np.ndarray) -> np.ndarray:
        """:func:`score_units` of a sum of parts, in place (still float)."""
        s *= SCORE_UNITS
        np.rint(s, out=s)
        np.clip(s, 1, SCORE_UNITS, out=s)
        return s

    def _put(self, ni: np.ndarray, vi: np.ndarray, dist: np.ndarray, mk: np.ndarray) -> None:
        """Score and append pairs that are feasible but for exclusions."""
        hit = self._excluded(ni, vi)
        if hit is not None:
            self.excluded_free.append(ni[hit])
            keep = np.ones(ni.size, dtype=bool)
            keep[hit] = False
            ni, vi, dist, mk = ni[keep], vi[keep], dist[keep], mk[keep]
        s = self._closeness(dist, mk)
        s += self.need_total.take(ni)
        s += self.vol_total.take(vi)
        self._write(ni.shape, ni, vi, self._units(s), dist)

    def local(self, ni: np.ndarray, vi: np.ndarray, chord: np.ndarray) -> None:
        dist = chord_to_km(chord)
        mk = self.inst.max_km.take(vi)
        ok = dist <= mk
        if not ok.all():
            ni, vi, dist, mk = ni[ok], vi[ok], dist[ok], mk[ok]
        self._put(ni, vi, dist, mk)

    def remote(
        self, needs: np.ndarray, vols: np.ndarray, need_xyz: np.ndarray, vol_xyz: np.ndarray
    ) -> None:
        """Every pair of ``needs`` x ``vols``, need-major."""
        inst = self.inst
        vx, vy, vz = (np.ascontiguousarray(vol_xyz[vols, c]) for c in range(3))
        mk = inst.max_km[vols]
        vt = self.vol_total[vols]
        k = vols.size
        step = max(1, _SLICE // k)
        for a in range(0, needs.size, step):
            blk = needs[a : a + step]
            # the chord summed as np.sum((p - q) ** 2, axis=1) does: (dx*dx + dy*dy) + dz*dz
            nxyz = need_xyz[blk]
            d = nxyz[:, 0:1] - vx
            sq = d * d
            np.subtract(nxyz[:, 1:2], vy, out=d)
            d *= d
            sq += d
            np.subtract(nxyz[:, 2:3], vz, out=d)
            d *= d
            sq += d
            del d
            dist = chord_to_km(np.sqrt(sq, out=sq))
            if self.ex_keys is not None and self.ex_need[blk].any():
                self._put(
                    np.repeat(blk, k), np.tile(vols, blk.size), dist.ravel(), np.tile(mk, blk.size)
                )
                continue
            s = self._closeness(dist, mk)
            s += self.need_total[blk][:, None]
            s += vt
            self._write(s.shape, blk[:, None], vols, self._units(s), dist)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(need_index, volunteer_index, score_units, distance_km, free_count)."""
        for buf in self.bufs:
            buf.resize(self.size, refcheck=False)
        n = self.inst.n_needs
        free = np.bincount(self.bufs[0], minlength=n).astype(np.int64)
        for ex in self.excluded_free:
            free += np.bincount(ex, minlength=n)
        return (*self.bufs, free)


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
        ``distance_km``; iterate ``records()`` for ``{"need", "volunteer", "score"}``.

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
    import time

    t0 = time.perf_counter()
    inst = instance
    prep = _prepare(inst)
    out = _Output(inst)
    for ni, vi, chord in _local_pairs(inst, prep, np.flatnonzero(~inst.remote_ok)):
        out.local(ni, vi, chord)
    for needs, vols in _remote_groups(inst, prep, np.flatnonzero(inst.remote_ok)):
        out.remote(needs, vols, prep.need_xyz, prep.vol_xyz)
    need_index, volunteer_index, units, distance, free = out.arrays()
    return Candidates(
        need_index=need_index,
        volunteer_index=volunteer_index,
        score_units=units,
        distance_km=distance,
        need_ids=inst.need_ids,
        volunteer_ids=inst.volunteer_ids,
        free_count=free,
        seconds=time.perf_counter() - t0,
        _instance=inst,
    )

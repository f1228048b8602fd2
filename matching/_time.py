"""Commitments over time: busy people, pauses, weekly limits, and clash-free runs.

A need's weekly windows happen on every matching weekday from its ``first``
to its ``last`` day; a person's existing commitments (``busy``) are
schedules of the same kind (see :mod:`matching.schedule`: two schedules
clash when windows intersect on a day both cover; touching is no clash).
Days are ordinals (``date.toordinal()``), weeks ISO weeks (Monday to
Sunday) numbered ``(day + 6) // 7``.

Two kinds of rule:

1. **Pair rules**, decided pair by pair and applied to the candidate pairs by
   :func:`pair_status`: a pair is infeasible if the need clashes with one of
   the person's commitments, has an occurrence on or before the record's
   ``paused_until``, or alone would push a week in which it happens over the
   person's weekly limit given the commitments.
2. **Run rules**, on the needs proposed to one person in one run: pairwise
   clash-free, and within the weekly limit in every week in which one of
   them happens. They couple pairs, which makes the problem NP-hard in
   general; :func:`branch_and_bound` keeps the engine exact.

The weekly load of a set of schedules is constant between the weeks that
hold a first or last day, so only those weeks, the week after each and the
week before the earliest are checked.

The branch and bound is best-first over the exact min-cost flow of
:mod:`matching._assign`. A node fixes some pairs out and some in; its flow
optimum, one integer ``filled * M + score`` (``M`` above any total score, so
it orders lexicographically), bounds every assignment below it. A node whose
flow breaks a run rule branches on one pair of a violated set (two clashing
needs, or needs that together overflow a week): the person does not take
that need, or takes it through one of their records, which fixes out every
pair of theirs that cannot go beside it; the children share no assignment.
Two relaxations tighten the bound while staying flows: a person whose pairs
break a rule is capped at the most needs they could take together (a small
exact search), and a set of needs from a violated set (a clique of clashing
needs, grown greedily) fills at most as many slots as the people who could
take them allow; both are held by dummy needs or volunteers of the highest
score, whose value is taken off again. The first node popped whose bound
does not beat the incumbent proves the incumbent optimal. Incumbents come
from a repair dive (each person who breaks a rule keeps the best set of
their pairs that keeps the rules, found exactly among their few pairs, loses
the others and the pairs that could not go beside what they keep; solve
again, on each need's best pairs, until nothing is violated) followed by a
fill (keep that assignment, fix out what cannot go beside it, and fill what
is left). The root's dive comes first; the root's relaxation is solved only
when the budget leaves room for the tree search. Past the node or time
budget the best incumbent is returned, never a clashing one, with the bound
still open (the gap).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from ._assign import _compiled, b_matching
from ._instance import MINUTES_PER_DAY, NO_PAUSE, OPEN_FIRST, OPEN_LAST, Instance, TimeFacts

__all__ = [
    "BUSY",
    "LIMIT",
    "OK",
    "PAUSED",
    "BranchAndBound",
    "branch_and_bound",
    "pair_feasible",
    "pair_status",
]

OK, BUSY, LIMIT, PAUSED = 0, 1, 2, 3  # pair status codes, in the order they are tested
_NONE = -(1 << 62)  # "no week" / "no day"
_NO_LIMIT = 1 << 62


# --------------------------------------------------------------------------
# preparation: every schedule (needs, then the people's commitments) in one table
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    n_needs: int
    first: np.ndarray  # per schedule
    last: np.ndarray
    wptr: np.ndarray  # windows of schedule s: wptr[s] .. wptr[s + 1]
    wday: np.ndarray
    wstart: np.ndarray  # minutes since midnight
    wend: np.ndarray
    busy_ptr: np.ndarray  # schedules of person p's commitments: busy_sched[busy_ptr[p]:...]
    busy_sched: np.ndarray
    busy_index: np.ndarray  # the TimeFacts commitment of each schedule past the needs
    lim_tasks: np.ndarray  # per person
    lim_minutes: np.ndarray
    pause: np.ndarray  # per record
    first_day: np.ndarray  # per need: the day of its first occurrence, _NONE if never


def _prepare(inst: Instance) -> _Prepared:
    got = inst._cache.get("time")
    if got is not None:
        return got  # type: ignore[no-any-return]
    tf = inst.times if inst.times is not None else TimeFacts.empty(inst.n_needs, inst.n_volunteers)
    n, m = inst.n_needs, inst.n_volunteers
    person = inst.volunteer_person
    n_people = int(person.max()) + 1 if m else 0
    # a commitment counts once per person, whichever of the person's records brought it
    b_person = person[tf.busy_volunteer] if tf.busy_ref else np.zeros(0, dtype=np.int64)
    seen: dict[tuple[int, str], int] = {}
    keep = [
        seen.setdefault((p, r), i) == i
        for i, (p, r) in enumerate(zip(b_person.tolist(), tf.busy_ref))
    ]
    busy = np.flatnonzero(np.array(keep, dtype=bool)) if keep else np.zeros(0, dtype=np.int64)
    busy = busy[np.argsort(b_person[busy], kind="stable")]
    busy_ptr = np.zeros(n_people + 1, dtype=np.int64)
    np.cumsum(np.bincount(b_person[busy], minlength=n_people), out=busy_ptr[1:])
    # windows: needs' first, then the commitments' in the order of ``busy``
    n_win = np.bincount(inst.window_need, minlength=n)
    b_win = np.bincount(tf.busy_window_owner, minlength=len(tf.busy_ref))
    b_lo = np.concatenate(([0], np.cumsum(b_win)))
    b_rows = (
        np.concatenate([np.arange(b_lo[i], b_lo[i + 1]) for i in busy.tolist()])
        if busy.size
        else np.zeros(0, dtype=np.int64)
    ).astype(np.int64)
    start = np.concatenate((inst.window_start, tf.busy_window_start[b_rows]))
    end = np.concatenate((inst.window_end, tf.busy_window_end[b_rows]))
    day = start // MINUTES_PER_DAY
    wptr = np.zeros(n + busy.size + 1, dtype=np.int64)
    np.cumsum(np.concatenate((n_win, b_win[busy])), out=wptr[1:])
    first = np.concatenate((tf.need_first, tf.busy_first[busy])).astype(np.int64)
    last = np.concatenate((tf.need_last, tf.busy_last[busy])).astype(np.int64)
    # limits: the smallest over the person's records
    tasks = np.where(tf.week_tasks > 0, tf.week_tasks, _NO_LIMIT)
    minutes = np.where(
        np.isfinite(tf.week_hours),
        np.floor(np.minimum(tf.week_hours, 1e12) * 60 + 1e-9),
        _NO_LIMIT,
    ).astype(np.int64)
    lim_tasks = np.full(n_people, _NO_LIMIT, dtype=np.int64)
    lim_minutes = np.full(n_people, _NO_LIMIT, dtype=np.int64)
    np.minimum.at(lim_tasks, person, tasks)
    np.minimum.at(lim_minutes, person, minutes)
    wday = day.astype(np.int64)
    prep = _Prepared(
        n_needs=n,
        first=first,
        last=last,
        wptr=wptr,
        wday=wday,
        wstart=(start - day * MINUTES_PER_DAY).astype(np.int64),
        wend=(end - day * MINUTES_PER_DAY).astype(np.int64),
        busy_ptr=busy_ptr,
        busy_sched=np.arange(n, n + busy.size, dtype=np.int64),
        busy_index=busy.astype(np.int64),
        lim_tasks=lim_tasks,
        lim_minutes=lim_minutes,
        pause=tf.paused_until.astype(np.int64),
        first_day=_first_days(n, first, last, wptr, wday),
    )
    inst._cache["time"] = prep
    return prep


# --------------------------------------------------------------------------
# compiled rules
# --------------------------------------------------------------------------


@_compiled
def _weekday(d):  # type: ignore[no-untyped-def]
    return (d + 6) % 7


@_compiled
def _first_days(n, first, last, wptr, wday):  # type: ignore[no-untyped-def]
    """Per need, the day of its first occurrence (``_NONE`` if it never happens)."""
    out = np.full(n, _NONE, dtype=np.int64)
    for s in range(n):
        best = _NONE
        for w in range(wptr[s], wptr[s + 1]):
            d = first[s] + (wday[w] - _weekday(first[s])) % 7
            if d <= last[s] and (best == _NONE or d < best):
                best = d
        out[s] = best
    return out


@_compiled
def _clash(a, b, first, last, wptr, wday, wstart, wend):  # type: ignore[no-untyped-def]
    """Do schedules ``a`` and ``b`` have windows that intersect on a day both cover?"""
    lo = max(first[a], first[b])
    hi = min(last[a], last[b])
    if hi < lo:
        return False
    for i in range(wptr[a], wptr[a + 1]):
        for j in range(wptr[b], wptr[b + 1]):
            if wday[i] != wday[j] or wstart[i] >= wend[j] or wstart[j] >= wend[i]:
                continue
            if lo + (wday[i] - _weekday(lo)) % 7 <= hi:
                return True
    return False


@_compiled
def _week_load(s, week, first, last, wptr, wday, wstart, wend):  # type: ignore[no-untyped-def]
    """Occurrences of schedule ``s`` in ISO week ``week``: (how many, minutes)."""
    monday = 7 * week - 6
    count = 0
    minutes = 0
    for w in range(wptr[s], wptr[s + 1]):
        d = monday + wday[w]
        if first[s] <= d <= last[s]:
            count += 1
            minutes += wend[w] - wstart[w]
    return count, minutes


@_compiled
def _over_week(items, n_items, proposed, lim_tasks, lim_min, first, last, wptr, wday, wstart, wend):  # type: ignore[no-untyped-def]
    """The first week in which a ``proposed`` item happens and the items overflow a limit.

    ``items[:n_items]`` are schedules; returns ``_NONE`` when no week overflows."""
    if lim_tasks >= _NO_LIMIT and lim_min >= _NO_LIMIT:
        return _NONE
    weeks = np.empty(4 * n_items + 2, dtype=np.int64)
    k = 0
    lowest = _NONE
    for i in range(n_items):
        s = items[i]
        for d in (first[s], last[s]):
            if d <= OPEN_FIRST or d >= OPEN_LAST:
                continue
            wk = (d + 6) // 7
            weeks[k] = wk
            weeks[k + 1] = wk + 1
            k += 2
            if lowest == _NONE or wk < lowest:
                lowest = wk
    if lowest == _NONE:
        weeks[k] = 1000  # no dated end at all: every week is alike
        k += 1
    else:
        weeks[k] = lowest - 1
        k += 1
    weeks = np.sort(weeks[:k])
    for j in range(k):
        wk = weeks[j]
        if j > 0 and wk == weeks[j - 1]:
            continue
        tasks = 0
        minutes = 0
        mine = False
        for i in range(n_items):
            c, mnt = _week_load(items[i], wk, first, last, wptr, wday, wstart, wend)
            if c > 0:
                tasks += 1
                minutes += mnt
                if proposed[i]:
                    mine = True
        if mine and (tasks > lim_tasks or minutes > lim_min):
            return wk
    return _NONE


@_compiled
def _pair_status(
    ni: Any,
    vi: Any,
    person: Any,
    pause: Any,
    busy_ptr: Any,
    busy_sched: Any,
    lim_tasks: Any,
    lim_min: Any,
    first_day: Any,
    first: Any,
    last: Any,
    wptr: Any,
    wday: Any,
    wstart: Any,
    wend: Any,
) -> Any:
    """Status (OK, BUSY, LIMIT, PAUSED) of every pair and the day it frees up (``_NONE``
    when it never does or is not known)."""
    n_pairs = ni.size
    status = np.zeros(n_pairs, dtype=np.int8)
    free = np.full(n_pairs, _NONE, dtype=np.int64)
    items = np.empty(busy_sched.size + 1, dtype=np.int64)
    proposed = np.zeros(busy_sched.size + 1, dtype=np.bool_)
    for p in range(n_pairs):
        n = ni[p]
        v = vi[p]
        q = person[v]
        known = True
        until = _NONE
        code = 0
        for k in range(busy_ptr[q], busy_ptr[q + 1]):
            b = busy_sched[k]
            if _clash(n, b, first, last, wptr, wday, wstart, wend):
                if code == 0:
                    code = 1
                if last[b] >= OPEN_LAST:
                    known = False
                else:
                    until = max(until, last[b] + 1)
        # (a person with no weekly limit overflows no week: the common case, not searched)
        if code == 0 and (lim_tasks[q] < _NO_LIMIT or lim_min[q] < _NO_LIMIT):
            k = 0
            for j in range(busy_ptr[q], busy_ptr[q + 1]):
                items[k] = busy_sched[j]
                proposed[k] = False
                k += 1
            items[k] = n
            proposed[k] = True
            wk = _over_week(
                items,
                k + 1,
                proposed,
                lim_tasks[q],
                lim_min[q],
                first,
                last,
                wptr,
                wday,
                wstart,
                wend,
            )
            if wk != _NONE:
                code = 2
                # frees up when the commitments happening that week have ended
                for j in range(k):
                    c, _ = _week_load(items[j], wk, first, last, wptr, wday, wstart, wend)
                    if c > 0:
                        if last[items[j]] >= OPEN_LAST:
                            known = False
                        else:
                            until = max(until, last[items[j]] + 1)
        if pause[v] != NO_PAUSE and first_day[n] != _NONE and first_day[n] <= pause[v]:
            if code == 0:
                code = 3
            until = max(until, pause[v] + 1)
        if code != 0:
            status[p] = code
            free[p] = until if known else _NONE
    return status, free


@_compiled
def _violations(
    ni: Any,
    vi: Any,
    ptr: Any,
    person: Any,
    busy_ptr: Any,
    busy_sched: Any,
    lim_tasks: Any,
    lim_min: Any,
    first: Any,
    last: Any,
    wptr: Any,
    wday: Any,
    wstart: Any,
    wend: Any,
) -> Any:
    """Run rules broken by each person's proposed pairs.

    The pairs are grouped by person (``ptr``). For every group, at most one
    violated set: two clashing pairs, or pairs that together overflow a week
    (as few as do). Returns ``vptr`` over the groups and the members
    (positions in ``ni``)."""
    n_groups = ptr.size - 1
    vptr = np.zeros(n_groups + 1, dtype=np.int64)
    members = np.empty(ni.size, dtype=np.int64)
    nb = 0
    for g in range(n_groups):
        nb = max(nb, ptr[g + 1] - ptr[g])
    items = np.empty(busy_sched.size + nb + 1, dtype=np.int64)
    proposed = np.zeros(busy_sched.size + nb + 1, dtype=np.bool_)
    load = np.empty(nb + 1, dtype=np.int64)
    out = 0
    for g in range(n_groups):
        lo, hi = ptr[g], ptr[g + 1]
        vptr[g] = out
        if hi - lo < 2:
            continue
        found = False
        for a in range(lo, hi):
            for b in range(a + 1, hi):
                if _clash(ni[a], ni[b], first, last, wptr, wday, wstart, wend):
                    members[out] = a
                    members[out + 1] = b
                    out += 2
                    found = True
                    break
            if found:
                break
        if found:
            continue
        q = person[vi[lo]]
        k = 0
        for j in range(busy_ptr[q], busy_ptr[q + 1]):
            items[k] = busy_sched[j]
            proposed[k] = False
            k += 1
        nbusy = k
        for a in range(lo, hi):
            items[k] = ni[a]
            proposed[k] = True
            k += 1
        wk = _over_week(
            items, k, proposed, lim_tasks[q], lim_min[q], first, last, wptr, wday, wstart, wend
        )
        if wk == _NONE:
            continue
        tasks = 0
        minutes = 0
        for j in range(nbusy):
            c, mnt = _week_load(items[j], wk, first, last, wptr, wday, wstart, wend)
            if c > 0:
                tasks += 1
                minutes += mnt
        # the proposed pairs happening that week, most minutes first, until they overflow
        for a in range(lo, hi):
            c, mnt = _week_load(ni[a], wk, first, last, wptr, wday, wstart, wend)
            load[a - lo] = mnt if c > 0 else -1
        while True:
            best = -1
            for a in range(lo, hi):
                if load[a - lo] >= 0 and (best < 0 or load[a - lo] > load[best - lo]):
                    best = a
            if best < 0:
                break
            members[out] = best
            out += 1
            tasks += 1
            minutes += load[best - lo]
            load[best - lo] = -1
            if tasks > lim_tasks[q] or minutes > lim_min[q]:
                break
    vptr[n_groups] = out
    return vptr, members


@_compiled
def _incompatible(
    q: Any,
    forced: Any,
    cand: Any,
    busy_ptr: Any,
    busy_sched: Any,
    lim_tasks: Any,
    lim_min: Any,
    first: Any,
    last: Any,
    wptr: Any,
    wday: Any,
    wstart: Any,
    wend: Any,
) -> Any:
    """Which needs in ``cand`` person ``q`` cannot take besides the needs ``forced``
    (the same need, a clash, or a week over the limit)."""
    nb = busy_ptr[q + 1] - busy_ptr[q]
    k = nb + forced.size + 1
    items = np.empty(k, dtype=np.int64)
    proposed = np.zeros(k, dtype=np.bool_)
    for j in range(nb):
        items[j] = busy_sched[busy_ptr[q] + j]
    for j in range(forced.size):
        items[nb + j] = forced[j]
        proposed[nb + j] = True
    proposed[k - 1] = True
    limited = lim_tasks[q] < _NO_LIMIT or lim_min[q] < _NO_LIMIT  # else no week overflows
    out = np.zeros(cand.size, dtype=np.bool_)
    for c in range(cand.size):
        n = cand[c]
        for j in range(forced.size):
            if forced[j] == n or _clash(n, forced[j], first, last, wptr, wday, wstart, wend):
                out[c] = True
                break
        if out[c] or not limited:
            continue
        items[k - 1] = n
        wk = _over_week(
            items, k, proposed, lim_tasks[q], lim_min[q], first, last, wptr, wday, wstart, wend
        )
        out[c] = wk != _NONE
    return out


@_compiled
def _max_feasible(
    q: Any,
    must: Any,
    cand: Any,
    target: Any,
    budget: Any,
    busy_ptr: Any,
    busy_sched: Any,
    lim_tasks: Any,
    lim_min: Any,
    first: Any,
    last: Any,
    wptr: Any,
    wday: Any,
    wstart: Any,
    wend: Any,
) -> Any:
    """The most needs of ``cand`` (distinct) that person ``q`` can take besides ``must``,
    up to ``target``; -1 when the search passes ``budget`` steps (unknown)."""
    k = cand.size
    nb = busy_ptr[q + 1] - busy_ptr[q]
    # pairwise conflicts among the candidates (worked out when first asked: -1 not yet),
    # and with the needs that must stay
    conflict = np.full((k, k), -1, dtype=np.int8)
    usable = np.ones(k, dtype=np.bool_)
    for a in range(k):
        for j in range(must.size):
            if must[j] == cand[a] or _clash(
                cand[a], must[j], first, last, wptr, wday, wstart, wend
            ):
                usable[a] = False
    limited = lim_tasks[q] < _NO_LIMIT or lim_min[q] < _NO_LIMIT
    items = np.empty(nb + must.size + k, dtype=np.int64)
    proposed = np.zeros(nb + must.size + k, dtype=np.bool_)
    for j in range(nb):
        items[j] = busy_sched[busy_ptr[q] + j]
    for j in range(must.size):
        items[nb + j] = must[j]
        proposed[nb + j] = True
    base = nb + must.size
    sel = np.empty(k + 1, dtype=np.int64)
    nxt = np.zeros(k + 2, dtype=np.int64)
    best = 0
    depth = 0
    steps = 0
    while True:
        steps += 1
        if steps > budget:
            return -1
        i = nxt[depth]
        if i >= k or depth + (k - i) <= best:
            if depth == 0:
                break
            depth -= 1
            continue
        nxt[depth] = i + 1
        ok = usable[i]
        if ok:
            for d in range(depth):
                c = conflict[sel[d], i]
                if c < 0:
                    c = (
                        1
                        if _clash(cand[sel[d]], cand[i], first, last, wptr, wday, wstart, wend)
                        else 0
                    )
                    conflict[sel[d], i] = c
                    conflict[i, sel[d]] = c
                if c:
                    ok = False
                    break
        if ok and limited:
            for d in range(depth):
                items[base + d] = cand[sel[d]]
                proposed[base + d] = True
            items[base + depth] = cand[i]
            proposed[base + depth] = True
            wk = _over_week(
                items,
                base + depth + 1,
                proposed,
                lim_tasks[q],
                lim_min[q],
                first,
                last,
                wptr,
                wday,
                wstart,
                wend,
            )
            ok = wk == _NONE
        if ok:
            sel[depth] = i
            depth += 1
            nxt[depth] = i + 1
            if depth > best:
                best = depth
                if best >= target:
                    return best
    return best


@_compiled
def _grow_clique(  # type: ignore[no-untyped-def]
    a, b, others, first, last, wptr, wday, wstart, wend
):
    """``a``, ``b`` and, in the order of ``others``, each schedule that clashes with every
    one taken so far (``a`` and ``b`` themselves skipped in ``others``)."""
    members = np.empty(others.size + 2, dtype=np.int64)
    members[0] = a
    members[1] = b
    k = 2
    for i in range(others.size):
        c = others[i]
        if c in (a, b):
            continue
        if not _clash(a, c, first, last, wptr, wday, wstart, wend):
            continue
        if not _clash(b, c, first, last, wptr, wday, wstart, wend):
            continue
        ok = True
        for j in range(2, k):
            if not _clash(c, members[j], first, last, wptr, wday, wstart, wend):
                ok = False
                break
        if ok:
            members[k] = c
            k += 1
    return members[:k]


@_compiled
def _not_beside(  # type: ignore[no-untyped-def]
    chosen,
    taken,
    ni,
    vi,
    person,
    dem,
    cap,
    busy_ptr,
    busy_sched,
    lim_tasks,
    lim_min,
    first,
    last,
    wptr,
    wday,
    wstart,
    wend,
):
    """Per pair with room left on both sides (``dem``, ``cap``) and not ``taken`` itself:
    its person cannot take it beside their ``chosen`` pairs (the same need, a clash, or a
    week over the limit; see :func:`_incompatible`); False for the other pairs. ``taken``
    marks the ``chosen`` pairs."""
    n_people = busy_ptr.size - 1
    # each person's chosen needs
    tptr = np.zeros(n_people + 1, dtype=np.int64)
    for x in chosen:
        tptr[person[vi[x]] + 1] += 1
    for q in range(n_people):
        tptr[q + 1] += tptr[q]
    tneed = np.empty(chosen.size, dtype=np.int64)
    fill = tptr[:-1].copy()
    for x in chosen:
        q = person[vi[x]]
        tneed[fill[q]] = ni[x]
        fill[q] += 1
    nb_max = 0
    for q in range(n_people):
        nb_max = max(nb_max, busy_ptr[q + 1] - busy_ptr[q] + tptr[q + 1] - tptr[q])
    items = np.empty(nb_max + 1, dtype=np.int64)
    proposed = np.zeros(nb_max + 1, dtype=np.bool_)
    out = np.zeros(ni.size, dtype=np.bool_)
    for x in range(ni.size):
        if taken[x] or dem[ni[x]] <= 0 or cap[vi[x]] <= 0:
            continue
        q = person[vi[x]]
        lo, hi = tptr[q], tptr[q + 1]
        if lo == hi:
            continue
        n = ni[x]
        bad = False
        for j in range(lo, hi):
            if tneed[j] == n or _clash(n, tneed[j], first, last, wptr, wday, wstart, wend):
                bad = True
                break
        if not bad and (lim_tasks[q] < _NO_LIMIT or lim_min[q] < _NO_LIMIT):
            k = 0
            for j in range(busy_ptr[q], busy_ptr[q + 1]):
                items[k] = busy_sched[j]
                proposed[k] = False
                k += 1
            for j in range(lo, hi):
                items[k] = tneed[j]
                proposed[k] = True
                k += 1
            items[k] = n
            proposed[k] = True
            wk = _over_week(
                items, k + 1, proposed, lim_tasks[q], lim_min[q], first, last, wptr, wday,
                wstart, wend,
            )  # fmt: skip
            bad = wk != _NONE
        out[x] = bad
    return out


#: Pairs per need (its best) that the repair's flows use, besides those of the flow repaired.
_DIVE_PAIRS = 40
#: Most pairs of one person that :func:`_best_subset` searches exhaustively.
_SUBSET_MAX = 12


@_compiled
def _best_subset(  # type: ignore[no-untyped-def]
    q,
    must,
    cand,
    units,
    busy_ptr,
    busy_sched,
    lim_tasks,
    lim_min,
    first,
    last,
    wptr,
    wday,
    wstart,
    wend,
):
    """Which of the needs ``cand`` (distinct, at most ``_SUBSET_MAX``, each fitting beside
    ``must`` alone) person ``q`` keeps: the most of them, then the most ``units``, that keep
    the run rules together with ``must``; the first such subset in counting order on ties."""
    k = cand.size
    clash = np.zeros((k, k), dtype=np.bool_)
    for a in range(k):
        for b in range(a + 1, k):
            if _clash(cand[a], cand[b], first, last, wptr, wday, wstart, wend):
                clash[a, b] = True
                clash[b, a] = True
    nb = busy_ptr[q + 1] - busy_ptr[q]
    items = np.empty(nb + must.size + k, dtype=np.int64)
    proposed = np.zeros(nb + must.size + k, dtype=np.bool_)
    for j in range(nb):
        items[j] = busy_sched[busy_ptr[q] + j]
    for j in range(must.size):
        items[nb + j] = must[j]
        proposed[nb + j] = True
    base = nb + must.size
    limited = lim_tasks[q] < _NO_LIMIT or lim_min[q] < _NO_LIMIT
    best = 0
    best_count = 0
    best_units = 0
    for mask in range(1, 1 << k):
        count = 0
        total = 0
        for a in range(k):
            if (mask >> a) & 1:
                count += 1
                total += units[a]
        if count < best_count or (count == best_count and total <= best_units):
            continue
        ok = True
        for a in range(k):
            if not (mask >> a) & 1:
                continue
            for b in range(a + 1, k):
                if (mask >> b) & 1 and clash[a, b]:
                    ok = False
                    break
            if not ok:
                break
        if ok and limited:
            t = base
            for a in range(k):
                if (mask >> a) & 1:
                    items[t] = cand[a]
                    proposed[t] = True
                    t += 1
            ok = (
                _over_week(
                    items,
                    t,
                    proposed,
                    lim_tasks[q],
                    lim_min[q],
                    first,
                    last,
                    wptr,
                    wday,
                    wstart,
                    wend,
                )
                == _NONE
            )
        if ok:
            best = mask
            best_count = count
            best_units = total
    out = np.zeros(k, dtype=np.bool_)
    for a in range(k):
        out[a] = (best >> a) & 1 == 1
    return out


@_compiled
def _repair_person(  # type: ignore[no-untyped-def]
    q,
    mine,
    taken,
    fixed,
    off,
    ni,
    units,
    busy_ptr,
    busy_sched,
    lim_tasks,
    lim_min,
    first,
    last,
    wptr,
    wday,
    wstart,
    wend,
):
    """What a repair round fixes out for person ``q`` (their pairs ``mine``): their ``taken``
    pairs outside the best subset that keeps the rules beside the ``fixed`` ones (see
    :func:`_best_subset`), and their pairs not taken (nor already ``off``) that cannot go
    beside what they keep. None (an empty array) when they have too many pairs to search."""
    n_free = 0
    n_must = 0
    for x in mine:
        if taken[x]:
            if fixed[x]:
                n_must += 1
            else:
                n_free += 1
    if n_free > _SUBSET_MAX:
        return np.full(1, -1, dtype=np.int64)
    must = np.empty(n_must, dtype=np.int64)
    free = np.empty(n_free, dtype=np.int64)
    i = 0
    j = 0
    for x in mine:
        if taken[x]:
            if fixed[x]:
                must[i] = x
                i += 1
            else:
                free[j] = x
                j += 1
    keep = _best_subset(
        q, ni[must], ni[free], units[free], busy_ptr, busy_sched, lim_tasks, lim_min,
        first, last, wptr, wday, wstart, wend,
    )  # fmt: skip
    kept = np.concatenate((ni[must], ni[free[keep]]))
    out = np.empty(mine.size, dtype=np.int64)
    k = 0
    for a in range(free.size):
        if not keep[a]:
            out[k] = free[a]
            k += 1
    rest = np.empty(mine.size, dtype=np.int64)
    r = 0
    for x in mine:
        if taken[x] or off[x]:
            continue
        same = False
        for t in kept:
            if ni[x] == t:
                same = True
                break
        if not same:
            rest[r] = ni[x]
            out[k + r] = x  # provisionally; kept below only when incompatible
            r += 1
    if r:
        bad = _incompatible(
            q, kept, rest[:r], busy_ptr, busy_sched, lim_tasks, lim_min,
            first, last, wptr, wday, wstart, wend,
        )  # fmt: skip
        w = k
        for a in range(r):
            if bad[a]:
                out[w] = out[k + a]
                w += 1
        k = w
    return out[:k]


@_compiled
def _repair_people(  # type: ignore[no-untyped-def]
    people,
    by_person,
    person_ptr,
    taken,
    fixed,
    off,
    ni,
    units,
    busy_ptr,
    busy_sched,
    lim_tasks,
    lim_min,
    first,
    last,
    wptr,
    wday,
    wstart,
    wend,
):
    """:func:`_repair_person` for each of ``people`` (their pairs from ``by_person``, person
    by person as ``person_ptr`` says): the pairs, one person after the other (``ptr``), -1
    alone for a person with too many pairs to search."""
    size = 0
    for p in people:
        size += person_ptr[p + 1] - person_ptr[p]
    out = np.empty(size, dtype=np.int64)
    ptr = np.zeros(people.size + 1, dtype=np.int64)
    k = 0
    for i in range(people.size):
        p = people[i]
        got = _repair_person(
            p, by_person[person_ptr[p] : person_ptr[p + 1]], taken, fixed, off, ni, units,
            busy_ptr, busy_sched, lim_tasks, lim_min, first, last, wptr, wday, wstart, wend,
        )  # fmt: skip
        out[k : k + got.size] = got
        k += got.size
        ptr[i + 1] = k
    return out[:k], ptr


@_compiled
def _ranks_if_ranked(ni, score):  # type: ignore[no-untyped-def]
    """Each pair's place among its need's pairs, if the pairs come need by need, each
    need's best score first (ties: in order); else None."""
    rank = np.empty(ni.size, dtype=np.int64)
    for k in range(ni.size):
        if k == 0 or ni[k] != ni[k - 1]:
            if k > 0 and ni[k] < ni[k - 1]:
                return None
            rank[k] = 0
        elif score[k] > score[k - 1]:
            return None
        else:
            rank[k] = rank[k - 1] + 1
    return rank


def _rank_in_need(ni: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
    """Each pair's rank among its need's pairs: best score first, ties by index."""
    ranked: np.ndarray | None = _ranks_if_ranked(ni, score)
    if ranked is not None:  # as the candidate stage gives them
        return ranked
    order = np.lexsort((np.arange(ni.size), -score, ni))
    starts = np.searchsorted(ni[order], np.arange(n))
    rank = np.empty(ni.size, dtype=np.int64)
    rank[order] = np.arange(ni.size) - starts[ni[order]]
    return rank


@_compiled
def _group_order(keys, ptr):  # type: ignore[no-untyped-def]
    """The positions of ``keys`` in stable order of key, ``ptr`` being each key's first
    place (a counting sort)."""
    fill = ptr[:-1].copy()
    out = np.empty(keys.size, dtype=np.int64)
    for i in range(keys.size):
        k = keys[i]
        out[fill[k]] = i
        fill[k] += 1
    return out


def _grouped(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.argsort(keys, kind="stable")`` of keys in ``0 .. n_keys - 1``, by counting (a
    comparison sort of a million pairs' people takes ten times as long), and where each
    key's run starts (``n_keys + 1`` entries)."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n_keys), out=ptr[1:])
    return _group_order(keys, ptr), ptr


@_compiled
def _open_pairs(ni, vi, score, dem, cap, closed):  # type: ignore[no-untyped-def]
    """The pairs not ``closed`` whose need and record have room left (``dem``, ``cap``):
    their positions, needs, records and scores."""
    keep = np.empty(ni.size, dtype=np.int64)
    k = 0
    for i in range(ni.size):
        if not closed[i] and dem[ni[i]] > 0 and cap[vi[i]] > 0:
            keep[k] = i
            k += 1
    keep = keep[:k].copy()
    return keep, ni[keep], vi[keep], score[keep]


def _unique(x: np.ndarray, counts: bool = False) -> Any:
    """``np.unique`` of integers by sorting (the same result; faster than hashing here)."""
    x = np.sort(x)
    keep = np.empty(x.size, dtype=bool)
    keep[:1] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    if not counts:
        return x[keep]
    starts = np.flatnonzero(keep)
    return x[starts], np.diff(np.append(starts, x.size))


# --------------------------------------------------------------------------
# the pair rules
# --------------------------------------------------------------------------


def pair_status(inst: Instance, ni: np.ndarray, vi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pair rules for every pair ``(ni[k], vi[k])``.

    Returns
    -------
    status : ndarray of int8
        ``OK``, ``BUSY`` (clashes with a commitment of the person), ``LIMIT``
        (would overflow a week of the person's limit) or ``PAUSED``; the first
        that applies in that order.
    free_from : ndarray of int64
        For a blocked pair, the day (ordinal) from which the reasons that block
        it are over (a clashing commitment's last day + 1, the pause's + 1),
        ``-2**62`` when unknown or never.
    """
    ni = np.ascontiguousarray(ni, dtype=np.int64)
    vi = np.ascontiguousarray(vi, dtype=np.int64)
    if inst.times is None or ni.size == 0:
        return np.zeros(ni.size, dtype=np.int8), np.full(ni.size, _NONE, dtype=np.int64)
    p = _prepare(inst)
    status, free = _pair_status(
        ni,
        vi,
        inst.volunteer_person,
        p.pause,
        p.busy_ptr,
        p.busy_sched,
        p.lim_tasks,
        p.lim_minutes,
        p.first_day,
        p.first,
        p.last,
        p.wptr,
        p.wday,
        p.wstart,
        p.wend,
    )
    return status, free


def pair_feasible(inst: Instance, need: str, volunteer: str) -> tuple[bool, str]:
    """Whether one need fits one volunteer record's schedule, and why not.

    Only the time rules (commitments, pause, weekly limit), not skills, reach
    or availability. The reason is ``""``, ``"busy"``, ``"over_limit"`` or
    ``"paused"``.

    Examples
    --------
    >>> from matching import parse_instance
    >>> inst = parse_instance({"needs": [{"id": "n", "lat": 0, "lon": 0, "skills": [],
    ...     "windows": [{"weekday": 5, "start": "10:00", "end": "12:00"}],
    ...     "volunteers_needed": 1, "urgency": 0.5, "remote_ok": False,
    ...     "first": "2026-12-05", "last": "2026-12-05"}], "volunteers": [{"id": "v",
    ...     "lat": 0, "lon": 0, "skills": [], "max_km": 1, "capacity": 1, "availability": [],
    ...     "paused_until": "2026-12-05"}]})
    >>> pair_feasible(inst, "n", "v")
    (False, 'paused')
    """
    n = inst.need_ids.index(need)
    v = inst.volunteer_ids.index(volunteer)
    status, _ = pair_status(inst, np.array([n]), np.array([v]))
    return bool(status[0] == OK), ("", "busy", "over_limit", "paused")[int(status[0])]


def day_text(day: int) -> str | None:
    """An ordinal as ``YYYY-MM-DD`` (None for unknown)."""
    if day == _NONE or not (1 <= day <= date.max.toordinal()):
        return None
    return date.fromordinal(day).isoformat()


# --------------------------------------------------------------------------
# the run rules: best-first branch and bound over the flow
# --------------------------------------------------------------------------


@dataclass
class BranchAndBound:
    """What the branch and bound proved.

    ``binding`` is False when the flow optimum already kept the run rules
    (then it is returned as is, optimal). Values are ``filled * M + score``.
    """

    binding: bool
    nodes: int
    optimal: bool
    value: int
    bound: int
    clash_free_bound: int
    big: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        def split(x: int) -> dict[str, Any]:
            return {"filled_slots": x // self.big, "score_units": x % self.big}

        return {
            "binding": self.binding,
            "nodes": self.nodes,
            "optimal": self.optimal,
            "bound": split(self.bound),
            "clash_free_bound": split(self.clash_free_bound),
            "gap_slots": self.bound // self.big - self.value // self.big,
            "gap_score_units": (self.bound - self.value)
            if self.bound // self.big == self.value // self.big
            else None,
        }


def branch_and_bound(
    inst: Instance,
    ni: np.ndarray,
    vi: np.ndarray,
    score: np.ndarray,
    q: int,
    person: np.ndarray | None,
    max_nodes: int = 500,
    max_seconds: float | None = None,
) -> tuple[np.ndarray, BranchAndBound]:
    """The best assignment of the pairs that keeps the run rules.

    Parameters
    ----------
    inst : Instance
    ni, vi, score : ndarray
        Candidate pairs (already keeping the pair rules) and their scores.
    q : int
        Upper bound of the scores (as for :func:`matching._assign.b_matching`).
    person : ndarray or None
        Passed to the flow (None when every record is its own person).
    max_nodes, max_seconds : optional
        Budget: flows solved after the root, and seconds (None: no time
        limit, so the result is deterministic).

    Returns
    -------
    chosen : ndarray of int64
        Sorted indices of the chosen pairs; never breaks a run rule.
    info : BranchAndBound

    Notes
    -----
    A node fixes some pairs out (``forbid``) and some in (``force``). It
    branches on one pair of a violated set: out, or in; fixing a pair in
    also fixes out every pair of that person that the pair rules out beside
    it (the same need through another record, a clash, a week over the
    limit), so the two children share no assignment. A forced pair leaves
    the flow, taking one slot of its need and one of its record.

    The flow bound is tightened per person: ``K``, the most needs open to the
    person that they could take together (a small exact search), caps the
    person's pairs. The flow has no per-person capacity, so the cap is made
    of ``D`` dummy needs of one slot each, joined to each of the person's
    records with the highest score, the records' capacities cut to the
    pairs they have: any assignment within the cap plus the dummies fits the
    flow, so its optimum less the dummies' value is still a bound.
    """
    t0 = time.perf_counter()
    demand = np.asarray(inst.volunteers_needed, dtype=np.int64)
    capacity = np.asarray(inst.capacity, dtype=np.int64)
    n, m = demand.size, capacity.size
    big = (int(demand.sum()) + int(capacity.sum()) + 1) * int(q)
    who = inst.volunteer_person
    ni64 = np.asarray(ni, dtype=np.int64)
    vi64 = np.asarray(vi, dtype=np.int64)
    score64 = np.asarray(score, dtype=np.int64)
    ni32 = np.asarray(ni, dtype=np.int32)
    vi32 = np.asarray(vi, dtype=np.int32)
    score32 = np.asarray(score, dtype=np.int32)
    n_pairs = ni64.size
    pair_person = who[vi64] if n_pairs else np.zeros(0, dtype=np.int64)
    prep = _prepare(inst) if inst.times is not None else None
    # every person's pairs and records
    n_people = int(who.max()) + 1 if who.size else 0
    by_person, person_ptr = _grouped(pair_person, n_people)
    rec_order, rec_ptr = _grouped(who, n_people)
    Caps = dict[int, int]
    rank = _rank_in_need(ni64, score64, n)

    def residual(
        forbid: frozenset[int], force: tuple[int, ...], off: np.ndarray | None = None
    ) -> tuple[np.ndarray, ...]:
        """Residual demand and capacity, forced pairs, and the open pairs: those not fixed
        in or out (``off``: more pairs fixed out, as a mask) with room left on both sides,
        as positions, and their needs, records and scores (int32, as the flow takes them)."""
        forced = np.array(force, dtype=np.int64)
        dem = demand - np.bincount(ni64[forced], minlength=n)
        cap = capacity - np.bincount(vi64[forced], minlength=m)
        closed = np.zeros(n_pairs, dtype=bool) if off is None else off.copy()
        if forbid:
            closed[np.fromiter(forbid, np.int64, len(forbid))] = True
        closed[forced] = True
        return dem, cap, forced, *_open_pairs(ni32, vi32, score32, dem, cap, closed)

    def person_cap(p: int, forbid: frozenset[int], force: tuple[int, ...]) -> int:
        """Most needs person ``p`` can take in this node (forced ones included); -1 unknown."""
        assert prep is not None
        mine = by_person[person_ptr[p] : person_ptr[p + 1]]
        if not forbid and not force:
            must = np.zeros(0, dtype=np.int64)
            cand: np.ndarray = _unique(ni64[mine])
        else:
            fixed = set(force)
            must = np.array(sorted({int(ni64[x]) for x in mine.tolist() if x in fixed}), np.int64)
            cand = np.array(
                sorted({int(ni64[x]) for x in mine.tolist() if x not in forbid and x not in fixed}),
                dtype=np.int64,
            )
        recs = rec_order[rec_ptr[p] : rec_ptr[p + 1]]
        target = min(int(capacity[recs].sum()) - must.size, cand.size)
        if target <= 0:
            return must.size + max(target, 0)
        got = _max_feasible(
            p,
            must,
            cand,
            target,
            20000,
            prep.busy_ptr,
            prep.busy_sched,
            prep.lim_tasks,
            prep.lim_minutes,
            prep.first,
            prep.last,
            prep.wptr,
            prep.wday,
            prep.wstart,
            prep.wend,
        )
        return -1 if got < 0 else must.size + int(got)

    def flow(
        forbid: frozenset[int],
        force: tuple[int, ...],
        caps: Caps | None = None,
        relax: bool = True,
        off: np.ndarray | None = None,
    ) -> tuple[np.ndarray, int, int]:
        """The node's flow: chosen pairs, their value, and the bound.

        With ``caps``, each capped person's records are cut to the pairs they
        have and ``D`` dummy needs of one slot, joined to each of the person's
        records with the highest score, hold the person's total to the cap:
        any assignment keeping the rules plus every dummy fits this flow, so
        its optimum less the dummies' value is still a bound.
        """
        if not forbid and not force and not caps and not (cuts and relax) and off is None:
            chosen, _ = b_matching(ni, vi, score, demand, capacity, q, person)
            value = chosen.size * big + int(score64[chosen].sum())
            return chosen, value, value
        dem, cap, forced, keep, sub_ni, sub_vi, sub_s = residual(forbid, force, off)
        cap = np.maximum(cap, 0)
        n_dummies = 0
        d_ni: list[int] = []
        d_vi: list[int] = []
        open_pairs = np.bincount(sub_vi, minlength=m) if caps else None
        for p, k in sorted((caps or {}).items()):
            if k < 0:
                continue
            recs = rec_order[rec_ptr[p] : rec_ptr[p + 1]]
            assert open_pairs is not None
            eff = np.minimum(cap[recs], open_pairs[recs])
            cap[recs] = eff
            k_left = k - int(np.count_nonzero(pair_person[forced] == p))
            extra = int(eff.sum()) - max(k_left, 0)
            live = recs[eff > 0].tolist()
            for _ in range(max(extra, 0)):
                for r in live:
                    d_ni.append(n + n_dummies)
                    d_vi.append(r)
                n_dummies += 1
        # clique cuts: each person takes at most one need of a clique, so the clique's
        # filled slots are at most its people; dummy volunteers hold the rest
        x_ni: list[int] = []
        x_vi: list[int] = []
        n_vdummies = 0
        if cuts and relax:
            n_cuts = len(cuts)
            span = max(n_people, 1)
            sel = keep[in_cut[ni64[keep]] >= 0]
            # distinct (need, person) among the open pairs in cuts
            need_person = _unique(ni64[sel] * span + pair_person[sel])
            np_need, np_person = need_person // span, need_person % span
            np_cut = in_cut[np_need]
            per_need = np.bincount(np_need, minlength=n)
            supply_need = np.minimum(np.maximum(dem, 0), per_need)
            cut_of_need = np.flatnonzero(in_cut >= 0)
            supply = np.bincount(
                in_cut[cut_of_need], weights=supply_need[cut_of_need], minlength=n_cuts
            ).astype(np.int64)
            # room: per (cut, person), one need in a clique, else the most they can take
            cut_person, counts = _unique(np_cut * span + np_person, counts=True)
            room = np.zeros(n_cuts, dtype=np.int64)
            simple = np.array(clique_flags, dtype=bool)[cut_person // span] | (counts == 1)
            np.add.at(room, cut_person[simple] // span, 1)
            for key in cut_person[~simple].tolist():
                c, p = key // span, key % span
                room[c] += limit_room(c, p, np_need[(np_cut == c) & (np_person == p)], forced)
            for c in np.flatnonzero(supply > room).tolist():
                members = cuts[c]
                live = members[supply_need[members] > 0].tolist()
                for _ in range(int(supply[c] - room[c])):
                    for nn in live:
                        x_ni.append(nn)
                        x_vi.append(m + n_vdummies)
                    n_vdummies += 1
        # the flow's arrays, int32 as it takes them (the dummies' pairs after the real ones)
        all_ni, all_vi, all_s = sub_ni, sub_vi, sub_s
        if d_ni or x_ni:
            all_ni = np.concatenate((all_ni, np.array(d_ni + x_ni, dtype=np.int32)))
            all_vi = np.concatenate((all_vi, np.array(d_vi + x_vi, dtype=np.int32)))
            all_s = np.concatenate((all_s, np.full(len(d_ni) + len(x_ni), q, dtype=np.int32)))
        all_dem = np.concatenate((np.maximum(dem, 1), np.ones(n_dummies, dtype=np.int64)))
        all_cap = np.concatenate((np.maximum(cap, 1), np.ones(n_vdummies, dtype=np.int64)))
        all_person = person
        if person is not None and n_vdummies:
            all_person = np.concatenate(
                (person, np.arange(n_vdummies, dtype=np.int64) + int(person.max()) + 1)
            )
        sub, _ = b_matching(
            all_ni,
            all_vi,
            all_s,
            all_dem,
            all_cap,
            q,
            all_person,
        )
        real = sub[sub < keep.size]
        unfilled = n_dummies + n_vdummies - int(np.count_nonzero(sub >= keep.size))
        chosen = np.concatenate((keep[real], forced))
        value = chosen.size * big + int(score64[chosen].sum())
        return chosen, value, value - unfilled * (big + int(q))

    cuts: list[np.ndarray] = []
    in_cut = np.full(n, -1, dtype=np.int64)
    clique_flags: list[bool] = []  # per cut: its needs clash pairwise
    room_cache: dict[tuple[int, int, tuple[int, ...], tuple[int, ...]], int] = {}

    def limit_room(c: int, p: int, cand: np.ndarray, forced: np.ndarray) -> int:
        """The most of ``cand`` (needs of cut ``c``) person ``p`` can take besides
        their forced needs."""
        assert prep is not None
        must = np.unique(ni64[forced[pair_person[forced] == p]])
        key = (c, p, tuple(must.tolist()), tuple(cand.tolist()))
        got = room_cache.get(key)
        if got is None:
            got = _max_feasible(
                p,
                must,
                cand,
                cand.size,
                20000,
                prep.busy_ptr,
                prep.busy_sched,
                prep.lim_tasks,
                prep.lim_minutes,
                prep.first,
                prep.last,
                prep.wptr,
                prep.wday,
                prep.wstart,
                prep.wend,
            )
            got = int(cand.size) if got < 0 else int(got)
            room_cache[key] = got
        return got

    def grow_cut(a: int, b: int) -> bool:
        """Add a clique of pairwise clashing needs holding needs ``a`` and ``b``."""
        assert prep is not None
        if in_cut[a] >= 0 or in_cut[b] >= 0:
            return False
        args = (prep.first, prep.last, prep.wptr, prep.wday, prep.wstart, prep.wend)
        others = np.flatnonzero(in_cut < 0).astype(np.int64)
        order = np.lexsort((others, -demand[others]))
        cut = np.sort(_grow_clique(a, b, others[order], *args))
        in_cut[cut] = len(cuts)
        cuts.append(cut)
        clique_flags.append(True)
        return True

    def violated(chosen: np.ndarray) -> list[np.ndarray]:
        """Violated sets, as arrays of pair indices."""
        if prep is None or chosen.size < 2:
            return []
        p = pair_person[chosen]
        order = np.argsort(p, kind="stable")
        c = chosen[order]
        bounds = np.flatnonzero(np.r_[True, p[order][1:] != p[order][:-1], True])
        vptr, members = _violations(
            ni64[c],
            vi64[c],
            bounds.astype(np.int64),
            who,
            prep.busy_ptr,
            prep.busy_sched,
            prep.lim_tasks,
            prep.lim_minutes,
            prep.first,
            prep.last,
            prep.wptr,
            prep.wday,
            prep.wstart,
            prep.wend,
        )
        found = c[members[: vptr[-1]]]
        sets = np.flatnonzero(vptr[1:] > vptr[:-1])
        return [found[a:b] for a, b in zip(vptr[sets].tolist(), vptr[sets + 1].tolist())]

    def fix_in(
        a: int, forbid: frozenset[int], force: tuple[int, ...]
    ) -> tuple[frozenset[int], tuple[int, ...]]:
        """Force pair ``a``; fix out the person's pairs it rules out."""
        assert prep is not None
        force = (*force, a)
        p = int(pair_person[a])
        mine = by_person[person_ptr[p] : person_ptr[p + 1]]
        forced_pairs = [x for x in force if pair_person[x] == p]
        open_ = np.array(
            [x for x in mine.tolist() if x not in forbid and x not in force], dtype=np.int64
        )
        if open_.size:
            bad = _incompatible(
                p,
                ni64[np.array(forced_pairs, dtype=np.int64)],
                ni64[open_],
                prep.busy_ptr,
                prep.busy_sched,
                prep.lim_tasks,
                prep.lim_minutes,
                prep.first,
                prep.last,
                prep.wptr,
                prep.wday,
                prep.wstart,
                prep.wend,
            )
            forbid = forbid | frozenset(open_[bad].tolist())
        return forbid, force

    def tighten(
        forbid: frozenset[int], force: tuple[int, ...], caps: Caps, people: set[int]
    ) -> Caps:
        """Caps with the given people's recomputed."""
        caps = dict(caps)
        for p in sorted(people):
            caps[p] = person_cap(p, forbid, force)
        return caps

    def solve_node(
        forbid: frozenset[int],
        force: tuple[int, ...],
        caps: Caps,
        start: tuple[np.ndarray, int, list[np.ndarray]] | None = None,
    ) -> tuple[np.ndarray, int, int, list[np.ndarray], Caps]:
        """Flow, then cap the people it breaks a rule for and solve again while there
        are new ones. (A flow that keeps the rules fills every dummy: with ``K``
        exact, a person below the cap leaves room that a dummy would take.) ``start``:
        the node's first flow and its violated sets, when already solved."""
        if start is None:
            chosen, value, bound = flow(forbid, force, caps)
            viol = violated(chosen)
        else:
            chosen, value, viol = start
            bound = value
        while viol:
            new = {int(pair_person[v[0]]) for v in viol} - set(caps)
            grown = False
            for v in viol:
                if prep is None:
                    break
                needs = np.unique(ni64[v])
                if np.any(in_cut[needs] >= 0):
                    continue
                x, y = int(ni64[v[0]]), int(ni64[v[1]])
                args = (prep.first, prep.last, prep.wptr, prep.wday, prep.wstart, prep.wend)
                if v.size == 2 and _clash(x, y, *args):
                    grown = grow_cut(x, y) or grown
                elif len(cuts) < 4 * n + 16:
                    in_cut[needs] = len(cuts)
                    cuts.append(needs)
                    clique_flags.append(False)
                    grown = True
            if not new and not grown:
                break
            if new:
                caps = tighten(forbid, force, caps, new)
            chosen, value, bound = flow(forbid, force, caps)
            viol = violated(chosen)
        return chosen, value, bound, viol, caps

    root, root_value, _ = flow(frozenset(), ())
    first_viol = violated(root)
    if not first_viol:
        info = BranchAndBound(
            False, 0, True, root_value, root_value, root_value, big, time.perf_counter() - t0
        )
        return root, info

    nodes = 0

    def out_of_budget() -> bool:
        return nodes >= max_nodes or (
            max_seconds is not None and time.perf_counter() - t0 >= max_seconds
        )

    def dive(
        forbid: frozenset[int], force: tuple[int, ...], viol: list[np.ndarray], chosen: np.ndarray
    ) -> tuple[np.ndarray, int]:
        """Repair: each person who breaks a rule keeps the best set of their pairs that keeps
        the rules (see :func:`_best_subset`) and loses the others; solve again.

        What the person keeps is kept in view: their other pairs that could not go beside it
        are fixed out in the same round, or the next solve would move the person to one of
        them and the repair would take a round per step of that cascade."""
        nonlocal nodes
        fixed = set(force)
        # fixed out besides ``forbid``: by the repair, and each need's pairs past its best
        # _DIVE_PAIRS unless in the flow repaired (the repair's flows are a heuristic: fewer
        # pairs make them cheaper, and the optimum seldom needs a need's far pairs)
        off = rank >= _DIVE_PAIRS
        off[chosen] = False
        while True:
            off[repair(chosen, viol, fixed, forbid, off)] = True
            chosen, value, _ = flow(forbid, force, relax=False, off=off)
            nodes += 1
            viol = violated(chosen)
            if not viol:
                return fill(chosen, value, forbid)

    def repair(
        chosen: np.ndarray,
        viol: list[np.ndarray],
        fixed: set[int],
        forbid: frozenset[int],
        off: np.ndarray,
    ) -> np.ndarray:
        """The pairs a repair round fixes out: per violated set's person, their chosen pairs
        outside the best subset that keeps the rules, and their pairs that cannot go beside
        what they keep (see :func:`_repair_person`; all the people in one call)."""
        assert prep is not None
        in_chosen = np.zeros(n_pairs, dtype=bool)
        in_chosen[chosen] = True
        is_fixed = np.zeros(n_pairs, dtype=bool)
        if fixed:
            is_fixed[list(fixed)] = True
        people = pair_person[np.array([members[0] for members in viol], dtype=np.int64)]
        out, ptr = _repair_people(
            people,
            by_person,
            person_ptr,
            in_chosen,
            is_fixed,
            off,
            ni64,
            score64,
            prep.busy_ptr,
            prep.busy_sched,
            prep.lim_tasks,
            prep.lim_minutes,
            prep.first,
            prep.last,
            prep.wptr,
            prep.wday,
            prep.wstart,
            prep.wend,
        )
        drop = [out]
        lost = np.flatnonzero(out < 0)
        if lost.size:  # too many to search: the lower of the set goes
            where = np.searchsorted(ptr, lost, side="right") - 1
            for members in (viol[i] for i in where.tolist()):
                candidates = [x for x in members.tolist() if x not in fixed]
                extra = [min(candidates, key=lambda x: (int(score64[x]), x))]
                extra += [x for x in beside_best(members, fixed, forbid) if not off[x]]
                drop.append(np.array(extra, dtype=np.int64))
            drop[0] = out[out >= 0]
        if forbid:
            drop[0] = drop[0][~np.isin(drop[0], np.fromiter(forbid, np.int64, len(forbid)))]
        return np.concatenate(drop)

    def beside_best(members: np.ndarray, fixed: set[int], forbid: frozenset[int]) -> list[int]:
        """The pairs of the set's person that cannot go beside its best-scoring member."""
        if prep is None:
            return []
        best = max(members.tolist(), key=lambda x: (int(score64[x]), -x))
        p = int(pair_person[best])
        mine = by_person[person_ptr[p] : person_ptr[p + 1]]
        mine = mine[(mine != best) & (ni64[mine] != ni64[best])]
        if mine.size == 0:
            return []
        bad = _incompatible(
            p,
            ni64[[best]],
            ni64[mine],
            prep.busy_ptr,
            prep.busy_sched,
            prep.lim_tasks,
            prep.lim_minutes,
            prep.first,
            prep.last,
            prep.wptr,
            prep.wday,
            prep.wstart,
            prep.wend,
        )
        return [x for x in mine[bad].tolist() if x not in fixed and x not in forbid]

    def fill(chosen: np.ndarray, value: int, forbid: frozenset[int]) -> tuple[np.ndarray, int]:
        """Keep a feasible assignment and fill what it leaves open: its pairs forced,
        every pair that does not fit beside them fixed out, then repaired; repeated
        while that adds something."""
        nonlocal nodes
        assert prep is not None
        for _ in range(4):
            if out_of_budget():
                break
            in_chosen = np.zeros(n_pairs, dtype=bool)
            in_chosen[chosen] = True
            # only the pairs the fill could use: room left on both sides
            dem = demand - np.bincount(ni64[chosen], minlength=n)
            cap = capacity - np.bincount(vi64[chosen], minlength=m)
            off = _not_beside(
                chosen,
                in_chosen,
                ni64,
                vi64,
                who,
                dem,
                cap,
                prep.busy_ptr,
                prep.busy_sched,
                prep.lim_tasks,
                prep.lim_minutes,
                prep.first,
                prep.last,
                prep.wptr,
                prep.wday,
                prep.wstart,
                prep.wend,
            )
            force = tuple(chosen.tolist())
            fixed = set(force)
            sub_forbid = forbid
            more, more_value, _ = flow(sub_forbid, force, relax=False, off=off)
            nodes += 1
            viol = violated(more)
            while viol:
                drop = set()
                for members in viol:
                    free = [x for x in members.tolist() if x not in fixed]
                    drop.add(min(free, key=lambda x: (int(score64[x]), x)))
                sub_forbid = sub_forbid | drop
                more, more_value, _ = flow(sub_forbid, force, relax=False, off=off)
                nodes += 1
                viol = violated(more)
            if more_value <= value:
                break
            chosen, value = more, more_value
        return chosen, value

    # The incumbent first, repaired from the root's flow; then the root's relaxation (caps and
    # cuts), for the tree search, if the budget leaves room for one: otherwise the root's flow
    # is the bound, still open.
    best, best_value = dive(frozenset(), (), first_viol, root)
    Node = tuple[int, int, frozenset[int], tuple[int, ...], list[np.ndarray], Caps, np.ndarray]
    heap: list[Node] = []
    if out_of_budget():
        if root_value > best_value:
            heap.append((-root_value, 0, frozenset(), (), first_viol, {}, root))
    else:
        # the root node's first flow, with no caps and no cuts yet, is the flow solved above
        chosen, value, bound, root_viol, root_caps = solve_node(
            frozenset(), (), {}, start=(root, root_value, first_viol)
        )
        if not root_viol and value > best_value:
            best, best_value = chosen, value
        if root_viol and bound > best_value:
            heap.append((-bound, 0, frozenset(), (), root_viol, root_caps, chosen))
    seq = 1
    expanded = 0
    optimal = False
    while True:
        if not heap or -heap[0][0] <= best_value:
            optimal = True
            break
        if out_of_budget():
            break
        _, _, forbid, force, viol, caps, _ = heapq.heappop(heap)
        expanded += 1
        fixed = set(force)
        members = min(viol, key=len)
        a = next(x for x in members.tolist() if x not in fixed)
        pa = int(pair_person[a])
        # the person does not take the need, or takes it through one of their records
        mine = by_person[person_ptr[pa] : person_ptr[pa + 1]]
        same = [x for x in mine.tolist() if ni64[x] == ni64[a] and x not in forbid]
        children = [(forbid | frozenset(same), force)]
        used_rec = np.bincount(vi64[list(force)], minlength=m) if force else np.zeros(m, np.int64)
        used_need = np.bincount(ni64[list(force)], minlength=n) if force else np.zeros(n, np.int64)
        children += [
            fix_in(x, forbid, force)
            for x in same
            if used_rec[vi64[x]] < capacity[vi64[x]] and used_need[ni64[x]] < demand[ni64[x]]
        ]
        for child in children:
            ccaps = tighten(child[0], child[1], caps, {pa}) if pa in caps else caps
            chosen, value, cbound, cv, ccaps = solve_node(child[0], child[1], ccaps)
            nodes += 1
            if cbound <= best_value:
                continue
            if not cv:
                best, best_value = chosen, value
            else:
                heapq.heappush(heap, (-cbound, seq, child[0], child[1], cv, ccaps, chosen))
                seq += 1
        if heap and expanded % 16 == 0 and not out_of_budget() and heap[0][4]:
            top = heap[0]
            chosen, value = dive(top[2], top[3], top[4], top[6])
            if value > best_value:
                best, best_value = chosen, value
    bound = best_value if optimal else max(best_value, -heap[0][0])
    info = BranchAndBound(
        True, nodes, optimal, best_value, bound, root_value, big, time.perf_counter() - t0
    )
    return np.sort(best), info

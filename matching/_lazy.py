"""The optimal assignment from each need's best pairs, proved optimal on every feasible pair.

Most of a large instance's feasible pairs can never be in an optimal
assignment: a need that can have a volunteer nearby at a high score will not
take one far away. So the pairs are generated lazily:

1. each need's best ``per_need`` pairs (:func:`~matching._candidates.best_candidates`),
   with, per need, ``bound``: the score of its best pair left out;
2. the optimal assignment on those pairs, with dual prices valid for the
   graph of *every* feasible pair (:func:`~matching._assign.b_matching` with
   ``open_needs``);
3. a need ``i`` whose pairs were cut is settled when ``q - bound[i] + pi[i]``
   is not negative: then no pair left out of it, whatever its volunteer, has a
   negative reduced cost, so none could improve the assignment (a left-out
   pair to a person with several records is checked as a plain arc, which
   only makes the test stricter). A need left with an open slot is never
   settled while pairs of it are left out, so the reasons for open slots see
   every pair of the needs that have them;
4. the needs not settled get ``growth`` times more pairs, and the assignment
   is solved again, until every need is settled.

The result is an optimal assignment on the full feasible graph: the same
filled slots and total score as solving on every pair (and the same pairs
when that optimum is unique; among tied optima the one chosen may differ).
:func:`~matching._certify.certify` checks this independently with the same
bounds (``left_out``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._assign import b_matching
from ._candidates import Candidates, best_candidates, candidates, nearby_order
from ._instance import Instance

__all__ = ["assign", "merge"]

GROWTH = 4  # a need not settled gets this many times more pairs in the next round


def merge(old: Candidates, new: Candidates, needs: np.ndarray) -> Candidates:
    """``old`` with the pairs of ``needs`` replaced by those in ``new`` (grouped by need)."""
    redo = np.zeros(old.free_count.size, dtype=bool)
    redo[needs] = True
    keep = ~redo[old.need_index]
    ni = np.concatenate((old.need_index[keep], new.need_index))
    order = np.argsort(ni, kind="stable")  # each need's pairs stay best first

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate((a[keep], b))[order]

    free = old.free_count.copy()
    free[needs] = new.free_count[needs]
    return Candidates(
        need_index=ni[order],
        volunteer_index=cat(old.volunteer_index, new.volunteer_index),
        score_units=cat(old.score_units, new.score_units),
        distance_km=cat(old.distance_km, new.distance_km),
        need_ids=old.need_ids,
        volunteer_ids=old.volunteer_ids,
        free_count=free,
        seconds=old.seconds + new.seconds,
    )


def assign(
    inst: Instance,
    q: int,
    per_need: int | None,
    person: np.ndarray | None,
    alongside: Callable[[Candidates], Any] | None = None,
) -> tuple[Candidates, np.ndarray, np.ndarray, dict[str, Any]]:
    """Candidates, the optimal pairs among them and each need's bound on the pairs left out.

    Parameters
    ----------
    inst : Instance
    q : int
        Highest score units (:data:`~matching._scoring.SCORE_UNITS`).
    per_need : int or None
        Pairs per need in the first round; None for every pair at once.
    person : ndarray or None
        As for :func:`~matching._assign.b_matching`.
    alongside : callable, optional
        With ``per_need`` None: called with the candidates in a second thread
        while the assignment is solved (its compiled core releases the
        interpreter's lock, so both run at once on two cores);
        ``info["alongside"]`` is then the future of its result.

    Returns
    -------
    cand : Candidates
        The pairs the assignment was chosen from (each need's best ones).
    chosen : ndarray of int64
        Indices into ``cand`` of the assignment.
    bound : ndarray of int32
        Per need, the score units of its best pair left out (0: none left out).
    info : dict
        ``searches`` (summed over rounds), ``rounds``, ``pairs_generated``,
        ``seconds_candidates`` / ``seconds_assignment`` (summed; ``cpu_*``
        the same in processor seconds of every thread) and
        ``unsettled``, the needs sent to the next round after each round.
    """
    demand = inst.volunteers_needed
    info: dict[str, Any] = {
        "searches": 0,
        "rounds": 0,
        "pairs_generated": 0,
        "seconds_candidates": 0.0,
        "seconds_assignment": 0.0,
        "cpu_candidates": 0.0,
        "cpu_assignment": 0.0,
        "unsettled": [],
    }
    t, c = time.perf_counter(), time.process_time()
    if per_need is None:
        cand = candidates(inst)
        bound = np.zeros(inst.n_needs, dtype=np.int32)
    else:
        per_need = max(per_need, int(demand.max(initial=1)))
        cand, bound = best_candidates(inst, per_need)
    info["seconds_candidates"] += time.perf_counter() - t
    info["cpu_candidates"] += time.process_time() - c
    info["pairs_generated"] += len(cand)
    if alongside is not None and per_need is None:
        pool = ThreadPoolExecutor(max_workers=1)
        info["alongside"] = pool.submit(alongside, cand)
        pool.shutdown(wait=False)  # the thread ends with its one task
    order = nearby_order(inst)
    while True:
        info["rounds"] += 1
        t, c = time.perf_counter(), time.process_time()
        open_needs = bound > 0
        chosen, sol = b_matching(
            cand.need_index,
            cand.volunteer_index,
            cand.score_units,
            demand,
            inst.capacity,
            q,
            person=person,
            open_needs=open_needs if per_need is not None else None,
            order=order,
        )
        info["searches"] += sol["searches"]
        info["seconds_assignment"] += time.perf_counter() - t
        info["cpu_assignment"] += time.process_time() - c
        if per_need is None or not open_needs.any():
            break
        pi = sol["need_potential"]
        filled = np.bincount(cand.need_index[chosen], minlength=inst.n_needs)
        unsettled = open_needs & ((q - bound.astype(np.int64) + pi < 0) | (filled < demand))
        if not unsettled.any():
            break
        info["unsettled"].append(int(unsettled.sum()))
        redo = np.flatnonzero(unsettled)
        per_need *= GROWTH
        t, c = time.perf_counter(), time.process_time()
        new, new_bound = best_candidates(inst, per_need, redo)
        cand = merge(cand, new, redo)
        bound[redo] = new_bound[redo]
        info["seconds_candidates"] += time.perf_counter() - t
        info["cpu_candidates"] += time.process_time() - c
        info["pairs_generated"] += len(new)
    return cand, chosen, bound, info

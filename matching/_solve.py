"""solve(): candidates, the optimal assignment, explanations and reasons."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace
from functools import cached_property, partial
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ._arrays import has_repeats
from ._candidates import Candidates, _prepare, candidates, reach_counts
from ._certify import certify as certify_assignment
from ._certify import lexicographic_weight
from ._instance import MINUTES_PER_DAY, WEEK_MINUTES, WEEKDAYS, Instance
from ._lazy import assign
from ._scoring import SCORE_UNITS, chord_to_km, closeness_part, need_parts, volunteer_parts
from ._time import BUSY, LIMIT, OK, PAUSED, branch_and_bound, day_text, pair_status

__all__ = ["REASON_CODES", "Match", "Result", "Unmatched", "solve"]

REASON_CODES = ("no_skill", "out_of_reach", "no_time", "excluded", "busy", "taken")

# from this many needs x volunteers, pairs are generated lazily (see matching._lazy): at
# 100k x 100k every pair at once is faster (one solve; BENCHMARKS.md), at 200k x 1M every
# pair does not fit the memory bar
LAZY_FROM = 20_000_000_000
LAZY_PER_NEED = 16


def _fields(record: Any) -> dict[str, Any]:
    """A dataclass's fields by name, in order, the values as they are (not copied)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


@dataclass(frozen=True)
class Match:
    """A proposed pair with its explanation (see :func:`solve`)."""

    need: str
    volunteer: str
    score: float
    distance_km: float
    explanation: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return _fields(self)


@dataclass(frozen=True)
class Unmatched:
    """A need left with open slots, with the reason a coordinator can act on."""

    need: str
    open_slots: int
    reason: str
    reason_code: str

    def to_dict(self) -> dict[str, Any]:
        return _fields(self)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


#: "HH:MM" of every minute of a day, and 24:00.
_HHMM = tuple(_hhmm(m) for m in range(MINUTES_PER_DAY + 1))


def _windows_of(inst: Instance, needs: np.ndarray) -> dict[int, tuple[list[dict[str, Any]], str]]:
    """Each of these needs' windows (``{"weekday", "start", "end"}`` dicts) and their text
    (``"Tue 09:00-11:00, ..."``); each distinct window is put into words once."""
    mine = np.zeros(inst.n_needs, dtype=bool)
    mine[needs] = True
    sel = np.flatnonzero(mine[inst.window_need])
    owners = inst.window_need[sel].tolist()
    span = WEEK_MINUTES + 1
    keys = (inst.window_start[sel] * span + inst.window_end[sel]).tolist()
    told = {}
    for key in set(keys):
        s, e = divmod(key, span)
        day = s // MINUTES_PER_DAY
        a, b = _HHMM[s - day * MINUTES_PER_DAY], _HHMM[e - day * MINUTES_PER_DAY]
        told[key] = (day, a, b, f"{WEEKDAYS[day]} {a}-{b}")
    out: dict[int, tuple[list[dict[str, Any]], str]] = {}
    wl: list[dict[str, Any]] = []
    texts: list[str] = []
    last = -1
    for n, key in zip(owners, keys):  # need by need (the windows are sorted by need)
        if n != last:
            if last >= 0:
                out[last] = (wl, ", ".join(texts))
            wl, texts, last = [], [], n
        day, a, b, text = told[key]
        wl.append({"weekday": day, "start": a, "end": b})
        texts.append(text)
    if last >= 0:
        out[last] = (wl, ", ".join(texts))
    return out


def _quote(skills: Any) -> str:
    q = [f"'{s}'" for s in skills]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " and " + q[-1]


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _km(x: float) -> str:
    return f"{x:.1f} km"


class Result:
    """The outcome of :func:`solve`.

    Attributes
    ----------
    matches : list of Match
        Proposed pairs, by need (input order) then best score first.
    unmatched : list of Unmatched
        Needs left with open slots, in input order.
    stats : dict
        Counts, candidate pairs, filled slots, total score, seconds per stage.
    need_index, volunteer_index, score_units, distance_km : ndarray
        The proposed pairs as arrays (same order as ``matches``).
    """

    def __init__(
        self,
        instance: Instance,
        need_index: np.ndarray,
        volunteer_index: np.ndarray,
        score_units: np.ndarray,
        distance_km: np.ndarray,
        unmatched: list[Unmatched],
        stats: dict[str, Any],
    ):
        self.instance = instance
        self.need_index = need_index
        self.volunteer_index = volunteer_index
        self.score_units = score_units
        self.distance_km = distance_km
        self.unmatched = unmatched
        self.stats = stats

    @cached_property
    def matches(self) -> list[Match]:
        return [Match(**r) for r in self._match_dicts()]

    def _match_dicts(self) -> list[dict[str, Any]]:
        inst = self.instance
        if self.need_index.size == 0:
            return []
        ni, vi = self.need_index, self.volunteer_index
        u, w = need_parts(inst.urgency[ni], inst.waiting_hours[ni])
        f = volunteer_parts(inst.load[vi])
        c = closeness_part(self.distance_km, inst.max_km[vi])
        rows = zip(
            ni.tolist(),
            vi.tolist(),
            self.score_units.tolist(),
            np.round(self.distance_km, 2).tolist(),
            np.round(c, 4).tolist(),
            np.round(u, 4).tolist(),
            np.round(w, 4).tolist(),
            np.round(f, 4).tolist(),
            inst.max_km[vi].tolist(),
            inst.remote_ok[ni].tolist(),
        )
        windows = _windows_of(inst, np.unique(ni))
        need_ids, volunteer_ids, need_skills = inst.need_ids, inst.volunteer_ids, inst.need_skills
        # per need, the summary's end (skills and windows), and whether its windows' dicts
        # went to a match already (a later match of the need gets copies: no two matches
        # share a dict)
        tails: dict[int, str] = {}
        out = []
        for n, v, s, d, cp, up, wp, fp, mk, remote in rows:
            wl, wt = windows[n]
            score = s / SCORE_UNITS
            skills = list(need_skills[n])
            tail = tails.get(n)
            if tail is None:
                tail = tails[n] = (f", has {', '.join(skills)}" if skills else "") + f", free {wt}"
            else:
                wl = [dict(x) for x in wl]
            where = f"remote, {d:.1f} km away" if remote else f"{d:.1f} km away (of {mk:g} km)"
            summary = where + tail
            out.append(
                {
                    "need": need_ids[n],
                    "volunteer": volunteer_ids[v],
                    "score": score,
                    "distance_km": d,
                    "explanation": {
                        "summary": summary,
                        "distance_km": d,
                        "remote": bool(remote),
                        "skills_matched": skills,
                        "windows": wl,
                        "score_parts": {
                            "closeness": cp,
                            "urgency": up,
                            "waiting": wp,
                            "fairness": fp,
                        },
                        "score": score,
                    },
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON the command line prints: ``{"matches", "unmatched", "stats"}``."""
        built = "matches" in self.__dict__  # else build the dicts once, with no Match between
        return {
            "matches": [m.to_dict() for m in self.matches] if built else self._match_dicts(),
            "unmatched": [u.to_dict() for u in self.unmatched],
            "stats": self.stats,
        }


# --------------------------------------------------------------------------
# reasons
# --------------------------------------------------------------------------


def _time_blocked(
    inst: Instance, cand: Candidates, status: np.ndarray, free_from: np.ndarray, needs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Per need: people who are suitable but not free then, by cause (columns BUSY,
    LIMIT, PAUSED), people left after the time rules, and the first day one frees up."""
    n = inst.n_needs
    by_cause = np.zeros((n, 4), dtype=np.int64)
    mine = np.zeros(n, dtype=bool)
    mine[needs] = True
    sub = np.flatnonzero(mine[cand.need_index])
    m = max(int(inst.volunteer_person.max()) + 1 if inst.n_volunteers else 1, 1)
    key = cand.need_index[sub].astype(np.int64) * m + inst.volunteer_person[
        cand.volunteer_index[sub]
    ].astype(np.int64)
    keys, inv = np.unique(key, return_inverse=True)
    inv = inv.reshape(-1)
    st = status[sub].astype(np.int64)
    # a person is free when one of their records is; else blocked by the first cause
    any_ok = np.zeros(keys.size, dtype=bool)
    np.logical_or.at(any_ok, inv, st == OK)
    cause = np.full(keys.size, 9, dtype=np.int64)
    np.minimum.at(cause, inv, np.where(st == OK, 9, st))
    left = np.bincount(keys[any_ok] // m, minlength=n)
    blocked = ~any_ok
    np.add.at(by_cause, (keys[blocked] // m, cause[blocked]), 1)
    first_free: dict[int, str] = {}
    fr = free_from[sub]
    known = (st != OK) & (fr > 0) & blocked[inv]
    if known.any():
        need_of = cand.need_index[sub][known].astype(np.int64)
        order = np.lexsort((fr[known], need_of))
        need_of, days = need_of[order], fr[known][order]
        head = np.r_[True, need_of[1:] != need_of[:-1]]
        for nn, dd in zip(need_of[head].tolist(), days[head].tolist()):
            text = day_text(int(dd))
            if text is not None:
                first_free[nn] = text
    return by_cause, left, first_free


_OWN_TREE_LIMIT = 50_000  # volunteers with a need's skills, above which one tree serves all


def _nearest_fitting(tree: Any, points: np.ndarray, fits: np.ndarray) -> list[tuple[float, int]]:
    """For each point, the km to the nearest volunteer of ``tree`` (every volunteer) with
    ``fits`` true, and that volunteer. Asks for the 64 nearest, then 8 times more for the
    points none of whose nearest fit (``fits`` must hold somewhere)."""
    out: list[tuple[float, int]] = [(0.0, 0)] * len(points)
    todo = np.arange(len(points))
    k = 64
    while todo.size:
        k = min(k, tree.n)
        dist, idx = tree.query(points[todo], k=k)
        dist, idx = dist.reshape(todo.size, k), idx.reshape(todo.size, k)
        hit = fits[idx]
        got = hit.any(axis=1) | (k == tree.n)
        first = hit.argmax(axis=1)
        rows = np.flatnonzero(got)
        km = chord_to_km(dist[rows, first[rows]]).tolist()
        for r, d, v in zip(rows.tolist(), km, idx[rows, first[rows]].tolist()):
            out[int(todo[r])] = (d, v)
        todo = todo[~got]
        k *= 8
    return out


def _skill_counts(inst: Instance, sk: Any, vcount: np.ndarray) -> dict[str, int]:
    """Volunteers with each skill some need asks for, from the volunteers' skill patterns."""
    vocab = sorted({s for t in inst.need_skills for s in t})
    out = {}
    for j, s in enumerate(vocab):
        bit = np.uint64(1) << np.uint64(j % 64)
        has = (sk.vol_pat[:, j // 64] & bit) != 0 if sk.vol_pat.shape[0] else np.zeros(0, bool)
        out[s] = int(vcount[has].sum()) if vcount.size else 0
    return out


def _skilled(inst: Instance, needs: np.ndarray) -> np.ndarray:
    """Per need (counted for ``needs`` only): volunteers with every skill it asks for."""
    sk = _prepare(inst).skills
    vcount = (
        np.bincount(sk.vol_id, minlength=sk.vol_pat.shape[0])
        if inst.n_volunteers
        else np.zeros(sk.vol_pat.shape[0], dtype=np.int64)
    )
    skilled = np.zeros(inst.n_needs, dtype=np.int64)
    pats = sk.need_id[needs]
    for p in np.unique(pats):
        skilled[needs[pats == p]] = vcount[sk.volunteers_for(int(p))].sum() if vcount.size else 0
    return skilled


@dataclass(frozen=True)
class _Facts:
    """What the reasons take from the needs with fewer free volunteers than slots.

    Such a need keeps an open slot whatever the assignment (it fills at most
    its pairs, and has at most its free volunteers as pairs), so these facts
    do not depend on the assignment and can be found while it is solved."""

    reach: np.ndarray  # per need: volunteers with the skills within reach (free count elsewhere)
    nearest_km: dict[int, float]  # nearest skilled volunteer of the needs nobody can reach
    nearest_max: dict[int, float]  # and how far that volunteer travels
    windows: dict[int, tuple[list[dict[str, Any]], str]]  # windows of the needs short of time


def _facts(inst: Instance, cand: Candidates) -> _Facts:
    """The reasons' facts that do not depend on the assignment (see :class:`_Facts`)."""
    demand = inst.volunteers_needed
    free = cand.free_count
    needs = np.flatnonzero(free < demand)
    reach = free.copy()
    if needs.size == 0:
        return _Facts(reach, {}, {}, {})
    prep = _prepare(inst)
    sk = prep.skills
    skilled = _skilled(inst, needs)
    has_skills = np.array([bool(inst.need_skills[n]) for n in needs.tolist()], dtype=bool)
    no_skill = has_skills & (skilled[needs] < demand[needs])
    # reach matters only where fewer are free than needed (the free ones are within reach),
    # unless too few have the skills
    short = needs[~no_skill]
    if short.size:
        reach[short] = reach_counts(inst, short)[short]

    # nearest skilled volunteer for needs nobody can reach
    far = needs[(skilled[needs] > 0) & (reach[needs] == 0) & ~inst.remote_ok[needs]]
    nearest_km = {}
    nearest_max = {}
    if far.size:
        vcount = np.bincount(sk.vol_id, minlength=sk.vol_pat.shape[0])
        vol_order = np.argsort(sk.vol_id, kind="stable")
        starts = np.r_[0, np.cumsum(vcount)]
        fp = sk.need_id[far]
        every_tree = None
        for p in np.unique(fp):
            group = far[fp == p]
            fits = sk.volunteers_for(int(p))
            if vcount[fits].sum() > _OWN_TREE_LIMIT:
                # many volunteers have the skills: the nearest of them is among the nearest
                # of all, found in one tree of every volunteer
                if every_tree is None:
                    every_tree = cKDTree(prep.vol_xyz)
                fit = np.zeros(sk.vol_pat.shape[0], dtype=bool)
                fit[fits] = True
                found = _nearest_fitting(every_tree, prep.need_xyz[group], fit[sk.vol_id])
                for g, (dd, v) in zip(group.tolist(), found):
                    nearest_km[g] = dd
                    nearest_max[g] = float(inst.max_km[v])
                continue
            vols = np.concatenate([vol_order[starts[q] : starts[q + 1]] for q in fits])
            tree = cKDTree(prep.vol_xyz[vols])
            dist, idx = tree.query(prep.need_xyz[group], k=1)
            for g, dd, ii in zip(group.tolist(), chord_to_km(dist).tolist(), idx.tolist()):
                nearest_km[g] = dd
                nearest_max[g] = float(inst.max_km[vols[ii]])
    # the windows of the needs short of free volunteers (code "no_time"), in one search
    dn = demand[needs]
    windows = _windows_of(inst, needs[~no_skill & (reach[needs] >= dn)])
    return _Facts(reach, nearest_km, nearest_max, windows)


def _reasons(
    inst: Instance,
    cand: Candidates,
    filled: np.ndarray,
    time_status: np.ndarray | None = None,
    time_free: np.ndarray | None = None,
    facts: _Facts | None = None,
) -> list[Unmatched]:
    """Every need left with open slots, with its reason (``facts``: from :func:`_facts`
    on the same candidates, found beforehand)."""
    demand = inst.volunteers_needed
    open_slots = demand - filled
    needs = np.flatnonzero(open_slots > 0)
    if needs.size == 0:
        return []
    if facts is None:
        facts = _facts(inst, cand)
    skilled = _skilled(inst, needs)
    k_count = np.bincount(cand.need_index, minlength=inst.n_needs)
    # distinct people among each open need's candidates (records of one person count once)
    people = k_count
    if has_repeats(inst.volunteer_person):
        mine = np.zeros(inst.n_needs, dtype=bool)
        mine[needs] = True
        sub = mine[cand.need_index]
        m = max(inst.n_volunteers, 1)
        key = np.unique(
            cand.need_index[sub].astype(np.int64) * m
            + inst.volunteer_person[cand.volunteer_index[sub]]
        )
        people = np.bincount(key // m, minlength=inst.n_needs)
    free = cand.free_count
    reach = facts.reach
    nearest_km, nearest_max, windows = facts.nearest_km, facts.nearest_max, facts.windows

    left = people
    by_cause = np.zeros((inst.n_needs, 4), dtype=np.int64)
    first_free: dict[int, str] = {}
    if time_status is not None and time_free is not None:
        by_cause, left, first_free = _time_blocked(inst, cand, time_status, time_free, needs)

    sk = _prepare(inst).skills
    skill_count = _skill_counts(inst, sk, np.bincount(sk.vol_id, minlength=sk.vol_pat.shape[0]))

    out = []
    for n in needs.tolist():
        d = int(demand[n])
        k = int(k_count[n])
        skills = inst.need_skills[n]
        what = (
            f"the skill {_quote(skills)}"
            if len(skills) == 1
            else f"the skills {_quote(skills)}"
            if skills
            else ""
        )
        with_what = f"with {what} " if skills else ""
        if skilled[n] < d and skills:
            code = "no_skill"
            missing = [s for s in skills if skill_count.get(s, 0) == 0]
            if missing:
                reason = (
                    f"No volunteer has the skill {_quote(missing)}."
                    if len(missing) == 1
                    else f"No volunteer has the skills {_quote(missing)}."
                )
            elif skilled[n] == 0:
                reason = f"No volunteer has all of the skills {_quote(skills)}."
            else:
                reason = (
                    f"Only {_plural(int(skilled[n]), 'volunteer')} "
                    f"{'has' if skilled[n] == 1 else 'have'} {what}; {d} needed."
                )
        elif reach[n] < d:
            code = "out_of_reach"
            if reach[n] == 0 and n not in nearest_km:
                reason = "There are no volunteers to ask."
            elif reach[n] == 0:
                who = f"Nobody {with_what}".strip() if skills else "No volunteer"
                reason = (
                    f"{who} is within reach (nearest is {_km(nearest_km[n])} away "
                    f"and travels up to {nearest_max[n]:g} km)."
                )
            else:
                reason = (
                    f"Only {_plural(int(reach[n]), 'volunteer')} {with_what}"
                    f"{'is' if reach[n] == 1 else 'are'} within reach; {d} needed."
                )
        elif free[n] < d:
            code = "no_time"
            wt = windows[n][1]
            if free[n] == 0:
                who = f"Nobody {with_what}within reach" if skills else "Nobody within reach"
                reason = f"{who} is free {wt}."
            else:
                reason = (
                    f"Only {_plural(int(free[n]), 'volunteer')} {with_what}within reach "
                    f"{'is' if free[n] == 1 else 'are'} free {wt}; {d} needed."
                )
        elif k < d:
            code = "excluded"
            reason = (
                f"{int(free[n]) - k} of the {_plural(int(free[n]), 'suitable volunteer')} "
                f"{'is' if int(free[n]) - k == 1 else 'are'} excluded for this need; "
                f"{d} needed."
            )
        elif people[n] < d:
            code = "excluded"
            reason = (
                f"The {_plural(k, 'suitable volunteer')} {'is' if k == 1 else 'are'} "
                f"{int(people[n])} {'person' if people[n] == 1 else 'people'}, and a need's "
                f"volunteers must be "
                f"different people; {d} needed."
            )
        elif left[n] < d:
            code = "busy"
            suitable = int(people[n])
            blocked = suitable - int(left[n])
            parts = []
            for col, text in (
                (BUSY, "already committed at that time"),
                (LIMIT, "at their weekly limit"),
                (PAUSED, "paused"),
            ):
                if by_cause[n, col]:
                    parts.append(f"{int(by_cause[n, col])} {text}")
            reason = (
                f"{blocked} of the {_plural(suitable, 'suitable volunteer')} "
                f"{'is' if blocked == 1 else 'are'} not free then ({', '.join(parts)}); "
                f"{d} needed."
            )
            if n in first_free:
                reason += f" The first frees up on {first_free[n]}."
        else:
            code = "taken"
            others = int(left[n]) - int(filled[n])
            if others == 1:
                reason = "The only other suitable volunteer is already assigned to another need."
            else:
                reason = (
                    f"All {others} other suitable volunteers are already assigned to other needs."
                )
        out.append(Unmatched(inst.need_ids[n], int(open_slots[n]), reason, code))
    return out


def _certificate_text(bb: Any, certified: bool) -> str:
    """What the certificate proves, in one sentence."""
    if bb is None or not bb.binding:
        if certified:
            return "Optimal on the candidate graph: dual prices admit no improving pair."
        return "Not proven optimal: the dual prices found an improving pair."
    if bb.optimal:
        return (
            f"Optimal under the time rules: best-first branch and bound over {bb.nodes} "
            "min-cost flows, each an exact bound; no open branch can do better."
        )
    d = bb.to_dict()
    gap = (
        f"{d['gap_slots']} slots"
        if d["gap_slots"]
        else f"0 slots and {d['gap_score_units'] / SCORE_UNITS:g} score"
    )
    return (
        f"Not proven optimal: branch and bound stopped after {bb.nodes} flows; "
        f"the best possible is at most {gap} better."
    )


def solve(
    instance: Instance,
    certify: bool = False,
    *,
    max_nodes: int = 500,
    max_seconds: float | None = None,
) -> Result:
    """Propose the best assignment of volunteers to needs.

    Maximises the number of filled volunteer slots and, among assignments
    filling that many, the total score (see :mod:`matching._scoring` for the
    score). Each need gets at most ``volunteers_needed`` volunteers, all
    different people (volunteer records with the same ``person`` are one
    person), and each volunteer at most ``capacity`` needs. Deterministic.

    Parameters
    ----------
    instance : Instance
        From :func:`parse_instance` or :meth:`Instance.from_arrays`.
    certify : bool, optional
        Also prove the assignment optimal on every feasible pair,
        independently of the solver: dual prices under which no pair could
        improve it, the pairs never generated checked by their bound (see
        :mod:`matching._certify`). Adds ``stats["certified_optimal"]`` and
        ``stats["seconds"]["certificate"]``; it costs about as much as the
        rest of the solve, or more (see BENCHMARKS.md).
    max_nodes, max_seconds : optional
        Budget of the branch and bound that keeps the time rules when they
        bind (see :mod:`matching._time`): flows solved, and seconds (None: no
        time limit, which keeps the result deterministic). Past the budget the
        best assignment found that keeps every rule is returned, with the gap
        to the bound in ``stats["time_rules"]``.

    Returns
    -------
    Result
        ``matches`` (need, volunteer, score, distance_km, explanation),
        ``unmatched`` (need, open_slots, reason, reason_code), ``stats``;
        ``to_dict()`` gives the JSON the command line prints.

    Notes
    -----
    ``reason_code`` is the first filter that leaves fewer volunteers than the
    need asks for: ``no_skill``, ``out_of_reach``, ``no_time``, ``excluded``;
    ``busy`` when enough suitable volunteers exist but too few are free then
    (a commitment at that time, their weekly limit, a pause), with the first
    day one frees up when known; ``taken`` when enough suitable volunteers
    exist but the optimum uses them elsewhere. ``stats["seconds"]`` and
    ``stats["cpu_seconds"]`` (processor seconds of every thread) are the only
    parts that vary between runs. Without time facts and lazy rounds, the
    part of the reasons that does not depend on the assignment runs in a
    second thread while the assignment is solved: its processor seconds count
    in the assignment's, and the reasons' seconds are what is left after it.

    From ``LAZY_FROM`` needs x volunteers on, and without time facts, the
    pairs are generated lazily (:mod:`matching._lazy`): each need's best
    ``LAZY_PER_NEED`` first, more only for the needs whose dual price cannot
    rule the rest out. ``stats["candidate_pairs"]`` is then the pairs the
    assignment was chosen from, ``stats["pairs_generated"]`` all pairs
    generated over the ``stats["rounds"]``; the result is optimal on every
    feasible pair either way.

    With time facts (dates, ``busy``, ``week_limit``, ``paused_until``), pairs
    that break a time rule are dropped before the assignment, and the needs
    proposed to one person are clash-free and within their weekly limit;
    ``stats["time_rules"]`` says whether that bound the result, the nodes of
    the branch and bound, whether the result is proven optimal, and the gap.

    Examples
    --------
    >>> from matching import parse_instance, solve
    >>> inst = parse_instance({"needs": [], "volunteers": []})
    >>> solve(inst).to_dict()["matches"]
    []
    """
    return _solve(instance, certify, _per_need(instance), max_nodes, max_seconds)


def _per_need(inst: Instance) -> int | None:
    """Pairs per need in the first round of :func:`matching._lazy.assign` (None: all).

    With time facts every pair is generated: the time rules' branch and bound
    works on the full graph."""
    if inst.times is not None:
        return None
    return LAZY_PER_NEED if inst.n_needs * inst.n_volunteers >= LAZY_FROM else None


def _solve(
    instance: Instance,
    certify: bool,
    per_need: int | None,
    max_nodes: int = 500,
    max_seconds: float | None = None,
) -> Result:
    inst = instance
    t0, c0 = time.perf_counter(), time.process_time()
    person = inst.volunteer_person
    several = has_repeats(person)  # some person has several records
    status = free_from = None
    bb = None
    bound = np.zeros(inst.n_needs, dtype=np.int32)
    if inst.times is None:
        # the reasons' facts that do not depend on the assignment are found meanwhile
        cand, chosen, bound, info = assign(
            inst,
            SCORE_UNITS,
            per_need,
            person if several else None,
            alongside=partial(_facts, inst),
        )
        inst._cache.pop("scan_inputs", None)  # the index: not needed after the pairs
        inst._cache.pop("fair_entries", None)
        inst._cache.pop("cell_bounds", None)
        every = cand
    else:
        cand = every = candidates(inst)
        status, free_from = pair_status(inst, cand.need_index, cand.volunteer_index)
        keep = status == OK
        if not keep.all():  # (else the same pairs: no copies)
            cand = replace(
                cand,
                need_index=cand.need_index[keep],
                volunteer_index=cand.volunteer_index[keep],
                score_units=cand.score_units[keep],
                distance_km=cand.distance_km[keep],
            )
        t1, c1 = time.perf_counter(), time.process_time()
        chosen, bb = branch_and_bound(
            inst,
            cand.need_index,
            cand.volunteer_index,
            cand.score_units,
            SCORE_UNITS,
            person if several else None,
            max_nodes=max_nodes,
            max_seconds=max_seconds,
        )
        info = {
            "searches": 0,
            "rounds": 1,
            "pairs_generated": len(every),
            "seconds_candidates": t1 - t0,
            "seconds_assignment": time.perf_counter() - t1,
            "cpu_candidates": c1 - c0,
            "cpu_assignment": time.process_time() - c1,
        }
    t2 = time.perf_counter()
    ni = cand.need_index[chosen].astype(np.int64)
    vi = cand.volunteer_index[chosen].astype(np.int64)
    su = cand.score_units[chosen]
    order = np.lexsort((vi, -su.astype(np.int64), ni))
    ni, vi, su = ni[order], vi[order], su[order]
    dist = cand.distance_km[chosen][order].astype(np.float64)
    filled = np.bincount(ni, minlength=inst.n_needs)
    c2 = time.process_time()
    facts = info["alongside"].result() if "alongside" in info else None
    unmatched = _reasons(inst, every, filled, status, free_from, facts)
    t3 = time.perf_counter()
    cpu_reasons = time.process_time() - c2
    certified = None
    if certify and bb is not None and bb.binding:
        certified = bb.optimal  # proven by the branch and bound (see the certificate's text)
    elif certify:
        x = np.zeros(len(cand), dtype=bool)
        x[chosen] = True
        w = lexicographic_weight(
            cand.score_units, inst.volunteers_needed, inst.capacity, SCORE_UNITS
        )
        big = int(w[0] - cand.score_units[0]) if w.size else 0
        certified, _, _ = certify_assignment(
            cand.need_index,
            cand.volunteer_index,
            w,
            inst.volunteers_needed,
            inst.capacity,
            x,
            person=person if several else None,
            left_out=np.where(bound > 0, big + bound.astype(np.int64), 0),
        )
    t4 = time.perf_counter()
    total_units = int(su.astype(np.int64).sum())
    stats: dict[str, Any] = {
        "needs": inst.n_needs,
        "volunteers": inst.n_volunteers,
        "exclusions": int(inst.exclude_need.size),
        "candidate_pairs": len(cand),
        "slots_requested": int(inst.volunteers_needed.sum()),
        "filled_slots": int(ni.size),
        "needs_fully_matched": int(np.count_nonzero(filled >= inst.volunteers_needed)),
        "needs_unmatched": len(unmatched),
        "total_score": round(total_units / SCORE_UNITS, 4),
        "shortest_path_searches": info["searches"],
        "rounds": info["rounds"],
        "pairs_generated": info["pairs_generated"],
        "seconds": {
            "candidates": round(info["seconds_candidates"], 4),
            "assignment": round(info["seconds_assignment"], 4),
            "reasons": round(t3 - t2, 4),
        },
        "cpu_seconds": {
            "candidates": round(info["cpu_candidates"], 4),
            "assignment": round(info["cpu_assignment"], 4),
            "reasons": round(cpu_reasons, 4),
        },
    }
    if bb is not None:
        rules = bb.to_dict()
        rules["blocked_pairs"] = {
            "busy": int(np.count_nonzero(status == BUSY)),
            "over_limit": int(np.count_nonzero(status == LIMIT)),
            "paused": int(np.count_nonzero(status == PAUSED)),
        }
        stats["time_rules"] = rules
        stats["seconds"]["branch_and_bound"] = round(bb.seconds, 4)
    if certify:
        stats["certified_optimal"] = bool(certified)
        stats["seconds"]["certificate"] = round(t4 - t3, 4)
        stats["certificate"] = _certificate_text(bb, bool(certified))
    return Result(inst, ni, vi, su, dist, unmatched, stats)

"""Benchmark the time rules: dated needs, busy people, pauses and weekly limits.

Run from the repository root::

    python benchmarks/bench_clash.py --sizes 10kx10k --markdown
    python benchmarks/bench_clash.py --sizes 10kx10k --city London --markdown

Takes the instances of ``benchmarks/synth.py`` and adds time facts, seeded:
needs are one-offs on a day of the next four weeks (60 %) or weekly for 2-12
weeks; half the volunteers have one or two weekly commitments inside their
availability; 20 % limit their tasks a week (1-3), 10 % their hours (2-6);
5 % are paused for up to three weeks. Prints one JSON line per size: the
clash-free optimum on the same instance without time facts (the baseline,
timed in the same process), the pairs the time rules block, the flow bound
after them (``clash-free bound``), the result, the branch and bound's nodes,
its proven bound and the gap.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import make_instance  # noqa: E402

from matching import SCORE_UNITS, Instance, parse_instance, solve  # noqa: E402
from matching._instance import NO_PAUSE, TimeFacts  # noqa: E402

MONDAY = date(2026, 11, 30).toordinal()


def with_time_facts(inst: Instance, seed: int) -> Instance:
    """The instance with seeded dates, commitments, limits and pauses."""
    rng = np.random.default_rng(seed + 7919)
    n, m = inst.n_needs, inst.n_volunteers
    first_window = np.searchsorted(inst.window_need, np.arange(n))
    weekday = inst.window_start[first_window] // 1440
    one_off = rng.random(n) < 0.6
    day = MONDAY + weekday + 7 * rng.integers(0, 4, n)
    start = MONDAY + rng.integers(0, 28, n)
    need_first = np.where(one_off, day, start)
    need_last = np.where(one_off, day, start + 7 * rng.integers(2, 13, n) - 1)
    # commitments: a 1-2 hour window inside one of the volunteer's availability blocks
    owner, b_first, b_last, w_owner, w_start, w_end = [], [], [], [], [], []
    lo = np.searchsorted(inst.avail_volunteer, np.arange(m))
    hi = np.searchsorted(inst.avail_volunteer, np.arange(m) + 1)
    for v in np.flatnonzero(rng.random(m) < 0.5).tolist():
        if hi[v] == lo[v]:
            continue
        for _ in range(int(rng.integers(1, 3))):
            k = int(rng.integers(lo[v], hi[v]))
            s, e = int(inst.avail_start[k]), int(inst.avail_end[k])
            length = min(int(rng.choice([60, 90, 120])), e - s)
            at = s + 30 * int(rng.integers(0, (e - s - length) // 30 + 1))
            w_owner.append(len(owner))
            w_start.append(at)
            w_end.append(at + length)
            owner.append(v)
            b_first.append(MONDAY - int(rng.integers(0, 60)))
            b_last.append(MONDAY + int(rng.integers(7, 120)))
    r = rng.random(m)
    tasks = np.where(r < 0.2, rng.integers(1, 4, m), 0)
    hours = np.where((r >= 0.2) & (r < 0.3), rng.choice([2.0, 3.0, 4.5, 6.0], m), np.inf)
    pause = np.where(rng.random(m) < 0.05, MONDAY + rng.integers(0, 21, m), NO_PAUSE)
    times = TimeFacts(
        need_first=need_first.astype(np.int64),
        need_last=need_last.astype(np.int64),
        busy_ref=tuple(f"c{i}" for i in range(len(owner))),
        busy_volunteer=np.array(owner, dtype=np.int64),
        busy_first=np.array(b_first, dtype=np.int64),
        busy_last=np.array(b_last, dtype=np.int64),
        busy_window_owner=np.array(w_owner, dtype=np.int64),
        busy_window_start=np.array(w_start, dtype=np.int64),
        busy_window_end=np.array(w_end, dtype=np.int64),
        week_tasks=tasks.astype(np.int64),
        week_hours=hours.astype(np.float64),
        paused_until=pause.astype(np.int64),
    )
    times.check(n, m)
    return dataclasses.replace(inst, times=times, _cache={})


def parse_size(text: str) -> tuple[int, int]:
    def num(s: str) -> int:
        s = s.lower()
        mult = 1_000_000 if s.endswith("m") else 1_000 if s.endswith("k") else 1
        return int(float(s.rstrip("mk")) * mult)

    a, b = text.split("x")
    return num(a), num(b)


def run_one(size: str, seed: int, max_nodes: int, city: str | None) -> dict:
    n, m = parse_size(size)
    # load the compiled code once, as a long-running process would
    solve(parse_instance({"needs": [], "volunteers": []}))
    kw = {"city": city, "radius_km": 8.0, "max_km_range": (2.0, 10.0)} if city else {}
    base = make_instance(n, m, seed, **kw)
    timed = with_time_facts(base, seed)
    solve(with_time_facts(make_instance(20, 20, seed), seed))  # compile the time kernels
    t0 = time.perf_counter()
    free = solve(base)
    t1 = time.perf_counter()
    res = solve(timed, max_nodes=max_nodes)
    t2 = time.perf_counter()
    rules = res.stats["time_rules"]
    load = os.getloadavg()
    return {
        "size": size if not city else f"{city} group: {size}",
        "seed": seed,
        "max_nodes": max_nodes,
        "busy_commitments": len(timed.times.busy_ref) if timed.times else 0,
        "candidate_pairs": free.stats["candidate_pairs"],
        "blocked_pairs": rules["blocked_pairs"],
        "no_time_facts": {
            "filled_slots": free.stats["filled_slots"],
            "total_score": free.stats["total_score"],
            "seconds": round(t1 - t0, 3),
        },
        "clash_free_bound": {
            "filled_slots": rules["clash_free_bound"]["filled_slots"],
            "total_score": rules["clash_free_bound"]["score_units"] / SCORE_UNITS,
        },
        "result": {
            "filled_slots": res.stats["filled_slots"],
            "total_score": res.stats["total_score"],
            "seconds": round(t2 - t1, 3),
            "seconds_branch_and_bound": res.stats["seconds"].get("branch_and_bound"),
        },
        "binding": rules["binding"],
        "nodes": rules["nodes"],
        "optimal": rules["optimal"],
        "bound": {
            "filled_slots": rules["bound"]["filled_slots"],
            "total_score": rules["bound"]["score_units"] / SCORE_UNITS,
        },
        "gap_slots": rules["gap_slots"],
        "gap_to_clash_free_bound_slots": rules["clash_free_bound"]["filled_slots"]
        - res.stats["filled_slots"],
        "load_average": [round(x, 2) for x in load],
    }


def markdown(rows: list[dict]) -> str:
    head = (
        "| needs x volunteers | candidate pairs | pairs blocked (busy / limit / paused) "
        "| no time facts: filled, score (s) | clash-free bound: filled, score "
        "| result: filled, score (s) | nodes | proven optimal | bound: filled, score "
        "| gap to the clash-free bound | load average |"
    )
    out = [head, "|" + "---|" * 11]
    for r in rows:
        b = r["blocked_pairs"]
        nt, cf, res, bd = r["no_time_facts"], r["clash_free_bound"], r["result"], r["bound"]
        gap_slots = r["gap_to_clash_free_bound_slots"]
        gap_score = round(cf["total_score"] - res["total_score"], 4)
        out.append(
            f"| {r['size']} | {r['candidate_pairs']:,} | {b['busy']:,} / {b['over_limit']:,} / "
            f"{b['paused']:,} | {nt['filled_slots']:,}, {nt['total_score']:,} ({nt['seconds']}) "
            f"| {cf['filled_slots']:,}, {cf['total_score']:,} "
            f"| {res['filled_slots']:,}, {res['total_score']:,} ({res['seconds']}) "
            f"| {r['nodes']:,} | {r['optimal']} | {bd['filled_slots']:,}, {bd['total_score']:,} "
            f"| {gap_slots} slots, {gap_score:,} score "
            f"| {', '.join(str(x) for x in r['load_average'])} |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10kx10k")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-nodes", type=int, default=500)
    ap.add_argument("--city", help="everyone within 8 km of this city's centre, e.g. London")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    rows = []
    for size in args.sizes.split(","):
        row = run_one(size, args.seed, args.max_nodes, args.city)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.markdown:
        print()
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

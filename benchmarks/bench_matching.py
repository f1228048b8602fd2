"""Benchmark the matching engine on synthetic instances, with baselines.

Run from the repository root::

    python benchmarks/bench_matching.py --sizes 1kx1k,10kx10k,100kx100k,200kx1M

Each size runs in its own subprocess (so peak memory is per size) and prints
one JSON line; ``--markdown`` prints a table for BENCHMARKS.md. On the same
candidate graph, in the same process, it times our assignment stage again and
OR-Tools' min-cost flow two ways: ``SimpleMinCostFlow.solve`` with costs
``-(BIG + score)`` (the lexicographic objective in one cost) and
``solve_max_flow_with_min_cost`` with score-only costs ``-score`` (the maximum
flow fills the most slots); it prints how many times faster ours is than each
(wall and CPU seconds), and checks that all three reach the same (filled
slots, total score). Also: a greedy baseline (best pair first), networkx
``max_weight_matching`` (small sizes) and scipy ``linear_sum_assignment`` on a
dense matrix (sizes that fit). Needs the ``bench`` extra: ortools, networkx.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DENSE_LIMIT = 150_000_000  # matrix entries for linear_sum_assignment
NETWORKX_LIMIT = 20_000  # candidate pairs for networkx


def parse_size(text: str) -> tuple[int, int]:
    def num(s: str) -> int:
        s = s.strip().lower()
        mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
        return int(float(s[:-1] if s[-1] in "km" else s) * mult)

    a, b = text.lower().split("x")
    return num(a), num(b)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def objective(ni, vi, su, chosen, demand, capacity) -> tuple[int, int]:
    """(filled slots, total score units) of chosen pairs, after checking feasibility."""
    chosen = np.asarray(chosen, dtype=np.int64)
    assert np.unique(chosen).size == chosen.size
    assert np.all(np.bincount(ni[chosen], minlength=demand.size) <= demand)
    assert np.all(np.bincount(vi[chosen], minlength=capacity.size) <= capacity)
    return int(chosen.size), int(su[chosen].astype(np.int64).sum())


def greedy(ni, vi, su, demand, capacity):
    """Best pair first."""
    order = np.lexsort((vi, ni, -su.astype(np.int64)))
    left_n = demand.copy()
    left_v = capacity.copy()
    out = []
    for p, a, b in zip(order.tolist(), ni[order].tolist(), vi[order].tolist()):
        if left_n[a] > 0 and left_v[b] > 0:
            left_n[a] -= 1
            left_v[b] -= 1
            out.append(p)
    return out


def _ortools_pairs(ni, vi, demand, capacity, pair_cost, max_flow):
    """The pairs carrying flow in OR-Tools' network source -> needs -> volunteers -> sink.

    ``max_flow``: the maximum flow of minimum cost (``solve_max_flow_with_min_cost``); else a
    minimum-cost flow of every slot (``solve``), the unfilled ones on a free source -> sink arc.
    """
    from ortools.graph.python import min_cost_flow

    n, m = demand.size, capacity.size
    f = min_cost_flow.SimpleMinCostFlow()
    src, snk = n + m, n + m + 1
    total = int(demand.sum())
    tails = [np.full(n, src), ni, n + np.arange(m)]
    heads = [np.arange(n), n + vi.astype(np.int64), np.full(m, snk)]
    caps = [demand, np.ones(ni.size, np.int64), capacity]
    costs = [np.zeros(n, np.int64), pair_cost, np.zeros(m, np.int64)]
    if not max_flow:
        tails.append([src])
        heads.append([snk])
        caps.append([total])
        costs.append([0])
    f.add_arcs_with_capacity_and_unit_cost(
        *(np.concatenate(parts).astype(np.int64) for parts in (tails, heads, caps, costs))
    )
    f.set_node_supply(src, total)
    f.set_node_supply(snk, -total)
    status = f.solve_max_flow_with_min_cost() if max_flow else f.solve()
    assert status == f.OPTIMAL, status
    flows = f.flows(np.arange(n, n + ni.size))
    return np.flatnonzero(flows > 0)


def ortools_flow(ni, vi, su, demand, capacity, q):
    """OR-Tools' minimum-cost flow with the lexicographic weights: every slot routed."""
    from matching._certify import lexicographic_weight

    pair_cost = -lexicographic_weight(su, demand, capacity, q)
    return _ortools_pairs(ni, vi, demand, capacity, pair_cost, max_flow=False)


def ortools_max_flow_min_cost(ni, vi, su, demand, capacity, q):
    """OR-Tools' maximum flow of minimum cost with score-only costs: the same optimum."""
    pair_cost = -np.asarray(su, dtype=np.int64)
    return _ortools_pairs(ni, vi, demand, capacity, pair_cost, max_flow=True)


def ours(ni, vi, su, demand, capacity, q):
    from matching._assign import b_matching

    return b_matching(ni, vi, su, demand, capacity, q)[0]


def gadget_edges(ni, vi, su, demand, capacity):
    """Slot rows/columns for assignment baselines (a pair used at most once via a gadget)."""
    deg_n = np.bincount(ni, minlength=demand.size)
    deg_v = np.bincount(vi, minlength=capacity.size)
    d = np.minimum(demand, deg_n)
    c = np.minimum(capacity, deg_v)
    ns = np.r_[0, np.cumsum(d)]
    vs = np.r_[0, np.cumsum(c)]
    NS, VS = int(ns[-1]), int(vs[-1])
    edges = []  # (row, col, pair or -1)
    G = 0
    for p, (a, b) in enumerate(zip(ni.tolist(), vi.tolist())):
        if d[a] == 1 or c[b] == 1:
            for i in range(d[a]):
                for j in range(c[b]):
                    edges.append((ns[a] + i, vs[b] + j, p))
        else:
            g = G
            G += 1
            for i in range(d[a]):
                edges.append((ns[a] + i, ("g", g), p))
            edges.append((("r", g), ("g", g), -1))
            for j in range(c[b]):
                edges.append((("r", g), vs[b] + j, -1))
    return NS, VS, G, edges


def lsa_dense(ni, vi, su, demand, capacity, q):
    from scipy.optimize import linear_sum_assignment

    ns = int(np.minimum(demand, np.bincount(ni, minlength=demand.size)).sum())
    vs = int(np.minimum(capacity, np.bincount(vi, minlength=capacity.size)).sum())
    if ns * (vs + ns) > DENSE_LIMIT:  # a lower bound of the matrix size: do not build it
        return None
    NS, VS, G, edges = gadget_edges(ni, vi, su, demand, capacity)
    R, C = NS + G, VS + G + NS
    if R * C > DENSE_LIMIT:
        return None
    big = (min(NS, VS) + 1) * q
    c0 = big + q + 1
    cost = np.full((R, C), np.inf)
    cost[np.arange(NS), VS + G + np.arange(NS)] = c0
    pair_at = {}
    for r, col, p in edges:
        rr = NS + r[1] if isinstance(r, tuple) else r
        cc = VS + col[1] if isinstance(col, tuple) else col
        cost[rr, cc] = c0 - big - int(su[p]) if p >= 0 else c0
        if p >= 0:
            pair_at[(rr, cc)] = p
    rows, cols = linear_sum_assignment(cost)
    del cost
    out = [pair_at[(r, c)] for r, c in zip(rows.tolist(), cols.tolist()) if (r, c) in pair_at]
    return out


def networkx_matching(ni, vi, su, demand, capacity, q):
    import networkx as nx

    if ni.size > NETWORKX_LIMIT:
        return None
    NS, VS, _, edges = gadget_edges(ni, vi, su, demand, capacity)
    big = (min(NS, VS) + 1) * q
    g = nx.Graph()
    for r, col, p in edges:
        u = ("gr", r[1]) if isinstance(r, tuple) else ("n", r)
        v = ("gc", col[1]) if isinstance(col, tuple) else ("v", col)
        # gadget rows must always be matched, so their edges outweigh any pair
        g.add_edge(u, v, weight=(big + int(su[p])) if p >= 0 else 2 * (big + q), pair=p)
    mate = nx.max_weight_matching(g, maxcardinality=False)
    return [g.edges[u, v]["pair"] for u, v in mate if g.edges[u, v]["pair"] >= 0]


def run_one(
    n: int,
    m: int,
    seed: int,
    baselines: bool,
    candidates_only: bool = False,
    city: dict | None = None,
) -> dict:
    from synth import make_instance

    from matching import SCORE_UNITS, solve
    from matching._candidates import candidates

    rec: dict = {"needs": n, "volunteers": m, "seed": seed}
    if city:
        rec["city"] = city
    t = time.perf_counter()
    inst = make_instance(n, m, seed=seed, **(city or {}))
    rec["generate_s"] = round(time.perf_counter() - t, 2)
    rss0 = maxrss_mb()
    if candidates_only:
        return run_candidates_only(rec, inst, baselines)
    # the first solve in a process loads the compiled code from numba's cache (once per
    # process, as in the web app's long-running processes): timed apart, on a tiny instance
    t = time.perf_counter()
    solve(make_instance(20, 20, seed=seed), certify=True)
    rec["first_solve_in_process_s"] = round(time.perf_counter() - t, 3)
    rec["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    t, c = time.perf_counter(), time.process_time()
    res = solve(inst)
    # end to end as the app runs it (the certificate, run below, is reported on its own)
    rec["end_to_end_s"] = round(time.perf_counter() - t, 2)
    rec["end_to_end_cpu_s"] = round(time.process_time() - c, 2)
    st = res.stats
    rec["peak_rss_mb_solve"] = round(maxrss_mb(), 1)
    del res
    inst._cache.clear()
    cert = solve(inst, certify=True).stats
    rec["certificate_s"] = cert["seconds"]["certificate"]
    rec["certified_optimal"] = cert["certified_optimal"]
    assert (cert["filled_slots"], cert["total_score"]) == (st["filled_slots"], st["total_score"])
    rec["cpu_seconds"] = st["cpu_seconds"]
    rec.update(
        rounds=st["rounds"],
        pairs_generated=st["pairs_generated"],
        candidates_s=st["seconds"]["candidates"],
        assignment_s=st["seconds"]["assignment"],
        reasons_s=st["seconds"]["reasons"],
        candidate_pairs=st["candidate_pairs"],
        filled_slots=st["filled_slots"],
        slots_requested=st["slots_requested"],
        total_score=st["total_score"],
        shortest_path_searches=st["shortest_path_searches"],
    )
    rec["peak_rss_mb"] = round(maxrss_mb(), 1)
    rec["rss_before_solve_mb"] = round(rss0, 1)
    if not baselines:
        rec["load_average"] = [round(x, 2) for x in os.getloadavg()]
        return rec
    c = candidates(inst)
    ni = c.need_index.astype(np.int64)
    vi = c.volunteer_index.astype(np.int64)
    su = c.score_units
    dem, cap = inst.volunteers_needed, inst.capacity
    ours_best = (st["filled_slots"], round(st["total_score"] * SCORE_UNITS))
    base: dict = {}
    for name, fn in (
        ("ours_assignment", lambda: ours(ni, vi, su, dem, cap, SCORE_UNITS)),
        ("ortools_min_cost_flow", lambda: ortools_flow(ni, vi, su, dem, cap, SCORE_UNITS)),
        (
            "ortools_max_flow_min_cost",
            lambda: ortools_max_flow_min_cost(ni, vi, su, dem, cap, SCORE_UNITS),
        ),
        ("greedy", lambda: greedy(ni, vi, su, dem, cap)),
        ("scipy_lsa_dense", lambda: lsa_dense(ni, vi, su, dem, cap, SCORE_UNITS)),
        (
            "networkx_max_weight_matching",
            lambda: networkx_matching(ni, vi, su, dem, cap, SCORE_UNITS),
        ),
    ):
        try:
            t, c = time.perf_counter(), time.process_time()
            chosen = fn()
            secs, cpu = time.perf_counter() - t, time.process_time() - c
        except ImportError as exc:
            base[name] = {"skipped": f"not installed ({exc.name})"}
            continue
        if chosen is None:
            base[name] = {"skipped": "too large"}
            continue
        filled, units = objective(ni, vi, su, chosen, dem, cap)
        base[name] = {
            "seconds": round(secs, 4),
            "cpu_seconds": round(cpu, 4),
            "filled_slots": filled,
            "total_score": units / SCORE_UNITS,
            "equals_ours": (filled, units) == ours_best,
        }
    mine = base["ours_assignment"]
    for name in ("ortools_min_cost_flow", "ortools_max_flow_min_cost"):
        other = base.get(name, {})
        if "seconds" in other:
            rec[f"{name}_over_ours"] = round(other["seconds"] / max(mine["seconds"], 1e-9), 1)
            rec[f"{name}_over_ours_cpu"] = round(
                other["cpu_seconds"] / max(mine["cpu_seconds"], 1e-9), 1
            )
    rec["baselines"] = base
    rec["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return rec


def run_candidates_only(rec: dict, inst, baselines: bool) -> dict:
    """Our candidate stage, then greedy and OR-Tools on its graph (our assignment not run)."""
    from matching import SCORE_UNITS
    from matching._candidates import candidates

    t = time.perf_counter()
    c = candidates(inst)
    rec["candidates_s"] = round(time.perf_counter() - t, 2)
    rec["candidate_pairs"] = len(c)
    rec["slots_requested"] = int(inst.volunteers_needed.sum())
    rec["peak_rss_mb_candidates"] = round(maxrss_mb(), 1)
    if not baselines:
        return rec
    ni = c.need_index.astype(np.int64)
    vi = c.volunteer_index.astype(np.int64)
    su = c.score_units
    dem, cap = inst.volunteers_needed, inst.capacity
    base = {}
    for name, fn in (
        ("greedy", lambda: greedy(ni, vi, su, dem, cap)),
        ("ortools_min_cost_flow", lambda: ortools_flow(ni, vi, su, dem, cap, SCORE_UNITS)),
    ):
        t = time.perf_counter()
        chosen = fn()
        secs = time.perf_counter() - t
        filled, units = objective(ni, vi, su, chosen, dem, cap)
        base[name] = {
            "seconds": round(secs, 2),
            "filled_slots": filled,
            "total_score": units / SCORE_UNITS,
        }
    rec["baselines"] = base
    return rec


def markdown(rows: list[dict]) -> str:
    out = [
        "| needs x volunteers | candidate pairs (rounds) | candidates s | assignment s "
        "| end to end s (CPU) | CPU s per million pairs generated | peak RSS MB "
        "| filled / requested slots "
        "| total score | certified optimal (s) "
        "| ours again s (CPU) | SimpleMinCostFlow s (CPU) | ratio (CPU) "
        "| max flow min cost s (CPU) | ratio (CPU) | same optimum | greedy slots (short) "
        "| load average before, after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def secs(b: dict, name: str) -> str:
        x = b.get(name, {})
        if "seconds" not in x:
            return x.get("skipped", "-")
        return f"{x['seconds']} ({x['cpu_seconds']})"

    def ratio(r: dict, name: str) -> str:
        if f"{name}_over_ours" not in r:
            return "-"
        return f"{r[f'{name}_over_ours']} x ({r[f'{name}_over_ours_cpu']} x)"

    for r in rows:
        b = r.get("baselines", {})
        g = b.get("greedy", {})
        same = all(
            b.get(k, {}).get("equals_ours", False)
            for k in ("ours_assignment", "ortools_min_cost_flow", "ortools_max_flow_min_cost")
        )
        short = "-"
        if "filled_slots" in g:
            fewer = 100 * (r["filled_slots"] - g["filled_slots"]) / max(r["filled_slots"], 1)
            short = f"{g['filled_slots']:,} ({fewer:.2f} % fewer)"
        size = f"{r['needs']:,} x {r['volunteers']:,}"
        if r.get("city"):
            size = f"{r['city']['city']} group: {size}"
        load = ", ".join(f"{x:.2f}" for x in r.get("load_average_before", [])[:1])
        load += " / " + ", ".join(f"{x:.2f}" for x in r.get("load_average", [])[:1])
        pairs = f"{r['candidate_pairs']:,}"
        if r.get("rounds", 1) > 1 or r.get("pairs_generated", 0) != r["candidate_pairs"]:
            pairs += f" of {r['pairs_generated']:,} generated ({r['rounds']})"
        per_million = r["end_to_end_cpu_s"] / max(r["pairs_generated"], 1) * 1e6
        out.append(
            f"| {size} | {pairs} | {r['candidates_s']} | {r['assignment_s']} "
            f"| {r['end_to_end_s']} ({r['end_to_end_cpu_s']}) | {per_million:.2f} "
            f"| {r['peak_rss_mb_solve']:,.0f} "
            f"| {r['filled_slots']:,} / {r['slots_requested']:,} | {r['total_score']:,} "
            f"| {r.get('certified_optimal', '-')} ({r.get('certificate_s', '-')}) "
            f"| {secs(b, 'ours_assignment')} | {secs(b, 'ortools_min_cost_flow')} "
            f"| {ratio(r, 'ortools_min_cost_flow')} | {secs(b, 'ortools_max_flow_min_cost')} "
            f"| {ratio(r, 'ortools_max_flow_min_cost')} | {same if b else '-'} | {short} "
            f"| {load} |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1kx1k,10kx10k,100kx100k,200kx1M")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print a table after the JSON lines")
    ap.add_argument(
        "--candidates-only",
        action="store_true",
        help="run our candidate stage and the greedy / OR-Tools baselines only",
    )
    ap.add_argument(
        "--city",
        help="everyone within --radius-km of this city's centre "
        "(one group of the web app), e.g. London",
    )
    ap.add_argument("--radius-km", type=float, default=8.0)
    ap.add_argument("--max-km", default="2,10", help="volunteers' max_km range with --city")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    city = None
    if args.city:
        lo, hi = (float(x) for x in args.max_km.split(","))
        city = {"city": args.city, "radius_km": args.radius_km, "max_km_range": (lo, hi)}
    if args.one:
        n, m = parse_size(args.one)
        print(
            json.dumps(run_one(n, m, args.seed, not args.no_baselines, args.candidates_only, city)),
            flush=True,
        )
        return 0
    rows = []
    for size in args.sizes.split(","):
        cmd = [sys.executable, __file__, "--one", size, "--seed", str(args.seed)]
        if args.no_baselines:
            cmd.append("--no-baselines")
        if args.candidates_only:
            cmd.append("--candidates-only")
        if args.city:
            cmd += [
                "--city",
                args.city,
                "--radius-km",
                str(args.radius_km),
                "--max-km",
                args.max_km,
            ]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
        if proc.returncode != 0:
            print(
                json.dumps({"size": size, "error": proc.stderr.strip().splitlines()[-1:]}),
                flush=True,
            )
            continue
        line = proc.stdout.strip().splitlines()[-1]
        print(line, flush=True)
        rows.append(json.loads(line))
    if args.markdown and rows and not args.candidates_only:
        print()
        print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

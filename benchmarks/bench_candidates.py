"""Benchmark the candidate stage alone: pairs, seconds, peak memory per size.

Run from the repository root::

    python benchmarks/bench_candidates.py --sizes 10kx10k,London,100kx100k,200kx1M
    python benchmarks/bench_candidates.py --sizes 10kx10k --reference OTHER_CANDIDATES.py
    python benchmarks/bench_candidates.py --sizes 200kx1M --per-need 8

Each size runs in its own subprocess (so peak memory is per size) and prints
one JSON line: candidate pairs, seconds of ``candidates()``, the process's
peak resident memory before and after it, seconds per million pairs, and
``first_call_s``, the first ``candidates()`` call of the process on a tiny
instance (compiling the kernels, or loading them from numba's cache).
``London`` is the web-app group of ``bench_matching.py --city London``
(10k needs and 10k volunteers within 8 km, ``max_km`` 2-10). With
``--reference``, the same sizes also run another implementation of the stage
(a ``_candidates.py`` file, e.g. an earlier version, whose relative imports
are resolved against ``matching``) and each line gets its ``ratio``. With
``--per-need K``, ``best_candidates(instance, K)`` runs instead: each need's
best K pairs and a bound on the rest.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(path: str | None) -> ModuleType:
    if path is None:
        from matching import _candidates

        return _candidates
    source = Path(path).read_text(encoding="utf-8").replace("from ._", "from matching._")
    spec = importlib.util.spec_from_loader("reference_candidates", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    exec(compile(source, path, "exec"), mod.__dict__)
    return mod


def run_one(size: str, seed: int, reference: str | None, per_need: int | None = None) -> dict:
    from bench_matching import parse_size
    from synth import make_instance

    mod = _load(reference)
    t = time.perf_counter()
    mod.candidates(make_instance(20, 20, seed=seed + 1))
    first = time.perf_counter() - t
    if size.lower() == "london":
        inst = make_instance(
            10_000, 10_000, seed=seed, city="London", radius_km=8.0, max_km_range=(2.0, 10.0)
        )
    else:
        inst = make_instance(*parse_size(size), seed=seed)
    before = _maxrss_mb()
    t = time.perf_counter()
    c = mod.candidates(inst) if per_need is None else mod.best_candidates(inst, per_need)[0]
    secs = time.perf_counter() - t
    pairs = len(c)
    return {
        "size": size,
        "implementation": "reference" if reference else "matching",
        "per_need": per_need,
        "pairs": pairs,
        "seconds": round(secs, 2),
        "s_per_million_pairs": round(secs / max(pairs, 1) * 1e6, 3),
        "rss_before_mb": round(before),
        "peak_rss_mb": round(_maxrss_mb()),
        "first_call_s": round(first, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10kx10k,London,100kx100k,200kx1M")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reference", help="another _candidates.py to run on the same sizes")
    ap.add_argument("--per-need", type=int, help="run best_candidates with this many per need")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--use-reference", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        ref = args.reference if args.use_reference else None
        print(json.dumps(run_one(args.one, args.seed, ref, args.per_need)), flush=True)
        return 0
    for size in args.sizes.split(","):
        rows = {}
        for use_ref in (False, True) if args.reference else (False,):
            cmd = [sys.executable, __file__, "--one", size, "--seed", str(args.seed)]
            if args.per_need is not None:
                cmd += ["--per-need", str(args.per_need)]
            if use_ref:
                cmd += ["--reference", args.reference, "--use-reference"]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
            if proc.returncode != 0:
                err = proc.stderr.strip().splitlines()[-1:]
                print(json.dumps({"size": size, "reference": use_ref, "error": err}), flush=True)
                continue
            rows[use_ref] = json.loads(proc.stdout.strip().splitlines()[-1])
        if False in rows and True in rows:
            ours, ref = rows[False], rows[True]
            ours["same_pair_count"] = ours["pairs"] == ref["pairs"]
            ours["ratio_seconds"] = round(ref["seconds"] / max(ours["seconds"], 1e-9), 2)
            ours["ratio_peak_rss"] = round(ref["peak_rss_mb"] / max(ours["peak_rss_mb"], 1), 2)
        for row in rows.values():
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

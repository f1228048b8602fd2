"""The least time scipy's LAPJVsp can take on a rectangular component of a given shape.

Run from the repository root::

    python benchmarks/bench_lapjvsp_floor.py --shapes 13855x21198,121911x196993

Each shape is solved on the easiest possible graph: row ``i`` has one edge, to
column ``i``, so every augmenting path has length one. scipy skips its
initialisation on rectangular input and clears two arrays over all columns for
every row it augments, so even this graph costs rows x columns. The default
shapes are the largest Dulmage-Mendelsohn parts of the London group (one city
component) and of the 100k x 100k benchmark (the country glued into one
component by the remote needs), as reported in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from bench_matching import parse_size
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def floor_seconds(rows: int, cols: int, repeat: int = 1) -> float:
    """Best of ``repeat`` runs of LAPJVsp on a rows x cols graph with one edge per row."""
    a = csr_array((np.ones(rows), (np.arange(rows), np.arange(rows))), shape=(rows, cols))
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        _, col = min_weight_full_bipartite_matching(a)
        best = min(best, time.perf_counter() - t)
        assert np.array_equal(col, np.arange(rows))
    return best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--shapes",
        default="13855x21198,121911x196993",
        help="comma-separated ROWSxCOLS, e.g. 122kx197k (rows <= cols)",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per shape; the best is kept")
    args = p.parse_args()
    for shape in args.shapes.split(","):
        try:
            r, c = parse_size(shape)
        except ValueError:
            p.error(f"{shape}: expected ROWSxCOLS")
        if r > c:
            p.error(f"{shape}: rows must not exceed columns")
        secs = floor_seconds(r, c, args.repeat)
        print(
            json.dumps(
                {
                    "rows": r,
                    "cols": c,
                    "seconds": round(secs, 2),
                    "ns_per_row_x_col": round(secs / (r * c) * 1e9, 3),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

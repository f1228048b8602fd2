"""What numba's compilation costs the engine: the first solve with an empty cache, then warm.

Run from the repository root::

    python benchmarks/bench_compile.py --repeat 2

Each repeat makes an empty cache folder (``NUMBA_CACHE_DIR``) and solves a one-pair instance in
two fresh processes: the first compiles the engine's core and writes the cache, the second loads
it. Prints one JSON line per process with the import time and the first solve's time, and the
load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, time
t0 = time.perf_counter()
from matching import parse_instance, solve
t1 = time.perf_counter()
window = [{"weekday": 0, "start": "09:00", "end": "10:00"}]
inst = parse_instance({
    "needs": [{"id": "n1", "lat": 51.5, "lon": -0.1, "skills": [], "windows": window,
               "volunteers_needed": 1, "urgency": 0.5, "remote_ok": False}],
    "volunteers": [{"id": "v1", "lat": 51.5, "lon": -0.1, "skills": [], "max_km": 3,
                    "capacity": 1, "availability": window}],
})
t2 = time.perf_counter()
filled = solve(inst).stats["filled_slots"]
t3 = time.perf_counter()
print(json.dumps({"import_s": round(t1 - t0, 2), "first_solve_s": round(t3 - t2, 2),
                  "filled_slots": filled}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
            for cache_state in ("empty", "warm"):
                load = [round(x, 2) for x in os.getloadavg()]
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD],
                    env=env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                rec = {"cache": cache_state, **json.loads(out), "load_average": load}
                print(json.dumps(rec), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

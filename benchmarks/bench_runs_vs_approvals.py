"""Matching runs racing approvals on a served app: runs a minute, approval latency, failures.

Loads one group (``bench_run.populate``) into a freshly migrated PostgreSQL database, gives it a
coordinator, serves the app with gunicorn (``--workers`` x ``--threads``, runs processed by the
embedded thread executor) and repeats ``--rounds`` times: start a run through the API and, at
the same moment, approve ``--approvals`` of the current proposals on as many threads; then poll
the run until it is over. Prints runs a minute (wall time of the whole loop), the p50 and p99
latency of the approvals, every answer's status, and the runs that did not succeed.

    python benchmarks/bench_runs_vs_approvals.py --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_bench

The test suite runs the same race with fewer rounds (tests/workflow/concurrency).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_needs_list import PASSWORD, _seed, served, served_arguments  # noqa: E402


def _call(port: int, method: str, path: str, token: str, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return resp.status, (json.loads(raw) if raw else None), elapsed


def main() -> None:
    parser = served_arguments(__doc__, needs=3_000, offers=3_000)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--approvals", type=int, default=20)
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(HERE.parent))  # load and serve this checkout
    from mutualaid.config import database_url

    url = database_url()
    _seed(url, args.needs, args.offers)
    engine = sa.create_engine(url)
    with served(HERE.parent, args.workers, args.threads, MUTUALAID_RUN_EXECUTOR="thread") as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request(
            "POST",
            "/api/v1/auth/token",
            body=json.dumps({"email": "coordinator@example.org", "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
        )
        token = json.loads(conn.getresponse().read())["token"]
        slug = "bench-london"
        statuses: Counter[int] = Counter()
        run_statuses: Counter[str] = Counter()
        approval_s: list[float] = []
        run_s: list[float] = []
        failures: list[str] = []
        load_before = os.getloadavg()
        t_start = time.perf_counter()
        for _ in range(args.rounds):
            with engine.connect() as db:
                proposed = list(
                    db.scalars(
                        sa.text(
                            "SELECT id FROM matches WHERE status = 'proposed' "
                            "ORDER BY random() LIMIT :n"
                        ),
                        {"n": args.approvals},
                    )
                )
            results: list = [None] * (len(proposed) + 1)
            barrier = threading.Barrier(len(results))

            def act(i: int, proposed=proposed, results=results, barrier=barrier) -> None:
                barrier.wait()
                if i == 0:
                    results[0] = _call(port, "POST", f"/api/v1/groups/{slug}/matching-runs", token)
                else:
                    results[i] = _call(
                        port, "POST", f"/api/v1/matches/{proposed[i - 1]}/approve", token
                    )

            threads = [threading.Thread(target=act, args=(i,)) for i in range(len(results))]
            t_round = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            status, run, _ = results[0]
            statuses[status] += 1
            for s, _, elapsed in results[1:]:
                statuses[s] += 1
                approval_s.append(elapsed)
            if status != 202:
                failures.append(f"start: {status} {run}")
                continue
            while True:
                s, run, _ = _call(port, "GET", f"/api/v1/matching-runs/{run['id']}", token)
                if run["status"] not in ("queued", "running"):
                    break
                time.sleep(0.05)
            run_s.append(time.perf_counter() - t_round)
            run_statuses[run["status"]] += 1
            if run["status"] != "succeeded":
                failures.append(f"run {run['id']}: {run['status']} {run['error']}")
        wall = time.perf_counter() - t_start
        load_after = os.getloadavg()
        approval_s.sort()
        run_s.sort()

        def pct(values: list[float], p: float) -> float:
            if not values:
                return float("nan")
            return values[min(len(values) - 1, int(p * len(values)))] * 1000

        print(
            f"group of {args.needs} needs x {args.offers} offers; {args.rounds} runs, "
            f"{args.approvals} concurrent approvals each; {args.workers} workers x "
            f"{args.threads} threads; {os.cpu_count()} cores"
        )
        print(
            f"{args.rounds / (wall / 60):.1f} runs a minute ({wall:.1f} s); a run from start to "
            f"finish p50 {pct(run_s, 0.5):.0f} ms, p99 {pct(run_s, 0.99):.0f} ms"
        )
        print(
            f"approvals: {len(approval_s)}, p50 {pct(approval_s, 0.5):.0f} ms, "
            f"p99 {pct(approval_s, 0.99):.0f} ms"
        )
        print(f"answers: {dict(sorted(statuses.items()))}; runs: {dict(run_statuses)}")
        print(f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
        for failure in failures:
            print("FAILED", failure)
    engine.dispose()


if __name__ == "__main__":
    main()

"""The coordinator's needs list under concurrent clients: requests a second, p50 and p99.

Loads one group of ``--needs`` needs and ``--offers`` offers (``bench_run.populate``) into a
freshly migrated PostgreSQL database, gives it a coordinator, serves the app with gunicorn
(``--workers`` processes x ``--threads`` threads) and has ``--clients`` threads fetch the
coordinator's page of the group (``/groups/<slug>/coordinate``) for ``--seconds`` seconds, each
logged in with its own session.

    python benchmarks/bench_needs_list.py --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_bench

The database's public schema is dropped and recreated. ``--code DIR`` serves the app from
another checkout (to measure the code before a change with the same script).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PASSWORD = "bench coordinator password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str, needs: int, offers: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_run import populate
    from flask_migrate import upgrade

    from mutualaid.extensions import db
    from mutualaid.models import Group, Membership, Person, utcnow
    from mutualaid.services import accounts
    from web import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        group_id = populate(needs, offers, 0, [2.0, 3.0, 5.0, 8.0])
        coordinator = Person(
            email="coordinator@example.org",
            password_hash=accounts.hash_password(PASSWORD),
            name="Bench Coordinator",
            email_verified_dt=utcnow(),
        )
        db.session.add(coordinator)
        db.session.flush()
        db.session.add(Membership(group_id=group_id, person_id=coordinator.id, role="coordinator"))
        db.session.commit()
        assert db.session.get(Group, group_id).slug == "bench-london"
        db.session.remove()
        db.engine.dispose()


def _request(port: int, method: str, path: str, cookie: str = "", body: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    cookies = [v.split(";", 1)[0] for k, v in resp.getheaders() if k.lower() == "set-cookie"]
    conn.close()
    return resp.status, data, cookies


def _log_in(port: int) -> str:
    status, page, cookies = _request(port, "GET", "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    cookie = "; ".join(cookies)
    form = {"email": "coordinator@example.org", "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1).decode()
    status, _, cookies = _request(port, "POST", "/login", cookie, urlencode(form))
    assert status in (302, 303), f"login failed: {status}"
    return "; ".join(cookies)


@contextmanager
def served(code: Path, workers: int, threads: int, **env: str) -> Iterator[int]:
    """The app of the checkout ``code`` under gunicorn on a free local port (yielded), with a
    fresh signing key and no rate limits, until the block ends; extra ``env`` as given."""
    port = _free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(code),
        "MUTUALAID_SECRET_KEY": secrets.token_hex(32),
        "MUTUALAID_RATELIMIT_ENABLED": "0",
        **env,
    }
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads)]
    command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "web:create_app()"]
    server = subprocess.Popen(command, env=environment, cwd=code)
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)


def served_arguments(doc: str, needs: int, offers: int) -> argparse.ArgumentParser:
    """The options of a benchmark against a served app: its database, the group's size, and
    gunicorn's workers and threads."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--needs", type=int, default=needs)
    parser.add_argument("--offers", type=int, default=offers)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    return parser


def main() -> None:
    parser = served_arguments(__doc__, needs=5_000, offers=1_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--path", default="/groups/bench-london/coordinate")
    parser.add_argument("--code", help="serve the app from this checkout (default: this one)")
    parser.add_argument("--no-seed", action="store_true", help="use the data already loaded")
    parser.add_argument(
        "--cache-redis",
        metavar="URL",
        help="the app's cache in Redis (e.g. redis://127.0.0.1:6379/0), shared by the workers; "
        "default: each worker's own memory",
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    code = Path(args.code).resolve() if args.code else HERE.parent
    sys.path.insert(0, str(code))  # load and serve the same checkout
    from mutualaid.config import database_url

    url = database_url()
    if not args.no_seed:
        t = time.perf_counter()
        _seed(url, args.needs, args.offers)
        print(f"loaded {args.needs} needs, {args.offers} offers in {time.perf_counter() - t:.1f} s")

    cache_env = {}
    if args.cache_redis:  # a fresh key prefix: nothing cached by an earlier run is served
        cache_env = {
            "MUTUALAID_CACHE_REDIS_URL": args.cache_redis,
            "MUTUALAID_CACHE_KEY_PREFIX": f"bench-{secrets.token_hex(4)}:",
        }
    with served(
        code, args.workers, args.threads, DATABASE_URL=args.database_url, **cache_env
    ) as port:
        cookies = [_log_in(port) for _ in range(args.clients)]
        status, page, _ = _request(port, "GET", args.path, cookies[0])
        assert status == 200, status
        cards = page.count(b'class="card"')
        print(f"{args.path}: {len(page):,} bytes, {cards} cards")
        for _ in range(args.workers * 2):  # warm every worker
            _request(port, "GET", args.path, cookies[0])

        latencies: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds
        load_before = os.getloadavg()

        def client(cookie: str) -> None:
            mine, bad = [], []
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                status, _, _ = _request(port, "GET", args.path, cookie)
                mine.append(time.perf_counter() - t0)
                if status != 200:
                    bad.append(status)
            with lock:
                latencies.extend(mine)
                errors.extend(bad)

        threads = [threading.Thread(target=client, args=(c,)) for c in cookies]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()
        latencies.sort()

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

        print(
            f"{args.clients} clients, {args.workers} workers x {args.threads} threads, "
            f"{wall:.1f} s: {len(latencies)} requests, {len(latencies) / wall:.1f} req/s, "
            f"p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, non-200: {len(errors)}; "
            f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
            f"{os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()

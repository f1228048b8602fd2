"""The "who could help" preview for a group of 10,000 offers: milliseconds per answer.

Loads one group around London with ``--offers`` offers (``bench_run.populate``) into a freshly
migrated database, then asks ``--requests`` previews of needs drawn at random (a London
postcode district, 0-2 skills, one or two weekly windows or a date), three ways, in this order:

- ``uncached``: the group's offers read from the database for every preview (the cache emptied
  before each), the baseline;
- ``cached, version read``: ``preview.preview()`` with the group's version read before every
  preview, then the engine on the cached arrays;
- ``cached``: as the app calls it, the version read again at most every ``RECHECK_SECONDS``;
- ``API``: ``POST /api/v1/needs/preview`` through the app (token, schema, JSON) with the cache.

and, within ``cached``, the version query and the engine's count on their own.

    python benchmarks/bench_preview.py                       # SQLite, a temporary file
    python benchmarks/bench_preview.py --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_bench

The PostgreSQL database's public schema is dropped and recreated.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's packages, whatever is installed
sys.path.insert(0, str(HERE))

DISTRICTS = ["EC2", "EC1", "E1", "E2", "E8", "N1", "N7", "SE1", "SE11", "SW9", "W1", "NW1", "WC1"]
SKILLS = ["cooking", "driving", "befriending", "tutoring", "childcare", "first-aid"]
PASSWORD = "bench resident password"


def _needs(rng: np.random.Generator, k: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(k):
        skills = sorted(set(rng.choice(SKILLS, size=int(rng.choice([0, 1, 1, 2]))).tolist()))
        start = int(rng.integers(16, 38)) * 30
        end = start + int(rng.choice([60, 90, 120]))
        clock = (f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}")
        if rng.random() < 0.4:
            when: dict[str, Any] = {
                "date": (date.today() + timedelta(days=int(rng.integers(1, 28)))).isoformat(),
                "start": clock[0],
                "end": clock[1],
            }
        else:
            days = rng.choice(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], size=2)
            windows = [{"weekday": str(d), "start": clock[0], "end": clock[1]} for d in days]
            when = {"weekly": windows[: int(rng.integers(1, 3))]}
        out.append(
            {
                "group": "bench-london",
                "skills": skills,
                "postcode": str(rng.choice(DISTRICTS)),
                "when": when,
                "remote_ok": bool(rng.random() < 0.05),
            }
        )
    return out


def _ms(values: list[float]) -> str:
    a = np.array(values) * 1000
    return (
        f"p50 {np.percentile(a, 50):6.1f} ms  p95 {np.percentile(a, 95):6.1f} ms  "
        f"max {a.max():6.1f} ms  mean {a.mean():6.1f} ms"
    )


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tmp = None
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        from mutualaid.config import database_url

        url = database_url()
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.sqlite"

    from bench_run import _cpu_model, populate
    from flask_migrate import upgrade

    from mutualaid.extensions import db
    from mutualaid.models import Group, Person, utcnow
    from mutualaid.schemas.browse import PreviewInSchema
    from mutualaid.services import accounts, preview
    from web import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        t = time.perf_counter()
        group_id = populate(10, args.offers, args.seed, [2.0, 3.0, 5.0, 8.0])
        resident = Person(
            email="resident@example.org",
            password_hash=accounts.hash_password(PASSWORD),
            name="Bench Resident",
            email_verified_dt=utcnow(),
        )
        db.session.add(resident)
        db.session.commit()
        print(
            f"loaded {args.offers} offers in {time.perf_counter() - t:.1f} s ({url.split(':')[0]})"
        )
        group = db.session.get_one(Group, group_id)
        needs = [PreviewInSchema().load(n) for n in _needs(np.random.default_rng(1), args.requests)]
        bodies = _needs(np.random.default_rng(1), args.requests)

        preview.preview(group, needs[0], resident)  # load the engine's compiled code once
        load_before = os.getloadavg()

        uncached, counts = [], []
        for need in needs:
            preview.forget_cached_offers()
            seconds, answer = _timed(preview.preview, group, need, resident)
            uncached.append(seconds)
            counts.append(answer["volunteers"])

        checked, cached, version_s, engine_s = [], [], [], []
        preview.group_offers(group_id)
        interval = preview.RECHECK_SECONDS
        preview.RECHECK_SECONDS = 0.0  # the version read before every preview
        for need, expected in zip(needs, counts):
            seconds, answer = _timed(preview.preview, group, need, resident)
            checked.append(seconds)
            assert answer["volunteers"] == expected
        preview.RECHECK_SECONDS = interval
        for need, expected in zip(needs, counts):
            seconds, answer = _timed(preview.preview, group, need, resident)
            cached.append(seconds)
            assert answer["volunteers"] == expected
            version_s.append(_timed(preview._version, group_id, utcnow())[0])
            offers = preview.group_offers(group_id)
            place = preview.resolve_postcode(need["postcode"])
            engine_s.append(
                _timed(
                    preview.count_helpers,
                    offers,
                    place.lat,
                    place.lon,
                    need["skills"],
                    need["when"]["windows"],
                    need["remote_ok"],
                    resident.id,
                )[0]
            )
        db.session.remove()

    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"email": "resident@example.org", "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    api = []
    for body, expected in zip(bodies, counts):
        seconds, resp = _timed(client.post, "/api/v1/needs/preview", json=body, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["volunteers"] == expected
        api.append(seconds)
    load_after = os.getloadavg()

    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(
        f"{args.requests} previews, {args.offers} offers; volunteers found per need: "
        f"mean {np.mean(counts):.0f}, median {np.median(counts):.0f}, max {max(counts)}"
    )
    print(f"uncached (baseline)   {_ms(uncached)}")
    print(f"cached, version read  {_ms(checked)}")
    print(f"cached (recheck {preview.RECHECK_SECONDS:g} s) {_ms(cached)}")
    print(f"  version query       {_ms(version_s)}")
    print(f"  engine count        {_ms(engine_s)}")
    print(f"API, cached           {_ms(api)}")
    print(f"ratio uncached / cached (median): {np.median(uncached) / np.median(cached):.1f}")
    with app.app_context():
        db.engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""A matching run end to end on the database: load, engine, write proposals.

One group with ``--needs`` needs and ``--offers`` offers around London, loaded with bulk inserts
into a freshly migrated database, then two runs through ``execute_run`` (the first writes every
proposal, the second keeps what it proposes again; ``--again N`` runs N more like the second).
Prints the timings of each stage, the run's wall and processor seconds, the engine's share, and
the slots filled against the bound without the within-run clash rule.

    python benchmarks/bench_run.py                       # SQLite, a temporary file
    python benchmarks/bench_run.py --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_bench

The PostgreSQL database must be empty or hold only an earlier run of this benchmark's schema:
its public schema is dropped and recreated.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

# this checkout's packages, whatever is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CENTRE = (51.515, -0.09)  # the City of London
SPREAD_KM = 9.0
NEED_SKILLS = [
    "cooking",
    "driving",
    "befriending",
    "tutoring",
    "childcare",
    "translation-polish",
    "first-aid",
    "dbs-checked",
    "legal-advice",
    "food-hygiene",
]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _points(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    r = rng.standard_normal((k, 2)) * SPREAD_KM * 0.6
    lat = CENTRE[0] + r[:, 0] / 111.2
    lon = CENTRE[1] + r[:, 1] / (111.2 * np.cos(np.radians(CENTRE[0])))
    return lat, lon


def _windows(rng: np.random.Generator, count: int, lengths: list[int]) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        start = int(rng.integers(16, 38)) * 30
        end = min(start + int(rng.choice(lengths)), 24 * 60 - 1)
        out.append(
            {
                "weekday": int(rng.integers(0, 7)),
                "start": f"{start // 60:02d}:{start % 60:02d}",
                "end": f"{end // 60:02d}:{end % 60:02d}",
            }
        )
    return out


def populate(n_needs: int, n_offers: int, seed: int, max_km: list[float]) -> int:
    """Bulk-insert one group with its people, needs and offers; returns the group's id."""
    from mutualaid.extensions import db
    from mutualaid.models import (
        Group,
        Need,
        Offer,
        OfferSkill,
        Person,
        Skill,
        need_skills,
        offer_groups,
        utcnow,
    )

    rng = np.random.default_rng(seed)
    now = utcnow()
    skill_ids = dict(db.session.execute(sa.select(Skill.slug, Skill.id)).all())
    group_id = db.session.execute(
        sa.insert(Group).returning(Group.id),
        [
            {
                "name": "Bench London",
                "slug": "bench-london",
                "centre_postcode": "EC2",
                "centre_lat": CENTRE[0],
                "centre_lon": CENTRE[1],
                "radius_km": 40.0,
                "created_dt": now,
            }
        ],
    ).scalar_one()
    n_people = n_needs // 2 + n_offers
    db.session.execute(
        sa.insert(Person),
        [
            {
                "email": f"bench{i}@example.org",
                "password_hash": "!",
                "name": f"Bench {i}",
                "phone": None,
                "is_admin": False,
                "is_active_account": True,
                "created_dt": now,
                "email_verified_dt": now,  # confirmed: unconfirmed people's needs are not shown
            }
            for i in range(n_people)
        ],
    )
    people = list(db.session.scalars(sa.select(Person.id).order_by(Person.id)))
    residents, volunteers = people[: n_needs // 2], people[n_needs // 2 :]

    lat, lon = _points(rng, n_needs)
    urgency = rng.choice(["low", "normal", "high"], size=n_needs, p=[0.3, 0.5, 0.2])
    one_off = rng.random(n_needs) < 0.4
    rows = []
    for i in range(n_needs):
        windows = _windows(rng, 1 if one_off[i] else int(rng.choice([1, 2])), [60, 90, 120])
        on_date = None
        if one_off[i]:
            on_date = date.today() + timedelta(days=int(rng.integers(1, 28)))
            windows = [{**windows[0], "weekday": on_date.weekday()}]
        rows.append(
            {
                "group_id": group_id,
                "requester_id": residents[i % len(residents)],
                "category": "other",
                "title": f"Need {i}",
                "description": "",
                "postcode": "EC2",
                "district": "EC2",
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "address": None,
                "on_date": on_date,
                "windows": windows,
                "volunteers_needed": int(rng.choice([1, 1, 1, 2])),
                "urgency": str(urgency[i]),
                "is_remote_ok": bool(rng.random() < 0.05),
                "status": "open",
                "created_dt": now - timedelta(hours=float(rng.uniform(0, 24 * 14))),
                "updated_dt": now,
                "expires_dt": None,
            }
        )
    db.session.execute(sa.insert(Need), rows)
    need_ids = list(
        db.session.scalars(sa.select(Need.id).where(Need.group_id == group_id).order_by(Need.id))
    )
    p = np.array([0.25, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.05, 0.03, 0.03])
    links = []
    for need_id in need_ids:
        k = int(rng.choice([0, 1, 2], p=[0.35, 0.55, 0.10]))
        for slug in set(rng.choice(NEED_SKILLS, size=k, p=p / p.sum()).tolist()):
            links.append({"need_id": need_id, "skill_id": skill_ids[slug]})
    if links:
        db.session.execute(need_skills.insert(), links)

    lat, lon = _points(rng, n_offers)
    db.session.execute(
        sa.insert(Offer),
        [
            {
                "volunteer_id": volunteers[i],
                "postcode": "EC2",
                "district": "EC2",
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "max_travel_km": float(rng.choice(max_km)),
                "availability": _windows(rng, int(rng.integers(2, 6)), [180, 240, 360]),
                "capacity": int(rng.choice([1, 1, 2, 3])),
                "is_active": True,
                "note": None,
                "created_dt": now,
                "updated_dt": now,
            }
            for i in range(n_offers)
        ],
    )
    offer_ids = list(db.session.scalars(sa.select(Offer.id).order_by(Offer.id)))
    db.session.execute(
        offer_groups.insert(), [{"offer_id": o, "group_id": group_id} for o in offer_ids]
    )
    have = np.array([0.3, 0.4, 0.4, 0.2, 0.15, 0.05, 0.1, 0.15, 0.02, 0.1])
    skills = []
    for offer_id in offer_ids:
        for slug in np.array(NEED_SKILLS)[rng.random(len(NEED_SKILLS)) < have].tolist():
            skills.append(
                {
                    "offer_id": offer_id,
                    "skill_id": skill_ids[slug],
                    "verified_by_id": None,
                    "verified_dt": now if rng.random() < 0.8 else None,
                    "expires_on": date.today() + timedelta(days=365),
                }
            )
    db.session.execute(sa.insert(OfferSkill), skills)
    db.session.commit()
    return group_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--again", type=int, default=0, help="more runs after the second (default: 0)"
    )
    parser.add_argument(
        "--max-km",
        default="2,3,5,8",
        help="the volunteers' travel limits, drawn evenly (default: 2,3,5,8)",
    )
    args = parser.parse_args()

    tmp = None
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from flask_migrate import upgrade

    from mutualaid.config import database_url
    from mutualaid.extensions import db
    from mutualaid.models import Group
    from mutualaid.services import matching_runs
    from web import create_app

    if args.database_url:
        url = database_url()
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.sqlite"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SCHEDULER_ENABLED": False,
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        t = time.perf_counter()
        group_id = populate(
            args.needs, args.offers, args.seed, [float(k) for k in args.max_km.split(",")]
        )
        print(
            f"populated {args.needs} needs and {args.offers} offers "
            f"in {time.perf_counter() - t:.1f} s"
        )
        print(
            f"machine: {os.cpu_count()} cores, {_cpu_model()}; database: {db.engine.dialect.name}"
        )
        print(f"load average before: {_load_average()}")
        print(
            "| run | load s | engine s | reasons s | write s | run total s | wall s | CPU s "
            "| engine share | proposals | kept | filled / clash-free bound |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for label in ("first", "second", *(f"again {k}" for k in range(1, args.again + 1))):
            group = db.session.get(Group, group_id)
            t, c = time.perf_counter(), time.process_time()
            run = matching_runs.execute_run(group, trigger="command")
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            if run.status != "succeeded":
                raise SystemExit(f"run failed: {run.error}")
            s = run.stats
            engine = s.get("engine", {})
            rules = engine.get("time_rules") or {}
            bound = (rules.get("clash_free_bound") or {}).get("filled_slots")
            print(
                f"| {label} | {s['load_s']:.2f} | {s['engine_s']:.2f} "
                f"| {s.get('reasons_s', 0.0):.2f} | {s['write_s']:.2f} | {s['total_s']:.2f} "
                f"| {wall:.2f} | {cpu:.2f} | {s['engine_s'] / wall:.0%} | {s['proposals']} "
                f"| {s['kept']} | {engine.get('filled_slots')} / {bound} |"
            )
            print(
                f"  engine: {engine.get('candidate_pairs')} candidate pairs, "
                f"stages {engine.get('seconds')}"
            )
            if rules:
                print(
                    f"  time rules: binding {rules.get('binding')}, {rules.get('nodes')} flows, "
                    f"optimal {rules.get('optimal')}, gap {rules.get('gap_slots')} slots, "
                    f"total score {engine.get('total_score')}"
                )
        print(f"load average after: {_load_average()}")
        db.session.remove()
        db.engine.dispose()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""CSV import of needs: a dry run and a real import of ``--rows`` rows, in seconds.

Builds the app on a freshly migrated database (a temporary SQLite file, or ``--database-url``,
whose public schema is dropped and recreated), one group and its coordinator, and a CSV file of
``--rows`` needs from ``--people`` residents (about a third of them already have an account).
Then, in one process:

- ``dry run``: :func:`mutualaid.services.imports.import_csv` with ``dry_run=True`` (reads and
  checks every row, writes nothing);
- ``import``: the same with ``dry_run=False``, then the commit (one transaction);
- ``baseline``: the same rows posted one by one with ``needs.post_need`` and a commit after
  each (as a client posting each need on its own would), on the first ``--baseline-rows``
  rows, scaled to seconds per 1,000 rows for the ratio.

    python benchmarks/bench_import.py --rows 10000
    python benchmarks/bench_import.py --rows 10000 --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_bench

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DISTRICTS = ("E1", "E2", "E5", "E8", "E9", "N1", "N16")
CATEGORIES = ("food", "transport", "befriending", "legal-aid", "other")


def make_csv(rows: int, people: int, seed: int) -> str:
    rnd = random.Random(seed)
    lines = ["title,category,postcode,name,email,phone,date,start,end,weekly,skills,urgency"]
    soon = date.today() + timedelta(days=14)
    for i in range(rows):
        p = rnd.randrange(people)
        postcode = f"{rnd.choice(DISTRICTS)} {rnd.randint(1, 9)}AA"
        if rnd.random() < 0.5:
            day = soon + timedelta(days=rnd.randrange(60))
            when = f"{day.isoformat()},09:00,11:00,"
        else:
            when = ",,,Mon 09:00-11:00; Thu 14:00-15:30"
        lines.append(
            f"Need {i},{rnd.choice(CATEGORIES)},{postcode},Resident {p},resident{p}@example.org,"
            f"07700 9{p:05d},{when},{'driving' if rnd.random() < 0.2 else ''},"
            f"{rnd.choice(('low', 'normal', 'high'))}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=3_000)
    parser.add_argument("--baseline-rows", type=int, default=500)
    parser.add_argument("--database-url")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from mutualaid import geo
    from mutualaid.extensions import db
    from mutualaid.models import Group, Membership, Need, Person, utcnow
    from mutualaid.services import imports
    from mutualaid.services import needs as need_service
    from web import create_app

    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_hex(32),
            "MAIL_FILE_DIR": tmp,
        }
    )
    text = make_csv(args.rows, args.people, args.seed).encode()
    out: dict[str, object] = {"rows": args.rows, "people": args.people, "bytes": len(text)}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        place = geo.resolve("E8 1AA")
        group = Group(
            name="Bench Hackney",
            slug="bench-hackney",
            centre_postcode=place.postcode,
            centre_lat=place.lat,
            centre_lon=place.lon,
            radius_km=15.0,
        )
        coordinator = Person(
            email="coordinator@example.org",
            password_hash="!bench",
            name="Bench Coordinator",
            email_verified_dt=utcnow(),
        )
        db.session.add_all([group, coordinator])
        db.session.flush()
        db.session.add(Membership(group_id=group.id, person_id=coordinator.id, role="coordinator"))
        for p in range(0, args.people, 3):  # a third already have an account
            db.session.add(
                Person(
                    email=f"resident{p}@example.org",
                    name=f"Resident {p}",
                    password_hash="!bench",
                    email_verified_dt=utcnow(),
                )
            )
        db.session.commit()
        out["database"] = db.engine.dialect.name

        t = time.perf_counter()
        dry = imports.import_csv("needs", coordinator, group, text, dry_run=True)
        out["dry_run_s"] = round(time.perf_counter() - t, 3)
        db.session.rollback()
        assert dry.ok and dry.valid == args.rows, (dry.file_problems, dry.problems[:5])

        t = time.perf_counter()
        done = imports.import_csv("needs", coordinator, group, text, dry_run=False)
        db.session.commit()
        out["import_s"] = round(time.perf_counter() - t, 3)
        out["imported"] = done.imported
        out["new_people"] = done.new_people
        out["needs_in_db"] = db.session.scalar(sa.select(sa.func.count(Need.id)))

        # The baseline: the first rows again, one need and one commit at a time.
        from mutualaid.schemas.needs import NeedInSchema

        rows = text.decode().splitlines()[1 : args.baseline_rows + 1]
        head = "title,category,postcode,name,email,phone,date,start,end,weekly,skills,urgency"
        _, parsed = imports.read_rows((head + "\n" + "\n".join(rows)).encode())
        schema = NeedInSchema()
        t = time.perf_counter()
        for _line, row in parsed:
            payload, _ = imports._need_payload(row, group)
            person = db.session.scalar(sa.select(Person).where(Person.email == row["email"]))
            need_service.post_need(person, schema.load(payload))
            db.session.commit()
        base = time.perf_counter() - t
        out["baseline_rows"] = len(parsed)
        out["baseline_s"] = round(base, 3)
        per_1000_import = float(out["import_s"]) / args.rows * 1000  # type: ignore[arg-type]
        per_1000_base = base / len(parsed) * 1000
        out["import_s_per_1000"] = round(per_1000_import, 3)
        out["baseline_s_per_1000"] = round(per_1000_base, 3)
        out["ratio_baseline_over_import"] = round(per_1000_base / per_1000_import, 2)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()

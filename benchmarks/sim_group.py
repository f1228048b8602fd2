"""A group over N days, through the real services: does it stay right over time?

One group (a 3.5 km circle in Hackney), volunteers with offers, residents posting needs every
day (one-off and weekly), a matching run each day, a coordinator approving every proposal
("approve all above 0"), one-off help marked done on its day, weekly help ended by its last day
or by a side stepping back, and the expiry job. Time is simulated: the services' clock is moved a
day at a time (``utcnow`` in every ``mutualaid`` module), so nothing waits.

It prints the fill rate of each day's run, and at the end:

- clashes: two of one person's commitments (agreed, done, or stepped back from, while they
  held) whose times overlap on a day both cover; must be 0;
- self-matches: a person agreed for their own need; must be 0;
- over limit: a person's week (Monday to Sunday) with more sessions or hours than their weekly
  limit, or an offer holding more agreed matches than its capacity at the end of a day; must be 0;
- load among volunteers suitable for at least ``--suitable`` of the period's needs (by the
  engine's own feasibility: skills, distance, availability): median, p90, max, max/median, Gini,
  and the top 10 %'s share.

    python benchmarks/sim_group.py --days 30
    python benchmarks/sim_group.py --days 30 --database-url postgresql://postgres@127.0.0.1:5432/x

With PostgreSQL the database's public schema is dropped and recreated. It runs on the engine
with or without its time rules (a newer engine reads each need's dates and each person's
commitments, limit and pause); the approvals refuse clashes and limits either way.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import random
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CENTRE_POSTCODE = "E8 1AA"
RADIUS_KM = 3.5
DISTRICTS = ("E2", "E5", "E8", "E9", "N1", "N16")
# skill: share of volunteers who have it, share of needs that ask for it
SKILLS = {
    "shopping": (0.55, 0.25),
    "driving": (0.30, 0.12),
    "befriending": (0.35, 0.12),
    "childcare": (0.20, 0.08),
    "tutoring": (0.15, 0.06),
    "cooking": (0.15, 0.04),
    "it-support": (0.15, 0.04),
    "legal-advice": (0.03, 0.04),  # a credential: verified for the sim
}
BLOCKS = (  # availability patterns: (weekdays, start, end)
    ((0, 1, 2, 3, 4), "17:00", "21:00"),
    ((5, 6), "09:00", "13:00"),
    ((5, 6), "13:00", "18:00"),
    ((0, 1, 2, 3, 4), "09:00", "13:00"),
    ((0, 2, 4), "10:00", "16:00"),
    ((1, 3), "08:00", "12:00"),
)
STEP_BACK_PER_DAY = 0.01


# --- the clock ----------------------------------------------------------------------------------


class Clock:
    """Moves ``utcnow`` in every loaded ``mutualaid`` module."""

    def __init__(self, start: datetime) -> None:
        from mutualaid.models import _base

        self.original = _base.utcnow
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        patched = []
        for name, module in list(sys.modules.items()):
            if name.startswith("mutualaid") and getattr(module, "utcnow", None) is self.original:
                module.utcnow = self  # type: ignore[attr-defined]
                patched.append(module)
        try:
            yield
        finally:
            for module in patched:
                module.utcnow = self.original  # type: ignore[attr-defined]


# --- the people ---------------------------------------------------------------------------------


def _sectors() -> list[str]:
    from mutualaid import geo

    path = Path(geo.__file__).parent / "data" / "uk_postcode_sectors.csv"
    centre = geo.resolve(CENTRE_POSTCODE)
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["outcode"] in DISTRICTS:
                place = geo.resolve(row["sector"] + "AA")
                if place is not None and _km(centre, place) <= RADIUS_KM:
                    out.append(row["sector"] + "AA")
    return out


def _km(a: Any, b: Any) -> float:
    import math

    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians(a.lat))
    return 6371.0 * math.hypot(dlat, dlon)


def _person(n: int, kind: str) -> Any:
    from mutualaid.models import Person

    return Person(
        email=f"{kind}{n}@sim.example.org",
        password_hash="!sim",
        name=f"{kind.capitalize()} {n}",
        phone=f"07700 9{n:05d}",
        email_verified_dt=datetime(2020, 1, 1),
    )


def populate(rng: random.Random, volunteers: int, residents: int, start: date) -> dict[str, Any]:
    from mutualaid import geo
    from mutualaid.extensions import db
    from mutualaid.models import Group, Membership, Offer, OfferSkill, Skill

    centre = geo.resolve(CENTRE_POSTCODE)
    group = Group(
        name="Sim Hackney",
        slug="sim",
        centre_postcode=centre.postcode,
        centre_lat=centre.lat,
        centre_lon=centre.lon,
        radius_km=RADIUS_KM,
    )
    db.session.add(group)
    coordinator = _person(0, "coordinator")
    db.session.add(coordinator)
    db.session.flush()
    db.session.add(Membership(group_id=group.id, person_id=coordinator.id, role="coordinator"))
    skills = {s.slug: s for s in db.session.scalars(sa.select(Skill))}
    sectors = _sectors()
    people = []
    for i in range(volunteers):
        person = _person(i + 1, "volunteer")
        roll = rng.random()
        if roll < 0.2:
            person.week_limit_tasks = rng.choice((1, 2, 3))
        elif roll < 0.3:
            person.week_limit_hours = float(rng.choice((2, 4, 6)))
        db.session.add(person)
        people.append(person)
    db.session.flush()
    for person in people:
        place = geo.resolve(rng.choice(sectors))
        blocks = rng.sample(BLOCKS, rng.choice((1, 1, 2, 3)))
        availability = [{"weekday": d, "start": s, "end": e} for days, s, e in blocks for d in days]
        offer = Offer(
            volunteer_id=person.id,
            postcode=place.postcode,
            district=place.district,
            lat=place.lat,
            lon=place.lon,
            max_travel_km=rng.choice((1.5, 2.0, 3.0, 5.0)),
            availability=availability,
            capacity=rng.choice((1, 1, 2, 2, 3)),
        )
        offer.groups = [group]
        for slug, (share, _) in SKILLS.items():
            if rng.random() < share:
                offer.offer_skills.append(
                    OfferSkill(
                        skill=skills[slug],
                        verified_dt=datetime(2020, 1, 1) if skills[slug].is_credential else None,
                        verified_by_id=coordinator.id if skills[slug].is_credential else None,
                        expires_on=date(2099, 1, 1) if skills[slug].is_credential else None,
                    )
                )
        db.session.add(offer)
    residents_rows = [_person(i + 1, "resident") for i in range(residents)]
    db.session.add_all(residents_rows)
    db.session.flush()
    return {
        "group_id": group.id,
        "coordinator_id": coordinator.id,
        "residents": [p.id for p in residents_rows],
        "volunteers": [p.id for p in people],
        "sectors": sectors,
    }


def post_needs(
    rng: random.Random, scene: dict[str, Any], today: date, count: int, weekly_share: float
) -> tuple[int, int]:
    """``count`` needs through ``post_need``; a few posted by volunteers (self-match bait)."""
    from mutualaid.extensions import db
    from mutualaid.models import Group, Person
    from mutualaid.services import needs as needs_svc

    group = db.session.get(Group, scene["group_id"])
    assert group is not None
    weekly = 0
    for _ in range(count):
        pool = scene["volunteers"] if rng.random() < 0.05 else scene["residents"]
        requester = db.session.get(Person, rng.choice(pool))
        assert requester is not None
        wanted = [s for s, (_, share) in SKILLS.items() if rng.random() < share][:2]
        hour = rng.choice((8, 9, 10, 11, 13, 14, 15, 17, 18, 19))
        length = rng.choice((1, 1, 2))
        window = {"start": f"{hour:02d}:00", "end": f"{hour + length:02d}:00"}
        if rng.random() < weekly_share:
            weekly += 1
            day = today + timedelta(days=rng.randint(1, 7))
            when = {
                "on_date": None,
                "windows": [{"weekday": day.weekday(), **window}],
                "starts_on": day,
                "ends_on": None,
            }
        else:
            day = today + timedelta(days=rng.randint(1, 10))
            when = {
                "on_date": day,
                "windows": [{"weekday": day.weekday(), **window}],
                "starts_on": None,
                "ends_on": None,
            }
        need = needs_svc.post_need(
            requester,
            {
                "group": group.slug,
                "category": "other",
                "title": "Sim need",
                "description": "",
                "skills": wanted,
                "postcode": rng.choice(scene["sectors"]),
                "address": "1 Sim Street",
                "when": when,
                "volunteers_needed": 1 if rng.random() < 0.9 else 2,
                "urgency": rng.choice(("low", "normal", "normal", "high")),
                "remote_ok": False,
            },
        )
        need.created_dt = datetime.combine(today, datetime.min.time()) + timedelta(hours=8)
    db.session.flush()
    return count, weekly


def open_slots(group_id: int, today: date) -> int:
    from mutualaid.extensions import db
    from mutualaid.models import HOLDING_MATCH_STATUSES, OPEN_NEED_STATUSES, Match, Need

    held = (
        sa.select(sa.func.count(Match.id))
        .where(Match.need_id == Need.id, Match.status.in_(HOLDING_MATCH_STATUSES))
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Need.volunteers_needed - held).where(
            Need.group_id == group_id,
            Need.status.in_(OPEN_NEED_STATUSES),
            sa.or_(Need.on_date.is_(None), Need.on_date >= today),
        )
    )
    return sum(max(0, n) for (n,) in rows)


def day_of_help(rng: random.Random, scene: dict[str, Any], today: date) -> dict[str, int]:
    """One-off help done on its day; a few volunteers step back from begun weekly help."""
    from mutualaid.extensions import db
    from mutualaid.models import Match, MatchStatus, Need, Offer, Person
    from mutualaid.services import commitments
    from mutualaid.services import matches as matches_svc

    done = stepped = 0
    approved = db.session.scalars(
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == scene["group_id"], Match.status == MatchStatus.APPROVED)
        .order_by(Match.id)
    ).all()
    for match in approved:
        need = match.need
        volunteer = db.session.get(Person, db.session.get(Offer, match.offer_id).volunteer_id)
        assert volunteer is not None
        if need.on_date is not None and need.on_date <= today:
            minutes = sum(e - s for _, s, e in commitments.need_schedule(need).windows)
            matches_svc.complete_match(match.id, volunteer, minutes / 60)
            done += 1
        elif (
            need.on_date is None
            and need.starts_on is not None
            and need.starts_on <= today
            and rng.random() < STEP_BACK_PER_DAY
        ):
            matches_svc.decline_match(match.id, volunteer, "Simulated: moving away")
            stepped += 1
    db.session.flush()
    return {"done": done, "stepped_back": stepped}


def capacity_breaches(group_id: int) -> int:
    from mutualaid.extensions import db
    from mutualaid.models import Match, MatchStatus, Offer

    rows = db.session.execute(
        sa.select(Offer.capacity, sa.func.count(Match.id))
        .join(Match, Match.offer_id == Offer.id)
        .where(Match.status == MatchStatus.APPROVED)
        .group_by(Offer.id, Offer.capacity)
    )
    return sum(1 for capacity, n in rows if n > capacity)


# --- the checks at the end ----------------------------------------------------------------------


def held_commitments() -> dict[int, list[tuple[Any, Any]]]:
    """Each person's commitments that held time: agreed, done, or stepped back from."""
    from mutualaid.extensions import db
    from mutualaid.models import Match, MatchStatus, Offer
    from mutualaid.services import commitments

    rows = db.session.execute(
        sa.select(Match, Offer.volunteer_id)
        .join(Offer, Offer.id == Match.offer_id)
        .where(
            sa.or_(
                Match.status.in_((MatchStatus.APPROVED, MatchStatus.COMPLETED)),
                Match.ended_on.is_not(None),
            )
        )
        .order_by(Match.id)
    ).all()
    out: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    for match, person in rows:
        out[person].append((match, commitments.commitment_schedule(match)))
    return out


def _describe(match: Any, schedule: Any) -> str:
    return (
        f"match {match.id} ({match.status}, decided {match.decided_dt:%Y-%m-%d}, ended "
        f"{match.ended_on}) {schedule.first}..{schedule.last} {list(schedule.windows)}"
    )


def check(held: dict[int, list[tuple[Any, Any]]], verbose: bool = False) -> dict[str, int]:
    from matching.schedule import clash
    from mutualaid.extensions import db
    from mutualaid.models import Person
    from mutualaid.services import commitments

    clashes = self_matches = over_limit = 0
    for person_id, items in held.items():
        person = db.session.get(Person, person_id)
        assert person is not None
        for i, (match, schedule) in enumerate(items):
            if match.need.requester_id == person_id:
                self_matches += 1
            for other_match, other in items[i + 1 :]:
                if clash(schedule, other) is not None:
                    clashes += 1
                    if verbose:
                        print(f"  clash, person {person_id}: {_describe(match, schedule)}")
                        print(f"    with {_describe(other_match, other)}")
        limit = commitments.week_limit(person)
        if not limit:
            continue
        weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for _, schedule in items:
            if schedule.first is None or schedule.last is None:
                continue
            monday = schedule.first - timedelta(days=schedule.first.weekday())
            while monday <= schedule.last:
                tasks, minutes = commitments.week_load(schedule, monday)
                weeks[monday][0] += tasks
                weeks[monday][1] += minutes
                monday += timedelta(days=7)
        for monday, (tasks, minutes) in weeks.items():
            if ("tasks" in limit and tasks > limit["tasks"]) or (
                "hours" in limit and minutes > limit["hours"] * 60
            ):
                over_limit += 1
                if verbose:
                    print(
                        f"  over {limit}, person {person_id}, week of {monday}: {tasks}, {minutes}"
                    )
                    for match, schedule in items:
                        if commitments.week_load(schedule, monday)[0]:
                            print(f"    {_describe(match, schedule)}")
    return {"clashes": clashes, "self_matches": self_matches, "over_limit_weeks": over_limit}


def suitability(group_id: int) -> dict[int, int]:
    """For each volunteer (person), how many of the period's needs they could fill at all."""
    import matching
    from mutualaid.extensions import db
    from mutualaid.models import Need, Offer, OfferSkill, Skill, need_skills

    needs = db.session.scalars(sa.select(Need).where(Need.group_id == group_id)).all()
    need_skill = defaultdict(list)
    for nid, slug in db.session.execute(
        sa.select(need_skills.c.need_id, Skill.slug).join(Skill, Skill.id == need_skills.c.skill_id)
    ):
        need_skill[nid].append(slug)
    offers = db.session.scalars(sa.select(Offer)).all()
    offer_skill = defaultdict(list)
    for oid, slug in db.session.execute(
        sa.select(OfferSkill.offer_id, Skill.slug).join(Skill, Skill.id == OfferSkill.skill_id)
    ):
        offer_skill[oid].append(slug)
    instance = matching.parse_instance(
        {
            "needs": [
                {
                    "id": str(n.id),
                    "lat": n.lat,
                    "lon": n.lon,
                    "skills": need_skill[n.id],
                    "windows": n.windows,
                    "volunteers_needed": 1,
                    "urgency": 0.5,
                    "remote_ok": False,
                }
                for n in needs
            ],
            "volunteers": [
                {
                    "id": str(o.id),
                    "person": o.volunteer_id,
                    "lat": o.lat,
                    "lon": o.lon,
                    "skills": offer_skill[o.id],
                    "max_km": o.max_travel_km,
                    "capacity": 1,
                    "availability": o.availability,
                }
                for o in offers
            ],
        }
    )
    found = matching.candidates(instance)
    person_of = {str(o.id): o.volunteer_id for o in offers}
    counts: dict[int, set[str]] = defaultdict(set)
    for record in found.records():
        counts[person_of[str(record["volunteer"])]].add(str(record["need"]))
    return {p: len(s) for p, s in counts.items()}


def load_figures(held: dict[int, list[tuple[Any, Any]]], suitable: dict[int, int], least: int):
    import numpy as np

    chosen = [p for p, n in suitable.items() if n >= least]
    loads = np.array(sorted(len(held.get(p, [])) for p in chosen), dtype=float)
    if len(loads) == 0:
        return {"volunteers": 0}
    total = loads.sum()
    n = len(loads)
    gini = float((2 * np.arange(1, n + 1) - n - 1).dot(loads) / (n * total)) if total > 0 else 0.0
    median = float(np.median(loads))
    top = max(1, round(n * 0.1))
    return {
        "volunteers": n,
        "never_used": int((loads == 0).sum()),
        "median": median,
        "p90": float(np.percentile(loads, 90)),
        "max": float(loads.max()),
        "max_over_median": float(loads.max() / median) if median > 0 else float("inf"),
        "gini": round(gini, 3),
        "top10_share": round(float(loads[-top:].sum() / total), 3) if total > 0 else 0.0,
    }


def _kind(reason: str) -> str:
    """A skipped approval's reason, in a word."""
    for words, kind in (
        ("already helping on", "clash"),
        ("helps at most", "weekly limit"),
        ("is away until", "pause"),
        ("no capacity left", "capacity"),
        ("all the volunteers it asked for", "need full"),
    ):
        if words in reason:
            return kind
    return "other"


# --- are the reasons true? ----------------------------------------------------------------------
#
# Every unmatched reason is counted by code, and these are checked against the group as the run
# saw it:
# - fully_booked: with every commitment freed, the engine matches the need (alone);
# - unverified: with the pending credentials counted, the engine matches the need (alone);
# - other_times: moved to one of the times the reason lists, the need is matched (alone);
# - split: each of its skills, asked for alone, is matched;
# - no_skill, out_of_reach: fewer people who could be asked hold the skills (are within reach,
#   by a distance computed here) than the places the run had to fill.

#: The reasons whose truth is checked (see ``Sim.check_reasons``).
CHECKED = ("fully_booked", "unverified", "no_skill", "other_times", "out_of_reach", "split")


def check_reasons(group_id: int, run: Any, tally: dict[str, Counter[str]]) -> None:
    """Count the run's unmatched reasons by code, and check those in ``CHECKED``."""
    import matching
    from mutualaid.extensions import db
    from mutualaid.models import utcnow
    from mutualaid.services import matching_runs, reasons

    unmatched = run.unmatched or []
    for u in unmatched:
        tally["reasons"][u["reason_code"]] += 1
    todo = [u for u in unmatched if u["reason_code"] in CHECKED]
    if not todo:
        return
    now = utcnow()
    loaded = matching_runs.load_instance(group_id, now)
    facts = reasons.load_facts(group_id, now, [int(n["id"]) for n in loaded.instance["needs"]])
    db.session.rollback()
    needs = {int(n["id"]): n for n in loaded.instance["needs"]}
    for u in todo:
        code, need_id = u["reason_code"], u["need"]
        need = needs.get(need_id)
        if need is None:
            continue
        tally["checked"][code] += 1
        # no_skill: true if fewer people hold the skills (verified or not, booked or not)
        # than the places open; out_of_reach: true if fewer of them are within reach (the
        # distance computed here, independently of the engine). People who cannot be asked
        # are left out: the resident, those already helping, those turned down for it.
        if code in ("no_skill", "out_of_reach"):
            wanted = set(need["skills"])
            askable = [
                o
                for o in facts.offers
                if wanted <= set(o["usable"]) | set(o["pending"])
                and o["person"] != facts.requester.get(need_id)
                and (need_id, o["person"]) not in facts.helping
                and (need_id, o["id"]) not in facts.rejected
            ]
            if code == "out_of_reach":
                askable = [
                    o for o in askable if need["remote_ok"] or _km_between(need, o) <= o["max_km"]
                ]
            # compared with the places the run had to fill, as the reason does
            demand = int(need["volunteers_needed"])
            tally["true"][code] += len({o["person"] for o in askable}) < demand
            continue
        # Solve this need alone against the group with what the reason blames undone: is
        # it matched? Alone, so that the check asks about this need's reason rather than
        # about other needs competing for the same people.
        #   fully_booked: every commitment freed (a booked volunteer's pending credential
        #                 counted too); unverified: pending credentials counted;
        #   other_times:  the need at the times the reason lists;
        freed = code == "fully_booked"
        vols = []
        for o in facts.offers:
            if not o["availability"] or (not freed and o["remaining"] < 1):
                continue
            vols.append(
                {
                    "id": str(o["id"]),
                    "person": o["person"],
                    "lat": o["lat"],
                    "lon": o["lon"],
                    "max_km": o["max_km"],
                    "availability": o["availability"],
                    "skills": o["usable"]
                    + (o["pending"] if code == "unverified" or o["remaining"] < 1 else []),
                    "capacity": max(1, o["remaining"] + _held(o["id"]) if freed else 1),
                }
            )
        ids = {v["id"] for v in vols}
        exclude = [p for p in loaded.instance["exclude"] if p[0] == str(need_id) and p[1] in ids]
        # other_times: true if the need moved to one of the times listed is matched;
        # split: true if every skill, asked for alone, is matched
        if code == "other_times":
            trials = [{**need, "windows": [w]} for w in u["free_at"]]
        elif code == "split":
            trials = [{**need, "skills": [s]} for s in need["skills"]]
        else:
            trials = [need]
        matched = [
            any(
                int(m["need"]) == need_id
                for m in matching.solve(
                    matching.parse_instance(
                        {"needs": [trial], "volunteers": vols, "exclude": exclude}
                    )
                ).to_dict()["matches"]
            )
            for trial in trials
        ]
        tally["true"][code] += all(matched) if code == "split" else any(matched)


def _km_between(need: dict[str, Any], offer: dict[str, Any]) -> float:
    """Great-circle distance (haversine), independent of the engine's own."""
    la1, lo1, la2, lo2 = map(math.radians, (need["lat"], need["lon"], offer["lat"], offer["lon"]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _held(offer_id: int) -> int:
    from mutualaid.extensions import db
    from mutualaid.models import Match, MatchStatus

    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Match.offer_id == offer_id, Match.status == MatchStatus.APPROVED
        )
    )


# --- the loop -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--needs-per-day", type=int, default=20)
    parser.add_argument("--weekly-share", type=float, default=0.3)
    parser.add_argument("--suitable", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    parser.add_argument("--verbose", action="store_true", help="list every clash and breach")
    args = parser.parse_args()

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("MUTUALAID_SECRET_KEY", secrets.token_hex(32))
    from flask_migrate import upgrade

    from mutualaid.config import database_url
    from mutualaid.extensions import db
    from mutualaid.models import Group, Person, RunTrigger
    from mutualaid.services import matches as matches_svc
    from mutualaid.services import matching_runs
    from web import create_app

    tmp = None
    if args.database_url:
        url = database_url()
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/sim.sqlite"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "MAIL_SUPPRESS": True}
    )
    rng = random.Random(args.seed)
    start = date.today() + timedelta(days=1)
    clock = Clock(datetime.combine(start, datetime.min.time()) + timedelta(hours=7))
    t0 = time.perf_counter()
    with app.app_context(), clock.installed():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        scene = populate(rng, args.volunteers, args.residents, start)
        db.session.commit()
        print(
            f"group: {args.volunteers} volunteers within {RADIUS_KM} km of {CENTRE_POSTCODE}, "
            f"{args.needs_per_day} needs a day ({args.weekly_share:.0%} weekly), "
            f"{args.days} days, seed {args.seed}; database {db.engine.dialect.name}"
        )
        print("day  posted weekly  open  proposed approved skipped  fill  done stepped expired")
        totals: dict[str, int] = defaultdict(int)
        tally: dict[str, Counter[str]] = {k: Counter() for k in ("reasons", "checked", "true")}
        capacity_bad = 0
        for day_index in range(args.days):
            today = start + timedelta(days=day_index)
            clock.now = datetime.combine(today, datetime.min.time()) + timedelta(hours=7)
            matches_svc.complete_finished(clock.now)
            expired = matches_svc.expire_needs(clock.now)
            db.session.commit()
            posted, weekly = post_needs(rng, scene, today, args.needs_per_day, args.weekly_share)
            db.session.commit()
            clock.now += timedelta(hours=2)
            slots = open_slots(scene["group_id"], today)
            group = db.session.get(Group, scene["group_id"])
            assert group is not None
            run = matching_runs.execute_run(group, trigger=RunTrigger.COMMAND)
            check_reasons(scene["group_id"], run, tally)
            proposed = (run.stats or {}).get("proposals", 0)
            coordinator = db.session.get(Person, scene["coordinator_id"])
            assert coordinator is not None
            approved, skipped = matches_svc.approve_above(group, coordinator, 0.0)
            db.session.commit()
            clock.now += timedelta(hours=10)
            helped = day_of_help(rng, scene, today)
            db.session.commit()
            capacity_bad += capacity_breaches(scene["group_id"])
            fill = len(approved) / slots if slots else 0.0
            print(
                f"{day_index + 1:3d}  {posted:6d} {weekly:6d} {slots:5d} {proposed:9d} "
                f"{len(approved):8d} {len(skipped):7d} {fill:5.0%} {helped['done']:5d} "
                f"{helped['stepped_back']:7d} {expired:7d}"
            )
            for _, reason in skipped:
                totals[f"skipped: {_kind(reason)}"] += 1
            for key, value in (
                ("approved", len(approved)),
                ("skipped", len(skipped)),
                ("slots", slots),
                ("expired", expired),
                *helped.items(),
            ):
                totals[key] += value
        held = held_commitments()
        checks = check(held, args.verbose)
        checks["over_capacity_offer_days"] = capacity_bad
        figures = load_figures(held, suitability(scene["group_id"]), args.suitable)
    print(f"totals: {dict(totals)}")
    print(f"checks (must all be 0): {checks}")
    print(f"load among volunteers suitable for at least {args.suitable} needs: {figures}")
    print("reason | count | checked | true")
    for code, k in tally["reasons"].most_common():
        print(f"{code} | {k} | {tally['checked'][code]} | {tally['true'][code]}")
    print(f"wall time {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""A month of one group, through the real services: fill rate, clashes, load, and true reasons.

One group around Hackney (``--offers`` volunteers within 3.5 km, skills, capacities and weekly
availability drawn as in ``bench_run.py``). Every simulated day (the clock is moved with
``time-machine``):

- about ``--needs-per-day`` needs are posted (a share of them weekly), by residents of the area,
  some of whom also volunteer;
- a matching run goes through ``matching_runs.execute_run``;
- the coordinator approves every proposal through ``matches.approve_match`` (a refusal, e.g. a
  clash found at approval, is counted);
- one-off matches whose day has passed are completed with their hours; a share of weekly
  matches is stepped back from by the volunteer (``decline``/``cancel``);
- the scheduled jobs of the day run (expiry).

Then it prints the inputs, the fill rate per day, clashes between a person's commitments,
self-matches, commitments over an offer's capacity, the spread of work among the volunteers
suitable for at least ``--suitable`` of the month's needs (median, p90, max, max/median, Gini,
the top 10 %'s share, never used), the unmatched reasons by code, and how many of the reasons
checked were true:

- ``fully_booked``: with every commitment freed (each offer back to its whole capacity), the
  engine matches the need;
- ``unverified``: with the pending credentials counted, the engine matches the need;
- ``no_skill``: no active offer of the group holds the skills, verified or not.

    python benchmarks/sim_group.py --days 30            # SQLite, a temporary file
    python benchmarks/sim_group.py --database-url postgresql://postgres@127.0.0.1:5432/mutualaid_sim
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CENTRE = (51.5450, -0.0553)  # Hackney Central
RADIUS_KM = 3.5
SKILLS = [
    "cooking",
    "driving",
    "befriending",
    "tutoring",
    "childcare",
    "shopping",
    "first-aid",
    "dbs-checked",
    "legal-advice",
    "food-hygiene",
]
NEED_P = np.array([0.16, 0.14, 0.14, 0.1, 0.1, 0.12, 0.06, 0.08, 0.06, 0.04])
HAVE_P = np.array([0.3, 0.25, 0.4, 0.2, 0.15, 0.35, 0.1, 0.15, 0.02, 0.1])


#: The reasons whose truth is checked (see ``Sim.check_reasons``).
CHECKED = ("fully_booked", "unverified", "no_skill", "other_times", "out_of_reach", "split")


def _points(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    r = RADIUS_KM * np.sqrt(rng.random(k))
    a = rng.uniform(0, 2 * np.pi, k)
    lat = CENTRE[0] + (r * np.cos(a)) / 111.2
    lon = CENTRE[1] + (r * np.sin(a)) / (111.2 * np.cos(np.radians(CENTRE[0])))
    return lat, lon


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _window(rng: np.random.Generator, weekday: int, lengths: list[int]) -> dict[str, Any]:
    length = int(rng.choice(lengths))
    start = int(rng.integers(8 * 60 // 30, (20 * 60 - length) // 30)) * 30
    return {"weekday": weekday, "start": _hhmm(start), "end": _hhmm(start + length)}


def _gini(x: np.ndarray) -> float:
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


class Sim:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = np.random.default_rng(args.seed)
        self.fill: list[tuple[int, int, int]] = []  # (day, requested slots, filled slots)
        self.refused: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.checked: Counter[str] = Counter()
        self.true: Counter[str] = Counter()
        self.steps_back = 0
        self.completed = 0
        self.over_capacity = 0
        self.posted = Counter[str]()

    # --- the group ---------------------------------------------------------------------------

    def seed(self) -> None:
        from mutualaid.extensions import db
        from mutualaid.models import (
            Group,
            Membership,
            Offer,
            OfferSkill,
            Person,
            Skill,
            offer_groups,
            utcnow,
        )

        a, rng, now = self.args, self.rng, utcnow()
        self.skill_ids = dict(db.session.execute(sa.select(Skill.slug, Skill.id)).all())
        group = Group(
            name="Sim Hackney",
            slug="sim-hackney",
            centre_postcode="E8",
            centre_lat=CENTRE[0],
            centre_lon=CENTRE[1],
            radius_km=RADIUS_KM + 1,
        )
        coordinator = Person(
            email="coordinator@example.org",
            password_hash="!",
            name="Sim Coordinator",
            email_verified_dt=now,
        )
        db.session.add_all([group, coordinator])
        db.session.flush()
        db.session.add(Membership(group_id=group.id, person_id=coordinator.id, role="coordinator"))
        n_people = a.offers + a.residents
        db.session.execute(
            sa.insert(Person),
            [
                {
                    "email": f"sim{i}@example.org",
                    "password_hash": "!",
                    "name": f"Sim {i}",
                    "is_admin": False,
                    "is_active_account": True,
                    "created_dt": now,
                    "email_verified_dt": now,
                }
                for i in range(n_people)
            ],
        )
        people = list(
            db.session.scalars(
                sa.select(Person.id).where(Person.email.like("sim%")).order_by(Person.id)
            )
        )
        self.volunteers = people[: a.offers]
        # a tenth of the residents are volunteers too ("we all give and take")
        both = self.volunteers[: a.residents // 10]
        self.residents = people[a.offers :][: a.residents - len(both)] + both
        lat, lon = _points(rng, a.offers)
        rows = []
        for i, person in enumerate(self.volunteers):
            days = rng.choice(7, size=int(rng.integers(2, 5)), replace=False)
            rows.append(
                {
                    "volunteer_id": person,
                    "postcode": "E8",
                    "district": "E8",
                    "lat": float(lat[i]),
                    "lon": float(lon[i]),
                    "max_travel_km": float(rng.choice([1.5, 2.5, 3.5, 5.0])),
                    "availability": [_window(rng, int(d), [180, 240, 360]) for d in sorted(days)],
                    "capacity": int(rng.choice([1, 1, 2, 3])),
                    "is_active": True,
                    "created_dt": now,
                    "updated_dt": now,
                }
            )
        db.session.execute(sa.insert(Offer), rows)
        offer_ids = list(db.session.scalars(sa.select(Offer.id).order_by(Offer.id)))
        db.session.execute(
            offer_groups.insert(), [{"offer_id": o, "group_id": group.id} for o in offer_ids]
        )
        links = []
        for offer_id in offer_ids:
            for slug in np.array(SKILLS)[rng.random(len(SKILLS)) < HAVE_P].tolist():
                links.append(
                    {
                        "offer_id": offer_id,
                        "skill_id": self.skill_ids[slug],
                        "verified_dt": now if rng.random() < 0.85 else None,
                        "expires_on": date.today() + timedelta(days=730),
                    }
                )
        db.session.execute(sa.insert(OfferSkill), links)
        db.session.commit()
        self.group_id, self.coordinator_id = group.id, coordinator.id

    def post_needs(self, today: date) -> None:
        from mutualaid.extensions import db
        from mutualaid.models import Need, need_skills, utcnow

        a, rng, now = self.args, self.rng, utcnow()
        k = int(rng.poisson(a.needs_per_day))
        lat, lon = _points(rng, k)
        for i in range(k):
            weekly = rng.random() < a.weekly_share
            if weekly:
                days = rng.choice(7, size=int(rng.choice([1, 1, 2])), replace=False)
                windows = [_window(rng, int(d), [60, 90, 120]) for d in sorted(days)]
                on_date = None
            else:
                on_date = today + timedelta(days=int(rng.integers(1, 15)))
                windows = [_window(rng, on_date.weekday(), [60, 90, 120])]
            need = Need(
                group_id=self.group_id,
                requester_id=int(rng.choice(self.residents)),
                category="other",
                title=f"Need posted on day {today}",
                postcode="E8",
                district="E8",
                lat=float(lat[i]),
                lon=float(lon[i]),
                on_date=on_date,
                windows=windows,
                volunteers_needed=int(rng.choice([1, 1, 1, 2])),
                urgency=str(rng.choice(["low", "normal", "high"], p=[0.3, 0.5, 0.2])),
                status="open",
                created_dt=now,
                updated_dt=now,
            )
            _start_and_end(need, today, weekly, a.weekly_weeks)
            db.session.add(need)
            db.session.flush()
            n_sk = int(rng.choice([0, 1, 2], p=[0.3, 0.6, 0.1]))
            for slug in set(rng.choice(SKILLS, size=n_sk, p=NEED_P / NEED_P.sum()).tolist()):
                db.session.execute(
                    need_skills.insert().values(need_id=need.id, skill_id=self.skill_ids[slug])
                )
            self.posted["weekly" if weekly else "one-off"] += 1
        db.session.commit()

    # --- a day -------------------------------------------------------------------------------

    def day(self, n: int, today: date) -> None:
        from mutualaid.errors import DomainError
        from mutualaid.extensions import db
        from mutualaid.models import Group, Match, MatchStatus, Need, Person
        from mutualaid.services import matches, matching_runs

        self.post_needs(today)
        coordinator = db.session.get(Person, self.coordinator_id)
        run = matching_runs.execute_run(db.session.get(Group, self.group_id), trigger="command")
        if run.status != "succeeded":
            raise SystemExit(f"day {n}: run failed: {run.error}")
        engine = run.stats.get("engine", {})
        self.fill.append((n, engine.get("slots_requested", 0), engine.get("filled_slots", 0)))
        self.check_reasons(run)
        proposals = list(
            db.session.scalars(
                sa.select(Match.id)
                .join(Need, Need.id == Match.need_id)
                .where(Need.group_id == self.group_id, Match.status == MatchStatus.PROPOSED)
                .order_by(Match.id)
            )
        )
        for match_id in proposals:
            try:
                matches.approve_match(match_id, coordinator)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                self.refused[type(exc).__name__] += 1
        self.count_over_capacity()
        # one-offs done the day after; a share of weekly help is stepped back from
        rows = db.session.execute(
            sa.select(Match.id, Need.on_date, Need.windows)
            .join(Need, Need.id == Match.need_id)
            .where(Need.group_id == self.group_id, Match.status == MatchStatus.APPROVED)
            .order_by(Match.id)
        ).all()
        for match_id, on_date, windows in rows:
            if on_date is not None and on_date < today:
                w = windows[0]
                hours = (_minutes(w["end"]) - _minutes(w["start"])) / 60
                try:
                    matches.complete_match(match_id, coordinator, hours)
                    db.session.commit()
                    self.completed += 1
                except DomainError:
                    db.session.rollback()
                    self.refused["complete"] += 1
            elif on_date is None and self.rng.random() < self.args.step_back_rate:
                try:
                    matches.cancel_match(match_id, coordinator, "Stepping back (simulated)")
                    db.session.commit()
                    self.steps_back += 1
                except DomainError:
                    db.session.rollback()
                    self.refused["step back"] += 1
        matches.expire_needs()
        db.session.commit()

    def count_over_capacity(self) -> None:
        from mutualaid.extensions import db
        from mutualaid.models import Match, MatchStatus, Offer

        held = (
            sa.select(Match.offer_id, sa.func.count().label("n"))
            .where(Match.status == MatchStatus.APPROVED)
            .group_by(Match.offer_id)
            .subquery()
        )
        self.over_capacity += db.session.scalar(
            sa.select(sa.func.count())
            .select_from(held)
            .join(Offer, Offer.id == held.c.offer_id)
            .where(held.c.n > Offer.capacity)
        )

    # --- are the reasons true? ---------------------------------------------------------------

    def check_reasons(self, run: Any) -> None:
        import matching
        from mutualaid.extensions import db
        from mutualaid.models import utcnow
        from mutualaid.services import matching_runs, reasons

        unmatched = run.unmatched or []
        for u in unmatched:
            self.reasons[u["reason_code"]] += 1
        todo = [u for u in unmatched if u["reason_code"] in CHECKED]
        if not todo:
            return
        now = utcnow()
        loaded = matching_runs.load_instance(self.group_id, now)
        facts = reasons.load_facts(
            self.group_id, now, [int(n["id"]) for n in loaded.instance["needs"]]
        )
        db.session.rollback()
        needs = {int(n["id"]): n for n in loaded.instance["needs"]}
        for u in todo:
            code, need_id = u["reason_code"], u["need"]
            need = needs.get(need_id)
            if need is None:
                continue
            self.checked[code] += 1
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
                        o for o in askable if need["remote_ok"] or _km(need, o) <= o["max_km"]
                    ]
                # compared with the places the run had to fill, as the reason does
                demand = int(need["volunteers_needed"])
                self.true[code] += len({o["person"] for o in askable}) < demand
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
            exclude = [
                p for p in loaded.instance["exclude"] if p[0] == str(need_id) and p[1] in ids
            ]
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
            self.true[code] += all(matched) if code == "split" else any(matched)

    # --- the month in figures ----------------------------------------------------------------

    def report(self, seconds: float) -> None:
        import matching
        from matching.schedule import Schedule, clash
        from mutualaid.extensions import db
        from mutualaid.models import Match, MatchStatus, Need, Offer
        from mutualaid.models.matches import HOLDING_MATCH_STATUSES

        a = self.args
        print(f"## A month of one group: {a.days} days, seed {a.seed}")
        print()
        print(
            f"inputs: {a.offers} offers within {RADIUS_KM} km, {a.residents} residents "
            f"({a.residents // 10} of them also volunteer), about {a.needs_per_day} needs a day "
            f"({self.posted['one-off']} one-off and {self.posted['weekly']} weekly posted), "
            f"every proposal approved, one-offs completed after their day, "
            f"{a.step_back_rate:.0%} of weekly commitments stepped back from each day; "
            f"{seconds:.0f} s"
        )
        print(
            f"completed: {self.completed}; stepped back: {self.steps_back}; "
            f"approvals or completions refused: {dict(self.refused)}"
        )
        print()
        print("| days | slots asked | filled | fill rate |")
        print("|---|---|---|---|")
        for lo in range(0, len(self.fill), 10):
            chunk = self.fill[lo : lo + 10]
            asked = sum(c[1] for c in chunk)
            got = sum(c[2] for c in chunk)
            print(f"| {chunk[0][0]}-{chunk[-1][0]} | {asked} | {got} | {got / max(asked, 1):.0%} |")
        print()
        rows = db.session.execute(
            sa.select(
                Match.id,
                Offer.volunteer_id,
                Need.requester_id,
                Need.on_date,
                Need.windows,
                *(_schedule_columns(Need)),
            )
            .join(Need, Need.id == Match.need_id)
            .join(Offer, Offer.id == Match.offer_id)
            .where(Need.group_id == self.group_id, Match.status.in_(HOLDING_MATCH_STATUSES))
        ).all()
        by_person: dict[int, list[Schedule]] = defaultdict(list)
        self_matches = 0
        for row in rows:
            _, person, requester, on_date, windows = row[:5]
            self_matches += person == requester
            by_person[person].append(_schedule(on_date, windows, row[5:]))
        clashes = 0
        for schedules in by_person.values():
            for i in range(len(schedules)):
                for j in range(i + 1, len(schedules)):
                    clashes += clash(schedules[i], schedules[j]) is not None
        print(f"clashes between one person's commitments: {clashes}")
        print(f"self-matches: {self_matches}")
        print(f"an offer over its capacity (offer-days): {self.over_capacity}")
        print()
        # who could have taken how many of the month's needs (the engine's candidate test)
        month = matching_runs_instance_of_all(self.group_id)
        cand = matching.candidates(matching.parse_instance(month))
        person_of = {v["id"]: v["person"] for v in month["volunteers"]}
        pairs = {
            (int(n), person_of[month["volunteers"][v]["id"]])
            for n, v in zip(cand.need_index.tolist(), cand.volunteer_index.tolist())
        }
        suitable = Counter(p for _, p in pairs)
        load = Counter(
            p
            for p in (
                r[1]
                for r in db.session.execute(
                    sa.select(Match.id, Offer.volunteer_id)
                    .join(Offer, Offer.id == Match.offer_id)
                    .join(Need, Need.id == Match.need_id)
                    .where(
                        Need.group_id == self.group_id,
                        Match.status.in_(
                            (*HOLDING_MATCH_STATUSES, MatchStatus.CANCELLED, MatchStatus.DECLINED)
                        ),
                        Match.decided_by_id.is_not(None),
                    )
                )
            )
        )
        print(
            "| volunteers suitable for at least | people | median | p90 | max | max/median "
            "| Gini | top 10 % share | never used |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for floor in (1, a.suitable):
            people = [p for p, k in suitable.items() if k >= floor]
            x = np.array([load.get(p, 0) for p in people], dtype=np.float64)
            if x.size == 0:
                continue
            med = float(np.median(x))
            top = np.sort(x)[::-1][: max(1, math.ceil(x.size / 10))].sum() / max(x.sum(), 1)
            print(
                f"| {floor} | {x.size} | {med:g} | {np.percentile(x, 90):g} | {x.max():g} "
                f"| {x.max() / med if med else float('inf'):.1f} | {_gini(x):.3f} "
                f"| {top:.0%} | {np.mean(x == 0):.0%} |"
            )
        print()
        print("| reason | count | checked | true |")
        print("|---|---|---|---|")
        for code, k in self.reasons.most_common():
            print(f"| {code} | {k} | {self.checked.get(code, 0)} | {self.true.get(code, 0)} |")


def _start_and_end(need: Any, today: date, weekly: bool, weeks: int) -> None:
    """Dates for a weekly need, where the schema has them (start today, end after ``weeks``)."""
    if not weekly:
        return
    for start, end in (("start_date", "end_date"), ("starts_on", "ends_on")):
        if hasattr(type(need), start):
            setattr(need, start, today)
            setattr(need, end, today + timedelta(weeks=weeks) - timedelta(days=1))
            return


def _schedule_columns(model: Any) -> list[Any]:
    for start, end in (("start_date", "end_date"), ("starts_on", "ends_on")):
        if hasattr(model, start):
            return [getattr(model, start), getattr(model, end)]
    return []


def _schedule(on_date: date | None, windows: list[dict], extra: Any) -> Any:
    from matching.schedule import Schedule

    wins = tuple((w["weekday"], _minutes(w["start"]), _minutes(w["end"])) for w in windows)
    if on_date is not None:
        return Schedule(on_date, on_date, wins)
    first, last = (*tuple(extra), None, None)[:2]
    return Schedule(first, last, wins)


def _km(need: dict[str, Any], offer: dict[str, Any]) -> float:
    """Great-circle distance (haversine), independent of the engine's own."""
    la1, lo1, la2, lo2 = map(math.radians, (need["lat"], need["lon"], offer["lat"], offer["lon"]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _held(offer_id: int) -> int:
    from mutualaid.extensions import db
    from mutualaid.models import Match, MatchStatus

    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Match.offer_id == offer_id, Match.status == MatchStatus.APPROVED
        )
    )


def matching_runs_instance_of_all(group_id: int) -> dict[str, Any]:
    """Every need of the month against every offer, capacity and history aside."""
    from mutualaid.extensions import db
    from mutualaid.models import Need, utcnow
    from mutualaid.services import reasons

    now = utcnow()
    facts = reasons.load_facts(group_id, now, [])
    skills = defaultdict(list)
    from mutualaid.models import Skill, need_skills

    for need_id, slug in db.session.execute(
        sa.select(need_skills.c.need_id, Skill.slug).join(Skill, Skill.id == need_skills.c.skill_id)
    ):
        skills[need_id].append(slug)
    needs = []
    for need_id, lat, lon, windows in db.session.execute(
        sa.select(Need.id, Need.lat, Need.lon, Need.windows).where(Need.group_id == group_id)
    ):
        needs.append(
            {
                "id": str(need_id),
                "lat": lat,
                "lon": lon,
                "skills": skills.get(need_id, []),
                "windows": windows,
                "volunteers_needed": 1,
                "urgency": 0.5,
                "remote_ok": False,
            }
        )
    return {
        "needs": needs,
        "volunteers": [
            {
                "id": str(o["id"]),
                "person": o["person"],
                "lat": o["lat"],
                "lon": o["lon"],
                "skills": o["usable"],
                "max_km": o["max_km"],
                "capacity": 1,
                "availability": o["availability"],
            }
            for o in facts.offers
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--offers", type=int, default=300)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--needs-per-day", type=float, default=20)
    parser.add_argument("--weekly-share", type=float, default=0.3)
    parser.add_argument("--weekly-weeks", type=int, default=8)
    parser.add_argument("--step-back-rate", type=float, default=0.01)
    parser.add_argument("--suitable", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import time_machine

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from flask_migrate import upgrade

    from mutualaid.config import database_url
    from mutualaid.extensions import db
    from web import create_app

    tmp = None
    if args.database_url:
        url = database_url()
    else:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/sim.sqlite"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SCHEDULER_ENABLED": False,
            "SECRET_KEY": secrets.token_hex(32),
        }
    )
    start = date.today()
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        sim = Sim(args)
        t0 = time.perf_counter()
        with time_machine.travel(
            datetime.combine(start, datetime.min.time()).replace(hour=9), tick=False
        ):
            sim.seed()
        for n in range(args.days):
            today = start + timedelta(days=n)
            with time_machine.travel(
                datetime.combine(today, datetime.min.time()).replace(hour=9), tick=True
            ):
                sim.day(n + 1, today)
        with time_machine.travel(
            datetime.combine(start + timedelta(days=args.days), datetime.min.time()).replace(
                hour=9
            ),
            tick=True,
        ):
            sim.report(time.perf_counter() - t0)
        db.session.remove()
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()

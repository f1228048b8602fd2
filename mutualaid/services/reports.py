"""A group's report for a period: what was asked, matched and done, in aggregate.

Numbers only, never a name, contact or address: the report is for the group's coordinators,
and what it shows could be shared further. Counts are done in SQL; the times to match (a
median needs every value) are read as one row per need.

Definitions (the page says them too):

- a need is *posted* in the week it was created; a match is *approved* in the week a coordinator
  approved it (it is approved or completed now); it is *completed* in the week its hours were
  recorded;
- *fill rate*: of the needs posted in the period, the share with at least one approved or
  completed match now;
- *time to match*: from a need's posting to its first approval, for needs posted in the period;
- *active volunteers*: people with a match approved or completed in the period; their *load* is
  how many such matches each has;
- *skills most often missing* and *unmatched reasons*: from the last matching run that finished
  in the period (each run replaces the one before, so runs are not added up).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..errors import ValidationFailed
from ..extensions import db
from ..models import (
    CATEGORIES,
    HOLDING_MATCH_STATUSES,
    Group,
    Match,
    MatchingRun,
    MatchStatus,
    Need,
    Offer,
    Person,
    RunStatus,
    Skill,
    need_skills,
)
from . import accounts

#: The longest period a report covers.
MAX_DAYS = 371
#: The default period: the last eight weeks.
DEFAULT_DAYS = 56
#: The buckets of the load spread: (label, least, most) matches per volunteer.
LOAD_BUCKETS = (("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4-5", 4, 5), ("6 or more", 6, 10**9))


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # included

    @property
    def start_dt(self) -> datetime:
        return datetime.combine(self.since, datetime.min.time())

    @property
    def end_dt(self) -> datetime:
        return datetime.combine(self.until + timedelta(days=1), datetime.min.time())


def period(since: date | None, until: date | None, today: date | None = None) -> Period:
    """The period asked for (the last eight weeks by default); a field error if it is not one."""
    today = today or date.today()
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ValidationFailed.field("from", "The first day comes after the last.")
    if (until - since).days >= MAX_DAYS:
        raise ValidationFailed.field("from", f"Choose a period of at most {MAX_DAYS} days.")
    return Period(since, until)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_of(value: Any) -> date:
    when = value if isinstance(value, date) else datetime.fromisoformat(str(value))
    return _monday(when.date() if isinstance(when, datetime) else when)


def _in(column: Any, span: Period) -> Any:
    return sa.and_(column >= span.start_dt, column < span.end_dt)


def _weekly(span: Period) -> list[date]:
    weeks = []
    week = _monday(span.since)
    while week <= span.until:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks


def _by_week(rows: Any) -> Counter[date]:
    """``(datetime, n)`` rows (per day, from SQL) added up per week, in Python: a week's start is
    not portable SQL between SQLite and PostgreSQL."""
    out: Counter[date] = Counter()
    for when, n in rows:
        if when is not None:
            out[_week_of(when)] += int(n or 0)
    return out


def _day(column: Any) -> Any:
    return sa.func.date(column)


def build_report(person: Person, group: Group, span: Period) -> dict[str, Any]:
    """Every figure of the report, for the group's coordinators."""
    accounts.require_coordinator(person, group)
    in_group = Need.group_id == group.id
    holding = Match.status.in_(list(HOLDING_MATCH_STATUSES))

    posted_days = db.session.execute(
        sa.select(_day(Need.created_dt), sa.func.count(Need.id))
        .where(in_group, _in(Need.created_dt, span))
        .group_by(_day(Need.created_dt))
    ).all()
    approved_days = db.session.execute(
        sa.select(_day(Match.decided_dt), sa.func.count(Match.id))
        .join(Need, Need.id == Match.need_id)
        .where(in_group, holding, _in(Match.decided_dt, span))
        .group_by(_day(Match.decided_dt))
    ).all()
    completed_rows = db.session.execute(
        sa.select(_day(Match.completed_dt), sa.func.count(Match.id), sa.func.sum(Match.hours))
        .join(Need, Need.id == Match.need_id)
        .where(in_group, Match.status == MatchStatus.COMPLETED, _in(Match.completed_dt, span))
        .group_by(_day(Match.completed_dt))
    ).all()
    posted, approved = _by_week(posted_days), _by_week(approved_days)
    completed = _by_week((d, n) for d, n, _ in completed_rows)
    hours: dict[date, float] = {}
    for when, _, total in completed_rows:
        if when is not None:
            hours[_week_of(when)] = hours.get(_week_of(when), 0.0) + float(total or 0)
    weeks = [
        {
            "week": week,
            "posted": posted[week],
            "approved": approved[week],
            "completed": completed[week],
            "hours": round(hours.get(week, 0.0), 2),
        }
        for week in _weekly(span)
    ]

    first_approval = (
        sa.select(Match.need_id, sa.func.min(Match.decided_dt).label("first"))
        .where(holding)
        .group_by(Match.need_id)
        .subquery()
    )
    need_rows = db.session.execute(
        sa.select(Need.category, Need.status, Need.created_dt, first_approval.c.first)
        .outerjoin(first_approval, first_approval.c.need_id == Need.id)
        .where(in_group, _in(Need.created_dt, span))
    ).all()
    categories: dict[str, dict[str, int]] = {}
    waits: list[float] = []
    for category, status, created, first in need_rows:
        row = categories.setdefault(category, {"posted": 0, "matched": 0, "fulfilled": 0})
        row["posted"] += 1
        if first is not None:
            row["matched"] += 1
            waits.append(max(0.0, (first - created).total_seconds() / 3600))
        if status == "fulfilled":
            row["fulfilled"] += 1
    by_category = [
        {"category": slug, "name": CATEGORIES.get(slug, slug), **counts}
        for slug, counts in sorted(categories.items(), key=lambda kv: (-kv[1]["posted"], kv[0]))
    ]
    total_posted = len(need_rows)
    total_matched = sum(c["matched"] for c in categories.values())

    loads = db.session.execute(
        sa.select(Offer.volunteer_id, sa.func.count(Match.id))
        .join(Match, Match.offer_id == Offer.id)
        .join(Need, Need.id == Match.need_id)
        .where(
            in_group,
            holding,
            sa.or_(_in(Match.decided_dt, span), _in(Match.completed_dt, span)),
        )
        .group_by(Offer.volunteer_id)
    ).all()
    spread = [
        {"matches": label, "volunteers": sum(1 for _, n in loads if low <= n <= high)}
        for label, low, high in LOAD_BUCKETS
    ]

    run = db.session.scalar(
        sa.select(MatchingRun)
        .where(
            MatchingRun.group_id == group.id,
            MatchingRun.status == RunStatus.SUCCEEDED,
            _in(MatchingRun.finished_dt, span),
        )
        .order_by(MatchingRun.finished_dt.desc(), MatchingRun.id.desc())
        .limit(1)
    )
    unmatched = list(run.unmatched or []) if run is not None else []
    reasons = Counter(str(u.get("reason_code") or "unknown") for u in unmatched)
    short_of_skill = [u["need"] for u in unmatched if u.get("reason_code") == "no_skill"]
    missing = db.session.execute(
        sa.select(Skill.name, sa.func.count(need_skills.c.need_id))
        .join(need_skills, need_skills.c.skill_id == Skill.id)
        .where(need_skills.c.need_id.in_(short_of_skill))
        .group_by(Skill.name)
        .order_by(sa.func.count(need_skills.c.need_id).desc(), Skill.name)
        .limit(10)
    ).all()

    return {
        "since": span.since,
        "until": span.until,
        "weeks": weeks,
        "by_category": by_category,
        "needs_posted": total_posted,
        "needs_matched": total_matched,
        "fill_rate": round(total_matched / total_posted, 4) if total_posted else None,
        "time_to_match_hours": {
            "median": round(statistics.median(waits), 1) if waits else None,
            "longest": round(max(waits), 1) if waits else None,
            "needs": len(waits),
        },
        "hours_given": round(sum(hours.values()), 2),
        "active_volunteers": len(loads),
        "load_spread": spread,
        "last_run_at": run.finished_dt if run is not None else None,
        "skills_missing": [{"skill": name, "needs": int(n)} for name, n in missing],
        "unmatched_reasons": [
            {"code": code, "needs": n} for code, n in sorted(reasons.items(), key=lambda kv: -kv[1])
        ],
    }

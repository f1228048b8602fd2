"""The coordinators' queue of a group's matches: searched, filtered, sorted and paged in SQL.

Filters are applied before paging, so the count and the pages agree with what is shown. A
need's matches sit together (grouped by need): the sort picks the order of the needs, and
within a need the best score comes first. One query reads a page, one counts every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from matching import WEIGHTS

from ..extensions import db
from ..models import (
    CATEGORIES,
    URGENCIES,
    Group,
    Match,
    MatchStatus,
    Need,
    Offer,
    OfferSkill,
    Person,
    Skill,
    Urgency,
    need_skills,
)
from . import accounts
from .common import Page

#: The orders a coordinator can choose, by name: what each puts first.
SORTS = {
    "urgency": "Most urgent first",
    "waiting": "Waiting longest first",
    "score": "Best score first",
}
#: The statuses the queue can show, by name.
QUEUE_STATUSES = {MatchStatus.PROPOSED: "Waiting for a decision", MatchStatus.APPROVED: "Approved"}
#: The longest search text taken.
MAX_SEARCH = 100

_URGENCY_RANK = sa.case(
    (Need.urgency == Urgency.HIGH, 0), (Need.urgency == Urgency.NORMAL, 1), else_=2
)
_LOADS = (
    joinedload(Match.need).joinedload(Need.requester),
    joinedload(Match.need).selectinload(Need.skills),
    joinedload(Match.offer).joinedload(Offer.volunteer),
    joinedload(Match.offer).selectinload(Offer.offer_skills).joinedload(OfferSkill.skill),
    joinedload(Match.offer).selectinload(Offer.groups),
)


@dataclass
class QueueQuery:
    """What the coordinator asked to see. Unknown values are dropped and said in ``problems``."""

    status: str = MatchStatus.PROPOSED
    search: str = ""
    category: str | None = None
    urgency: str | None = None
    district: str | None = None
    sort: str = "urgency"
    grouped: bool = True
    problems: tuple[str, ...] = ()

    @classmethod
    def from_args(cls, args: Any) -> QueueQuery:
        """Read ``?status&q&category&urgency&district&sort&grouped`` from a query string."""
        problems: list[str] = []

        def choice(name: str, allowed: Any, default: str | None) -> str | None:
            value = (args.get(name) or "").strip()
            if value and value not in allowed:
                problems.append(f"Unknown {name} “{value[:40]}”: it was left out.")
                return default
            return value or default

        district = (args.get("district") or "").strip().upper().replace(" ", "")[:6]
        return cls(
            status=choice("status", QUEUE_STATUSES, MatchStatus.PROPOSED) or MatchStatus.PROPOSED,
            search=" ".join((args.get("q") or "").split())[:MAX_SEARCH],
            category=choice("category", CATEGORIES, None),
            urgency=choice("urgency", URGENCIES, None),
            district=district or None,
            sort=choice("sort", SORTS, "urgency") or "urgency",
            grouped=(args.get("grouped") or "1") != "0",
            problems=tuple(problems),
        )

    def args(self) -> dict[str, str]:
        """The query string that asks for this again (for the pager's links)."""
        out = {
            "status": self.status,
            "q": self.search,
            "category": self.category or "",
            "urgency": self.urgency or "",
            "district": self.district or "",
            "sort": self.sort,
            "grouped": "1" if self.grouped else "0",
        }
        return {k: v for k, v in out.items() if v}


def _filtered(group: Group, query: QueueQuery) -> sa.Select[Any]:
    where: list[sa.ColumnElement[bool]] = [Need.group_id == group.id, Match.status == query.status]
    if query.category:
        where.append(Need.category == query.category)
    if query.urgency:
        where.append(Need.urgency == query.urgency)
    if query.district:
        where.append(Need.district == query.district)
    if query.search:
        term = query.search
        skill_hit = (
            sa.select(need_skills.c.need_id)
            .join(Skill, Skill.id == need_skills.c.skill_id)
            .where(
                need_skills.c.need_id == Need.id,
                sa.or_(
                    Skill.name.icontains(term, autoescape=True),
                    Skill.slug.icontains(term, autoescape=True),
                ),
            )
            .exists()
        )
        where.append(
            sa.or_(
                Need.title.icontains(term, autoescape=True),
                Need.district.icontains(term.replace(" ", ""), autoescape=True),
                skill_hit,
            )
        )
    return sa.select(Match.id).join(Need, Need.id == Match.need_id).where(*where)


def _order(query: QueueQuery, best: Any) -> list[Any]:
    """The order of the page: the needs by the chosen sort, then each need's matches by score."""
    by_need: list[Any]
    if query.sort == "urgency":
        by_need = [_URGENCY_RANK, Need.created_dt, Need.id]
    elif query.sort == "waiting":
        by_need = [Need.created_dt, Need.id]
    else:
        by_need = [best.desc(), Need.id] if query.grouped else []
    return [*by_need, Match.score.desc(), Match.id]


def queue_page(
    person: Person, group: Group, query: QueueQuery, *, limit: int, offset: int
) -> Page[Match]:
    """A page of the group's matches as ``query`` asks, for the group's coordinators."""
    accounts.require_coordinator(person, group)
    filtered = _filtered(group, query)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(filtered.subquery())) or 0
    best = sa.func.max(Match.score).over(partition_by=Match.need_id)
    ranked = filtered.add_columns(best.label("best"))
    ranked_sq = ranked.subquery()
    ordered = (
        sa.select(Match)
        .join(ranked_sq, ranked_sq.c.id == Match.id)
        .join(Need, Need.id == Match.need_id)
        .options(*_LOADS)
        .order_by(*_order(query, ranked_sq.c.best))
        .limit(limit)
        .offset(offset)
    )
    return Page(list(db.session.scalars(ordered).unique()), total, limit, offset)


def status_counts(group: Group) -> dict[str, int]:
    """How many of the group's matches are waiting and approved, counted in SQL."""
    rows = db.session.execute(
        sa.select(Match.status, sa.func.count(Match.id))
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group.id, Match.status.in_(list(QUEUE_STATUSES)))
        .group_by(Match.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in QUEUE_STATUSES}


# --- the score in words -----------------------------------------------------------------------


def _share(parts: dict[str, Any], name: str) -> float | None:
    value = parts.get(name)
    if not isinstance(value, (int, float)):
        return None
    return max(0.0, min(1.0, float(value) / WEIGHTS[name]))


def score_words(explanation: dict[str, Any] | None) -> list[str]:
    """The parts of a score as a coordinator reads them: "close by", "urgent", "waiting 3
    days", "hasn't helped lately" (see :mod:`matching._scoring` for the parts)."""
    ex = explanation or {}
    parts = ex.get("score_parts")
    if not isinstance(parts, dict):
        return []
    words: list[str] = []
    closeness = _share(parts, "closeness")
    if closeness is not None:
        if closeness >= 0.75:
            words.append("very close by")
        elif closeness >= 0.4:
            words.append("close by")
        elif closeness > 0:
            words.append("within reach")
        else:
            words.append("remote help" if ex.get("remote") else "at the edge of their reach")
    urgency = _share(parts, "urgency")
    if urgency is not None:
        words.append(
            "urgent" if urgency >= 0.99 else "not urgent" if urgency <= 0.2 else "normal urgency"
        )
    waiting = _share(parts, "waiting")
    if waiting is not None:
        hours = 48 * waiting / (1 - waiting) if waiting < 0.999 else float("inf")
        if hours < 24:
            words.append("posted today")
        elif hours == float("inf") or hours >= 24 * 60:
            words.append("waiting for weeks")
        else:
            days = int(round(hours) // 24)
            words.append(f"waiting {days} day{'s' if days != 1 else ''}")
    fairness = _share(parts, "fairness")
    if fairness is not None and fairness > 0:
        load = round(5 * (1 / fairness - 1))
        if load == 0:
            words.append("hasn't helped lately")
        else:
            words.append(f"helped {load} time{'s' if load != 1 else ''} in the last 30 days")
    return words


def queue_rows(
    person: Person, group: Group, query: QueueQuery, chunk: int = 500
) -> Iterator[Match]:
    """Every match ``query`` finds, in the queue's order, read a page at a time (for exports)."""
    offset = 0
    while True:
        page = queue_page(person, group, query, limit=chunk, offset=offset)
        yield from page.items
        offset += chunk
        if offset >= page.total or not page.items:
            return

"""A person's dashboard: their needs, offers and matches, and what to do next.

One account both asks and helps, and may coordinate groups, so the dashboard shows whichever
of these apply, most pressing first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..models import ACTIVE_NEED_STATUSES, Group, Match, MatchStatus, Need, Offer, Person
from . import groups as group_service
from . import matches as match_service
from .common import count_matches

#: How many of a person's needs and matches the dashboard lists (the rest are a link away).
SHOWN = 8


@dataclass(frozen=True)
class NextStep:
    text: str
    endpoint: str
    args: dict[str, object] = field(default_factory=dict)


@dataclass
class Dashboard:
    needs: list[Need]
    needs_total: int
    offers_active: int
    offers_total: int
    helping: list[Match]  # agreed, not yet done, as a volunteer
    suggested: int  # proposals of my offers waiting for a coordinator
    coordinating: list[tuple[Group, int]]  # each group I coordinate, with proposals waiting
    next_steps: list[NextStep]


def _count(query: sa.Select[int]) -> int:
    return db.session.scalar(query) or 0


def for_person(person: Person, today: date | None = None) -> Dashboard:
    today = today or date.today()
    needs = list(
        db.session.scalars(
            sa.select(Need)
            .where(Need.requester_id == person.id)
            .order_by(Need.status.in_(ACTIVE_NEED_STATUSES).desc(), Need.created_dt.desc())
            .limit(SHOWN)
        )
    )
    needs_total = _count(sa.select(sa.func.count(Need.id)).where(Need.requester_id == person.id))
    mine = Offer.volunteer_id == person.id
    offers_total = _count(sa.select(sa.func.count(Offer.id)).where(mine))
    offers_active = _count(sa.select(sa.func.count(Offer.id)).where(mine, Offer.is_active))
    helping = match_service.matches_for_volunteer(person, [MatchStatus.APPROVED])
    suggested = _count(
        sa.select(sa.func.count(Match.id))
        .join(Offer, Offer.id == Match.offer_id)
        .where(mine, Match.status == MatchStatus.PROPOSED)
    )
    coordinating = [
        (
            group,
            count_matches(
                Match.status == MatchStatus.PROPOSED,
                Match.need_id.in_(sa.select(Need.id).where(Need.group_id == group.id)),
            ),
        )
        for group in group_service.coordinated_groups(person)
    ]

    steps: list[NextStep] = []
    for group, waiting in coordinating:
        if waiting:
            steps.append(
                NextStep(
                    f"{waiting} suggested {'match waits' if waiting == 1 else 'matches wait'} "
                    f"for you to approve or reject in {group.name}.",
                    "pages.match_queue",
                    {"slug": group.slug},
                )
            )
    past = [m for m in helping if m.need.on_date is not None and m.need.on_date < today]
    if past:
        steps.append(
            NextStep(
                f"Say how it went: {len(past)} of the times you agreed to help "
                f"{'has' if len(past) == 1 else 'have'} passed.",
                "pages.my_matches",
            )
        )
    if not needs_total and not offers_total:
        steps.append(NextStep("Ask your neighbours for help.", "pages.new_need"))
        steps.append(NextStep("Offer some of your time.", "pages.new_offer"))
    elif offers_total and not offers_active:
        steps.append(
            NextStep("Your offers are all withdrawn: offer your time again.", "pages.new_offer")
        )
    return Dashboard(
        needs=needs,
        needs_total=needs_total,
        offers_active=offers_active,
        offers_total=offers_total,
        helping=helping[:SHOWN],
        suggested=suggested,
        coordinating=coordinating,
        next_steps=steps,
    )

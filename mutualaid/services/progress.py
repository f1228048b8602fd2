"""Where a need stands, in the words its resident reads: posted, looking, a volunteer suggested,
agreed (with who is coming), done, or closed with the reason.

The resident sees this on their dashboard, on the need's page and through the API (``progress``,
for the need's owner and its group's coordinators only: it names the volunteers coming).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    HOLDING_MATCH_STATUSES,
    Match,
    MatchingRun,
    MatchStatus,
    Need,
    NeedStatus,
    Offer,
    Person,
    RunStatus,
)
from .common import count_matches


@dataclass(frozen=True)
class Progress:
    #: ``posted``, ``looking``, ``suggested``, ``agreed``, ``done``, ``expired``, ``cancelled``
    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


def _names(people: list[str]) -> str:
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]


def _coming(need: Need) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Person.name)
            .join(Offer, Offer.volunteer_id == Person.id)
            .join(Match, Match.offer_id == Offer.id)
            .where(Match.need_id == need.id, Match.status.in_(HOLDING_MATCH_STATUSES))
            .order_by(Match.id)
        )
    )


def _suggested(need: Need) -> int:
    return count_matches(Match.need_id == need.id, Match.status == MatchStatus.PROPOSED)


def _looked_at(need: Need) -> bool:
    """Whether a matching run of the need's group has finished since the need was posted."""
    return (
        db.session.scalar(
            sa.select(MatchingRun.id)
            .where(
                MatchingRun.group_id == need.group_id,
                MatchingRun.status == RunStatus.SUCCEEDED,
                MatchingRun.finished_dt >= need.created_dt,
            )
            .limit(1)
        )
        is not None
    )


def progress(need: Need) -> Progress:
    """Where ``need`` stands now."""
    if need.status == NeedStatus.FULFILLED:
        return Progress("done", "Done. Thank you for letting us know.")
    if need.status == NeedStatus.CANCELLED:
        return Progress("cancelled", "Cancelled. Nobody is looking for a volunteer for it now.")
    if need.status == NeedStatus.EXPIRED:
        return Progress(
            "expired",
            "Expired: its time passed before a volunteer was agreed. You can post it again.",
        )
    coming = _coming(need)
    if coming and len(coming) >= need.volunteers_needed:
        verb = "is" if len(coming) == 1 else "are"
        return Progress("agreed", f"Agreed: {_names(coming)} {verb} coming.")
    suggested = _suggested(need)
    if suggested:
        who = "A volunteer has" if suggested == 1 else f"{suggested} volunteers have"
        text = f"{who} been suggested, waiting for a coordinator to agree."
        if coming:
            text = f"{_names(coming)} {'is' if len(coming) == 1 else 'are'} coming. {text}"
        return Progress("suggested", text)
    if coming:
        missing = need.volunteers_needed - len(coming)
        verb = "is" if len(coming) == 1 else "are"
        return Progress(
            "agreed",
            f"{_names(coming)} {verb} coming; we're looking for {missing} more.",
        )
    if _looked_at(need):
        return Progress("looking", "We're looking for a volunteer.")
    return Progress(
        "posted", "Posted. Your group's coordinators will look for a volunteer shortly."
    )

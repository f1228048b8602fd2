"""Where a need stands, in the words its resident reads: posted, looking, a volunteer suggested,
agreed (with who is coming), done, or closed with the reason.

The resident sees this on their dashboard, on the need's page and through the API (``progress``,
for the need's owner and its group's coordinators only: it names the volunteers coming).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

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


@dataclass(frozen=True)
class Progress:
    #: ``posted``, ``looking``, ``suggested``, ``agreed``, ``done``, ``expired``, ``cancelled``
    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


def _names(people: list[str]) -> str:
    return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]


def progresses(
    needs: Sequence[Need], coming: Mapping[int, list[str]] | None = None
) -> dict[int, Progress]:
    """Where each need stands, by need id, in three queries for the whole list.

    ``coming``: the names of each need's approved volunteers, when the caller has read them
    already (:func:`mutualaid.services.visibility.need_views` has).
    """
    ids = [n.id for n in needs]
    if not ids:
        return {}
    if coming is None:
        names: dict[int, list[str]] = {}
        for need_id, name in db.session.execute(
            sa.select(Match.need_id, Person.name)
            .join(Offer, Offer.id == Match.offer_id)
            .join(Person, Person.id == Offer.volunteer_id)
            .where(Match.need_id.in_(ids), Match.status.in_(HOLDING_MATCH_STATUSES))
            .order_by(Match.id)
        ):
            names.setdefault(need_id, []).append(name)
        coming = names
    suggested: dict[int, int] = {
        need_id: n
        for need_id, n in db.session.execute(
            sa.select(Match.need_id, sa.func.count(Match.id))
            .where(Match.need_id.in_(ids), Match.status == MatchStatus.PROPOSED)
            .group_by(Match.need_id)
        )
    }
    last_run: dict[int, datetime | None] = {
        group_id: finished
        for group_id, finished in db.session.execute(
            sa.select(MatchingRun.group_id, sa.func.max(MatchingRun.finished_dt))
            .where(
                MatchingRun.group_id.in_({n.group_id for n in needs}),
                MatchingRun.status == RunStatus.SUCCEEDED,
            )
            .group_by(MatchingRun.group_id)
        )
    }
    return {
        n.id: _progress(n, coming.get(n.id, []), suggested.get(n.id, 0), last_run.get(n.group_id))
        for n in needs
    }


def progress(need: Need) -> Progress:
    """Where ``need`` stands now."""
    return progresses([need])[need.id]


def _progress(need: Need, coming: list[str], suggested: int, last_run: datetime | None) -> Progress:
    """Where ``need`` stands, from its approved volunteers' names, its open proposals and when
    its group's last successful matching run finished."""
    if need.status == NeedStatus.FULFILLED:
        return Progress("done", "Done. Thank you for letting us know.")
    if need.status == NeedStatus.CANCELLED:
        return Progress("cancelled", "Cancelled. Nobody is looking for a volunteer for it now.")
    if need.status == NeedStatus.EXPIRED:
        return Progress(
            "expired",
            "Expired: its time passed before a volunteer was agreed. You can post it again.",
        )
    if coming and len(coming) >= need.volunteers_needed:
        verb = "is" if len(coming) == 1 else "are"
        return Progress("agreed", f"Agreed: {_names(coming)} {verb} coming.")
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
    if last_run is not None and last_run >= need.created_dt:
        return Progress("looking", "We're looking for a volunteer.")
    return Progress(
        "posted", "Posted. Your group's coordinators will look for a volunteer shortly."
    )

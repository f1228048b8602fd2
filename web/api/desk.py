"""The coordinator's desk: the group's queue, paged and searched."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas.desk import QueuePageSchema, QueueQuerySchema
from mutualaid.services import accounts, groups, matches, queue

from . import bp


def _coordinated(person: Person, slug: str) -> None:
    accounts.require_coordinator(person, groups.get_group_by_slug(slug))


@bp.get("/groups/<slug>/queue")
@bp.login_required(check=_coordinated)
@bp.arguments(QueueQuerySchema, location="query")
@bp.response(200, QueuePageSchema, dumped=True, description="A page of the group's queue.")
def group_queue(args: dict[str, Any], person: Person, slug: str) -> dict[str, Any]:
    """A group's queue of matches, searched, filtered, sorted and paged.

    The group's coordinators. Filters apply before paging, so `total` counts what the query
    finds. A need's matches sit together; within a need the best score comes first.
    """
    group = groups.get_group_by_slug(slug)
    asked = queue.QueueQuery(
        status=args["status"],
        search=" ".join(args["q"].split()),
        category=args.get("category"),
        urgency=args.get("urgency"),
        district=(args.get("district") or "").upper().replace(" ", "") or None,
        sort=args["sort"],
        grouped=args["grouped"],
    )
    found = queue.queue_page(person, group, asked, limit=args["limit"], offset=args["offset"])
    return {
        "items": matches.match_views(found.items, person),
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
    }

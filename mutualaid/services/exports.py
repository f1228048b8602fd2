"""Spreadsheets out: a group's needs, offers, matches and hours as CSV, filtered as on screen.

The rows come through the privacy rule's views (:mod:`mutualaid.services.visibility`); the
personal columns (names, contacts, addresses, postcodes, notes) are there only for the group's
coordinators. Every text cell that a spreadsheet would take for a formula (it starts with
``= + - @``, a tab or a carriage return) is escaped with a leading apostrophe.

The needs' and offers' columns are the ones :mod:`mutualaid.services.imports` reads, so an
export can be imported into another group.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Group, Match, MatchStatus, Need, Offer, Person
from . import accounts, visibility
from . import needs as need_service
from . import offers as offer_service
from .queue import QueueQuery, queue_rows

#: What makes a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows read from the database at a time.
CHUNK = 500
#: The weekday names of the ``weekly`` and ``availability`` columns, Monday first.
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

NEED_COLUMNS = (
    "id",
    "title",
    "category",
    "description",
    "skills",
    "date",
    "start",
    "end",
    "weekly",
    "volunteers_needed",
    "urgency",
    "remote_ok",
    "status",
    "district",
)
NEED_PERSONAL = ("postcode", "address", "name", "email", "phone")
OFFER_COLUMNS = (
    "id",
    "skills",
    "district",
    "max_travel_km",
    "availability",
    "capacity",
    "active",
)
OFFER_PERSONAL = ("postcode", "name", "email", "phone", "note")
MATCH_COLUMNS = (
    "id",
    "status",
    "score",
    "need_id",
    "need_title",
    "category",
    "district",
    "urgency",
    "offer_id",
    "volunteer",
    "distance_km",
    "proposed_at",
    "decided_at",
    "reason",
)
HOURS_COLUMNS = (
    "match_id",
    "need_id",
    "need_title",
    "category",
    "volunteer",
    "completed_on",
    "hours",
)


def safe_cell(value: Any) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-1"), safe_cell(-1.5), safe_cell(None)
    ('\\'=HYPERLINK("http://x")', "'-1", '-1.5', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> str:
    """The CSV text (UTF-8 with a byte order mark, so spreadsheets read the accents right)."""
    out = io.StringIO()
    out.write("\ufeff")
    names = list(columns)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([safe_cell(row.get(name)) for name in names])
    return out.getvalue()


def weekly_text(windows: Iterable[dict[str, Any]]) -> str:
    """``[{"weekday": 0 or "mon", "start": "09:00", "end": "11:00"}]`` as ``Mon 09:00-11:00``."""
    return "; ".join(f"{_day_name(w.get('weekday'))} {w['start']}-{w['end']}" for w in windows)


def _day_name(weekday: Any) -> str:
    """A weekday (0-6, or the API's ``"mon"``) as ``Mon``."""
    if isinstance(weekday, int) and 0 <= weekday <= 6:
        return DAY_NAMES[weekday]
    return str(weekday).capitalize()


def _pages(fetch: Callable[[int, int], Any]) -> Iterator[Any]:
    offset = 0
    while True:
        page = fetch(CHUNK, offset)
        yield from page.items
        if offset + len(page.items) >= page.total or not page.items:
            return
        offset += CHUNK


def _in_chunks(items: Iterator[Any]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def is_personal_viewer(person: Person | None, group: Group) -> bool:
    """Whether the export carries the personal columns: the group's coordinators only."""
    return accounts.is_coordinator(person, group.id)


def need_columns(person: Person | None, group: Group) -> tuple[str, ...]:
    return NEED_COLUMNS + (NEED_PERSONAL if is_personal_viewer(person, group) else ())


def offer_columns(person: Person | None, group: Group) -> tuple[str, ...]:
    return OFFER_COLUMNS + (OFFER_PERSONAL if is_personal_viewer(person, group) else ())


def need_rows(person: Person | None, group: Group, **filters: Any) -> Iterator[dict[str, Any]]:
    """The group's needs as ``list_needs`` finds them with ``filters`` (as on the coordinator's
    page), one dict per row; the personal columns only for the group's coordinators."""
    personal = is_personal_viewer(person, group)
    found = _pages(
        lambda limit, offset: need_service.list_needs(
            person, group=group, limit=limit, offset=offset, **filters
        )
    )
    for chunk in _in_chunks(found):
        for view in visibility.need_views(chunk, person):
            when = view.get("when") or {}
            row = {
                **{k: view.get(k) for k in NEED_COLUMNS},
                "skills": " ".join(view.get("skills") or []),
                "date": when.get("date"),
                "start": when.get("start"),
                "end": when.get("end"),
                "weekly": weekly_text(when.get("weekly") or []),
            }
            if personal:
                requester = view.get("requester") or {}
                row.update(
                    postcode=view.get("postcode"),
                    address=view.get("address"),
                    name=requester.get("name"),
                    email=requester.get("email"),
                    phone=requester.get("phone"),
                )
            yield row


def offer_rows(person: Person | None, group: Group, **filters: Any) -> Iterator[dict[str, Any]]:
    """The group's offers as ``list_offers`` finds them with ``filters``; personal columns only
    for the group's coordinators."""
    personal = is_personal_viewer(person, group)
    found = _pages(
        lambda limit, offset: offer_service.list_offers(
            person, group=group, limit=limit, offset=offset, **filters
        )
    )
    for chunk in _in_chunks(found):
        for view in visibility.offer_views(chunk, person):
            row = {
                **{k: view.get(k) for k in OFFER_COLUMNS},
                "skills": " ".join(view.get("skills") or []),
                "availability": weekly_text(view.get("availability") or []),
            }
            if personal:
                volunteer = view.get("volunteer") or {}
                row.update(
                    postcode=view.get("postcode"),
                    name=volunteer.get("name"),
                    email=volunteer.get("email"),
                    phone=volunteer.get("phone"),
                    note=view.get("note"),
                )
            yield row


def match_rows(person: Person, group: Group, query: QueueQuery) -> Iterator[dict[str, Any]]:
    """The group's matches as the queue shows them with ``query``, every page (coordinators)."""
    accounts.require_coordinator(person, group)
    for match in queue_rows(person, group, query):
        need, offer = match.need, match.offer
        yield {
            "id": match.id,
            "status": match.status,
            "score": round(match.score, 4),
            "need_id": need.id,
            "need_title": need.title,
            "category": need.category,
            "district": need.district,
            "urgency": need.urgency,
            "offer_id": offer.id,
            "volunteer": offer.volunteer.name,
            "distance_km": match.distance_km,
            "proposed_at": match.created_dt,
            "decided_at": match.decided_dt,
            "reason": match.reason,
        }


def hours_rows(
    person: Person, group: Group, since: date | None = None, until: date | None = None
) -> Iterator[dict[str, Any]]:
    """The hours given through the group's completed matches, oldest first (coordinators);
    ``since`` and ``until`` bound the day each was recorded, both included."""
    accounts.require_coordinator(person, group)
    query = (
        sa.select(Match)
        .join(Need, Need.id == Match.need_id)
        .where(Need.group_id == group.id, Match.status == MatchStatus.COMPLETED)
        .options(joinedload(Match.need), joinedload(Match.offer).joinedload(Offer.volunteer))
        .order_by(Match.completed_dt, Match.id)
    )
    if since is not None:
        query = query.where(Match.completed_dt >= datetime.combine(since, datetime.min.time()))
    if until is not None:
        query = query.where(Match.completed_dt < datetime.combine(until, datetime.max.time()))
    for match in db.session.scalars(query):
        yield {
            "match_id": match.id,
            "need_id": match.need_id,
            "need_title": match.need.title,
            "category": match.need.category,
            "volunteer": match.offer.volunteer.name,
            "completed_on": match.completed_dt.date() if match.completed_dt else None,
            "hours": match.hours,
        }


#: What can be exported.
KINDS = ("needs", "offers", "matches", "hours")


def export_csv(kind: str, person: Person, group: Group, **filters: Any) -> str:
    """The CSV of one kind of the group's records with ``filters`` (see each ``*_rows``)."""
    if kind == "needs":
        return to_csv(need_columns(person, group), need_rows(person, group, **filters))
    if kind == "offers":
        return to_csv(offer_columns(person, group), offer_rows(person, group, **filters))
    if kind == "matches":
        return to_csv(MATCH_COLUMNS, match_rows(person, group, filters["query"]))
    if kind == "hours":
        return to_csv(HOURS_COLUMNS, hours_rows(person, group, **filters))
    raise ValueError(f"Unknown export {kind!r}.")

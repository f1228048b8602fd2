"""Navigation shared by every page, and the hook other areas use to add their own links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from mutualaid import geo
from mutualaid.extensions import db

from . import bp
from ._util import coordinated_ids


@dataclass(frozen=True)
class NavLink:
    label: str
    endpoint: str
    #: Shown only when this returns true for the logged-in person (``None``: always).
    when: Callable[[Any], bool] | None = None


_links: list[NavLink] = []


def add_nav_link(label: str, endpoint: str, when: Callable[[Any], bool] | None = None) -> None:
    """Add a link for logged-in people, e.g. ``add_nav_link("My matches", "pages.my_matches")``.

    ``when(person)`` limits it, e.g. ``lambda p: bool(accounts.coordinated_group_ids(p))``.
    Adding the same endpoint twice (an app built twice in tests) keeps one link.
    """
    if all(link.endpoint != endpoint for link in _links):
        _links.append(NavLink(label, endpoint, when))


def _nav_items(person: Any) -> list[dict[str, str]]:
    items = []
    for link in _links:
        if link.when is None or link.when(person):
            items.append({"label": link.label, "url": url_for(link.endpoint)})
    return items


@bp.app_context_processor
def _layout_context() -> dict[str, Any]:
    """What ``base.html`` needs on every page, error pages included."""
    context: dict[str, Any] = {
        "attribution": geo.ATTRIBUTION,
        "nav_items": [],
        "coordinated_groups": set(),
    }
    try:
        if current_user.is_authenticated:
            context["coordinated_groups"] = coordinated_ids()
            context["nav_items"] = _nav_items(current_user)
    except SQLAlchemyError:  # an error page must still render when the database is the problem
        db.session.rollback()
    return context

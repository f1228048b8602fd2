"""The coordinator's view of a group: its open needs and active offers, with filters."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from mutualaid.errors import DomainError
from mutualaid.extensions import cache
from mutualaid.models import CATEGORIES, NEED_STATUSES, Group
from mutualaid.services import groups as group_service
from mutualaid.services import needs as need_service
from mutualaid.services import offers as offer_service
from mutualaid.services import skills as skill_service
from mutualaid.services import visibility

from . import bp
from ._util import coordinated_ids

#: Needs and offers on one page; the page links to the next.
PAGE_SIZE = 50


@dataclass
class Filters:
    category: str | None = None
    skill: str | None = None
    status: str | None = None
    district: str | None = None
    problems: list[str] = field(default_factory=list)


def _filters(args: Any, skill_slugs: set[str]) -> Filters:
    """Read ``?category&skill&status&district``; an unknown value is ignored and reported."""
    found = Filters()
    allowed = {"category": set(CATEGORIES), "skill": skill_slugs, "status": set(NEED_STATUSES)}
    for name, values in allowed.items():
        value = (args.get(name) or "").strip()
        if value and value not in values:
            found.problems.append(f"Unknown {name} “{value}”: showing every {name}.")
        elif value:
            setattr(found, name, value)
    district = (args.get("district") or "").strip().upper().replace(" ", "")
    found.district = district or None
    return found


def coordinated_group(slug: str) -> Group:
    """The group by slug, for its coordinators only (404 page if unknown, 403 for anyone else)."""
    group = group_service.get_group_by_slug(slug)  # NotFound -> the 404 page
    if group.id not in coordinated_ids():
        abort(403, f"Only coordinators of {group.name} can see this page.")
    return group


@bp.get(
    "/coordinate",
    endpoint="coordinate_index",
    defaults={"endpoint": "pages.coordinate_group", "template": "coordinator/index.html"},
)
@bp.get(
    "/matches/queue",
    endpoint="match_queue_index",
    defaults={"endpoint": "pages.match_queue", "template": "matches/index.html"},
)
@login_required
def group_index(endpoint: str, template: str) -> ResponseReturnValue:
    """The groups the user coordinates to choose from ("Coordinate", "Match queue"), or
    straight to ``endpoint`` for the only one."""
    groups = group_service.coordinated_groups(current_user)
    if len(groups) == 1:
        return redirect(url_for(endpoint, slug=groups[0].slug))
    return render_template(template, groups=groups)


@bp.get("/groups/<slug>/coordinate")
@login_required
def coordinate_group(slug: str) -> ResponseReturnValue:
    """The group's open needs and active offers, for its coordinators.

    The body (filters, cards, pagers) is rendered once per group data version, viewer, day and
    query, and kept in the app's cache; every CSRF token in it is a placeholder, filled in with
    this session's token. A request whose ``If-None-Match`` names the current version gets a 304
    (a client that keeps the page; browsers do not, the page being ``no-store``).
    """
    group = coordinated_group(slug)  # the access check comes before any cache
    key = _body_key(group)
    etag = hashlib.sha256(f"{key}|{_layout_key()}".encode()).hexdigest()[:32]
    if etag in request.if_none_match and not session.get("_flashes"):
        response = make_response("", 304)
    else:
        body = cache.get(key)
        if body is None:
            body = _render_body(group)
            cache.set(key, body)
        response = make_response(
            render_template(
                "coordinator/group.html",
                group=group,
                body=Markup(body.replace(_CSRF_PLACEHOLDER, generate_csrf())),
            )
        )
    response.set_etag(etag)  # the answer stays ``no-store`` (web/security.py): personal data
    return response


#: Stands for the session's CSRF token in a cached body: a comment, which no escaped text can
#: contain (``<`` is always escaped), so only the forms' own tokens are filled in.
_CSRF_PLACEHOLDER = "<!--csrf-token-->"
#: The query arguments the body depends on.
_BODY_ARGS = ("category", "skill", "status", "district", "page", "offers_page")


def _body_key(group: Group) -> str:
    """The cache key of the body: the group and its data version, the viewer (whose roles decide
    what the cards show), the day (relative dates, expiry) and the query that shapes it."""
    args = urlencode([(k, request.args.get(k, "")) for k in _BODY_ARGS])
    return (  # the group's creation time: a database made anew never meets an old entry
        f"coordinate:{group.id}:{group.created_dt:%Y%m%d%H%M%S%f}:v{group.data_version}"
        f":p{current_user.id}:{date.today().isoformat()}:{args}"
    )


def _layout_key() -> str:
    """What else the page shows around the body: the viewer, by session and account state, and
    the hour (a form token in a page revalidated with a 304 stays well within its lifetime)."""
    now = datetime.now(UTC)
    return (
        f"{current_user.get_id()}:{current_user.name}:{current_user.is_verified}"
        f":{sorted(coordinated_ids())}:{now:%Y-%m-%dT%H}"
    )


def _render_body(group: Group) -> str:
    skills = skill_service.list_skills()
    filters = _filters(request.args, {s.slug for s in skills})
    page, offers_page = _page_number("page"), _page_number("offers_page")
    need_page = need_service.list_needs(
        current_user,
        group=group,
        status=filters.status,
        category=filters.category,
        district=filters.district,
        skill=filters.skill,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    offer_page = offer_service.list_offers(
        current_user,
        group=group,
        skill=filters.skill,
        district=filters.district,
        limit=PAGE_SIZE,
        offset=(offers_page - 1) * PAGE_SIZE,
    )
    args: dict[str, Any] = {
        k: v for k, v in request.args.items() if k not in ("page", "offers_page")
    }

    def link(**pages: int) -> str:
        return url_for("pages.coordinate_group", slug=group.slug, **{**args, **pages})

    body = render_template(
        "coordinator/_group_body.html",
        group=group,
        filters=filters,
        needs=visibility.need_views(need_page.items, current_user),
        offers=visibility.offer_views(offer_page.items, current_user),
        verify_soon=_verify_soon,
        categories=list(CATEGORIES.items()),
        skills=skills,
        statuses=NEED_STATUSES,
        districts=group_service.districts_of(group),
        need_page=need_page,
        offer_page=offer_page,
        needs_pager=_pager(need_page, page, lambda p: link(page=p, offers_page=offers_page)),
        offers_pager=_pager(offer_page, offers_page, lambda p: link(page=page, offers_page=p)),
    )
    # This session's token (one per request, in every form of the body) is not for others.
    return body.replace(generate_csrf(), _CSRF_PLACEHOLDER)


def _page_number(name: str) -> int:
    """``?page=N`` (1 if missing or not a positive number)."""
    try:
        return max(1, min(int(request.args.get(name, "1")), 100_000))
    except ValueError:
        return 1


@dataclass
class Pager:
    first: int  # the first item shown, counted from 1
    last: int
    total: int
    previous_url: str | None
    next_url: str | None


def _pager(page: Any, number: int, url: Any) -> Pager:
    first = page.offset + 1 if len(page) else 0
    return Pager(
        first=first,
        last=page.offset + len(page),
        total=page.total,
        previous_url=url(number - 1) if number > 1 else None,
        next_url=url(number + 1) if page.offset + len(page) < page.total else None,
    )


def _verify_soon(expires_on: Any) -> bool:
    """A check that lapses within 30 days can be renewed from the page."""
    if not expires_on:
        return False
    when = date.fromisoformat(expires_on) if isinstance(expires_on, str) else expires_on
    return when <= date.today() + timedelta(days=30)


@bp.post("/groups/<slug>/offers/<int:offer_id>/credentials")
@login_required
def verify_credential(slug: str, offer_id: int):
    """A coordinator records having seen a volunteer's check (e.g. DBS), and until when it holds."""
    group = coordinated_group(slug)
    offer = offer_service.get_offer(offer_id)
    skill = (request.form.get("skill") or "").strip()
    try:
        expires_on = date.fromisoformat((request.form.get("expires_on") or "").strip())
    except ValueError:
        flash("Enter the date until which the check is valid.", "error")
        return redirect(url_for("pages.coordinate_group", slug=group.slug)), 303
    try:
        offer_service.verify_credential(offer, skill, current_user, expires_on)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.coordinate_group", slug=group.slug)), 303
    flash(f"Verified {skill} for offer {offer.id}, valid until {expires_on:%d %b %Y}.")
    return redirect(url_for("pages.coordinate_group", slug=group.slug)), 303

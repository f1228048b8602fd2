"""Volunteers choose: "Find a need" (a list and a map), "I can help with this", and the live
"who could help" count on the need form."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from mutualaid.errors import DomainError
from mutualaid.extensions import db
from mutualaid.models import CATEGORIES, Need
from mutualaid.schemas.browse import BrowseQuerySchema, PreviewInSchema
from mutualaid.services import browse, claims, groups, preview, skills
from mutualaid.services import needs as need_service

from .._messages import flatten_messages
from ..security import MAP_TILES, allows_map_tiles
from . import bp
from ._util import form_ids
from .forms import DAYS
from .nav import add_nav_link

add_nav_link("Find a need", "pages.browse_needs")

#: The distances the filter offers, in km.
DISTANCES = (1, 2, 5, 10, 20)


@bp.get("/needs/browse")
@login_required
@allows_map_tiles
def browse_needs():
    args = {k: v for k, v in request.args.items() if v.strip()}
    errors: dict[str, list[str]] = {}
    try:
        loaded = BrowseQuerySchema().load(args)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        loaded = {}
    filters = browse.BrowseFilters(
        category=loaded.get("category"),
        skill=loaded.get("skill"),
        weekday=loaded.get("day"),
        within_km=loaded.get("within_km"),
        offer_id=loaded.get("offer"),
    )
    try:
        found = browse.browse_needs(current_user, filters)
    except DomainError as exc:
        errors.update(exc.errors)
        found = browse.browse_needs(current_user, browse.BrowseFilters())
    for point in found["markers"]:
        for need in point["needs"]:
            need["url"] = url_for("pages.need_detail", need_id=need["id"])
    return render_template(
        "needs/browse.html",
        found=found,
        args=args,
        errors=[m for messages in errors.values() for m in messages],
        offers=browse.active_offers(current_user),
        categories=CATEGORIES,
        skills=skills.list_skills(),
        days=DAYS,
        distances=DISTANCES,
        tiles=MAP_TILES,
    ), (422 if errors else 200)


@bp.post("/needs/<int:need_id>/claim")
@login_required
def claim_need(need_id: int):
    need = need_service.get_need(need_id)  # 404 page if unknown
    try:
        claims.claim_need(current_user, need_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(url_for("pages.need_detail", need_id=need_id))
    flash(
        f"Thank you: you offered to help with “{need.title}”. A coordinator will decide; "
        "you will see it under My matches."
    )
    return redirect(url_for("pages.need_detail", need_id=need_id))


def preview_data(form_data: dict[str, Any]) -> dict[str, Any] | None:
    """The preview for a need form's fields (as ``forms.need_data`` gives them), or ``None``
    while the group, postcode or time is missing or invalid."""
    keys = ("group", "skills", "postcode", "when", "remote_ok")
    data = {k: form_data[k] for k in keys if k in form_data}
    try:
        loaded = PreviewInSchema().load(data)
        group = groups.get_group_by_slug(loaded["group"], field="group")
        return preview.preview(group, loaded, current_user)
    except (ValidationError, DomainError):
        return None


#: What the preview says until the fields it needs are filled in.
PREVIEW_WAITING = (
    "Choose the group, and give the postcode and the time, to see how many volunteers could help."
)


def preview_message(form_data: dict[str, Any]) -> str:
    found = preview_data(form_data)
    return PREVIEW_WAITING if found is None else str(found["message"])


@bp.post("/needs/preview")
@login_required
def preview_need():
    """The need form's live count, posted by its script as the fields change (the form's own
    fields and CSRF token): ``{volunteers, message}``; nothing is saved."""
    from .forms import need_data
    from .needs import _need_form

    data, _ = need_data(_need_form())
    need_ids = form_ids("need_id")  # the edit form has no group field: its need's group
    if "group" not in data and need_ids:
        need = db.session.get(Need, need_ids[0])
        if need is not None and need_service.can_manage_need(need, current_user):
            data["group"] = need.group.slug
    found = preview_data(data)
    if found is None:
        return jsonify(volunteers=None, message=PREVIEW_WAITING)
    return jsonify(found)

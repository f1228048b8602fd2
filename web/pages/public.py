"""A group's public page of open needs (``/g/<slug>/needs``), and its switch for coordinators."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mutualaid.errors import NotFound
from mutualaid.services import accounts, groups, public

from ..security import MAP_TILES, allows_map_tiles
from . import bp


@bp.get("/g/<slug>/needs")
@allows_map_tiles
def public_needs(slug: str):
    try:
        group = public.public_group(slug)
    except NotFound:
        abort(404, "This group has no public page of needs.")
    page = public.public_needs(group)
    base = current_app.config.get("BASE_URL", request.url_root).rstrip("/")
    return render_template(
        "public/needs.html",
        page=page,
        tiles=MAP_TILES,
        share_url=base + url_for("pages.public_needs", slug=group.slug),
    )


@bp.route("/groups/<slug>/public-page", methods=["GET", "POST"])
@login_required
def public_page_setting(slug: str):
    group = groups.get_group_by_slug(slug)  # 404 page if unknown
    if not accounts.is_coordinator(current_user, group.id):
        abort(403, f"Only coordinators of {group.name} can publish its page of needs.")
    if request.method == "POST":
        published = request.form.get("published") == "y"
        public.set_needs_public(group, current_user, published)
        flash(
            f"{group.name}'s page of open needs is published."
            if published
            else f"{group.name}'s page of open needs is withdrawn."
        )
        return redirect(url_for("pages.public_page_setting", slug=group.slug))
    return render_template("public/setting.html", group=group)

"""The home page and "About the data"."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import render_template
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup

from mutualaid.services import dashboard, matches, visibility
from mutualaid.services import groups as group_service

from . import bp


@bp.get("/")
def home():
    """The dashboard once logged in; what the service is, and its groups, before."""
    if current_user.is_authenticated:
        board = dashboard.for_person(current_user)
        return render_template(
            "dashboard.html",
            board=board,
            needs=visibility.need_views(board.needs, current_user),
            helping=[matches.match_view(m, current_user) for m in board.helping],
        )
    return render_template("home.html", groups=group_service.list_groups())


@cache
def _licence_html() -> Markup:
    """The data licence, rendered from its Markdown once (raw HTML in it is escaped, not kept)."""
    text = (
        resources.files("mutualaid.geo")
        .joinpath("data/LICENSE-DATA.md")
        .read_text(encoding="utf-8")
    )
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = renderer.parse(text)
    for token in tokens:  # every heading one level down: the page's own h1 comes first
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    # Safe to embed: markdown-it escapes any raw HTML in the file ("html": False).
    return Markup(renderer.renderer.render(tokens, renderer.options, {}))


@bp.get("/about-the-data")
def about_data():
    return render_template("about_data.html", licence=_licence_html())

"""The home page and "About the data"."""

from __future__ import annotations

from importlib import resources

from flask import render_template

from mutualaid.services import groups as group_service

from . import bp


@bp.get("/")
def home():
    return render_template("home.html", groups=group_service.list_groups())


@bp.get("/about-the-data")
def about_data():
    licence = (
        resources.files("mutualaid.geo")
        .joinpath("data/LICENSE-DATA.md")
        .read_text(encoding="utf-8")
    )
    return render_template("about_data.html", licence=licence)

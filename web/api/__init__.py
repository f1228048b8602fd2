"""The JSON API, version 1. One module per resource; each view's docstring is its OpenAPI operation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import auth, groups, matches, needs, offers, openapi, runs, skills  # noqa: E402,F401  (register the views)

"""Server-rendered pages: one module per user journey, templates in ``templates/``.

Other areas add links to the navigation with :func:`web.pages.nav.add_nav_link`.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pages", __name__)

from . import (  # noqa: E402,F401  (register the views)
    account,
    admin,
    auth,
    browse,
    coordinator,
    desk,
    filters,
    home,
    matches,
    nav,
    needs,
    offers,
    public,
)

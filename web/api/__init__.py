"""The JSON API, version 1: a module per resource, each operation declared once (``_blueprint``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from . import _blueprint

bp = _blueprint.Blueprint("api", __name__, url_prefix="/api/v1")


def page_of(page: Any, view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """A page of a list (``NeedPage``, ``OfferPage``): its items through ``view``; its bounds."""
    return {
        "items": [view(item) for item in page],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


from . import (  # noqa: E402,F401  (register the views)
    account,
    auth,
    browse,
    desk,
    groups,
    matches,
    matching,
    meta,
    needs,
    offers,
    public,
    skills,
)


def init_app(app: Flask) -> None:
    """Register the API and build its OpenAPI document (served at ``/api/v1/openapi.json``)."""
    _blueprint.init_app(
        app,
        bp,
        title="mutualaid",
        version="1.0.0",
        openapi_version="3.0.3",
        info={
            "description": "Residents post needs, volunteers offer time, coordinators approve "
            "the matches the engine proposes. Errors are "
            "`{code, status, message, errors}`."
        },
        servers=[{"url": "/"}],
    )

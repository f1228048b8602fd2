"""The API's own description."""

from __future__ import annotations

from typing import Any

from flask_smorest import current_api

from . import bp


@bp.get("/openapi.json")
@bp.response(200, {"type": "object"}, dumped=True, description="The document.")
def openapi_json() -> dict[str, Any]:
    """This API's OpenAPI 3 document."""
    return current_api.spec.to_dict()

"""Needs: what residents ask for. Every response goes through ``services.visibility``."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas import (
    NeedInSchema,
    NeedOutSchema,
    NeedPageSchema,
    NeedPatchSchema,
    NeedQuerySchema,
)
from mutualaid.services import needs as needs_svc
from mutualaid.services.visibility import need_view

from ..auth import require_api_user
from . import bp


@bp.post("/needs")
@bp.login_required
@bp.arguments(NeedInSchema)
@bp.response(201, NeedOutSchema, dumped=True, description="The need, in full.")
def post_need(data: dict[str, Any]) -> dict[str, Any]:
    """Post a need.

    The poster joins the group. `when` is `{"date", "start", "end"}` or
    `{"weekly": [{"weekday": "tue", "start": "07:30", "end": "09:00"}]}`; the postcode must lie
    in the group's area.
    """
    person = require_api_user()
    return need_view(needs_svc.post_need(person, data), person)


@bp.get("/needs")
@bp.login_required
@bp.arguments(NeedQuerySchema, location="query")
@bp.response(200, NeedPageSchema, dumped=True, description="One page of needs.")
def list_needs(args: dict[str, Any]) -> dict[str, Any]:
    """List needs, newest first.

    Each need as the caller may see it: in full for its owner and its group's coordinators,
    otherwise without address, postcode or contact, and located at its district's centre.
    """
    person = require_api_user()
    page = needs_svc.list_needs(person, **args)
    return {
        "items": [need_view(n, person) for n in page],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@bp.get("/needs/<int:need_id>")
@bp.login_required
@bp.response(200, NeedOutSchema, dumped=True, description="The need.")
def get_need(need_id: int) -> dict[str, Any]:
    """Show a need.

    In full (address, exact location, the resident's contact) for its owner, its group's
    coordinators and a volunteer whose match is approved; otherwise the public part.
    """
    person = require_api_user()
    return need_view(needs_svc.get_need(need_id), person)


def _manager(person: Person, need_id: int) -> None:
    needs_svc.require_manager(needs_svc.get_need(need_id), person)


@bp.patch("/needs/<int:need_id>")
@bp.login_required(check=_manager)  # 403 before the body is judged (422)
@bp.arguments(NeedPatchSchema)
@bp.response(200, NeedOutSchema, dumped=True, description="The changed need.")
@bp.errors(403, 409)
def update_need(data: dict[str, Any], need_id: int) -> dict[str, Any]:
    """Change a need (its owner or a coordinator of its group)."""
    person = require_api_user()
    need = needs_svc.update_need(needs_svc.get_need(need_id), person, data)
    return need_view(need, person)


@bp.delete("/needs/<int:need_id>")
@bp.login_required
@bp.response(200, NeedOutSchema, dumped=True, description="The cancelled need.")
@bp.errors(403, 409)
def cancel_need(need_id: int) -> dict[str, Any]:
    """Cancel a need (its owner or a coordinator of its group).

    The need is kept with status `cancelled`; its proposed and approved matches are cancelled.
    """
    person = require_api_user()
    return need_view(needs_svc.cancel_need(needs_svc.get_need(need_id), person), person)

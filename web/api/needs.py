"""Needs: what residents ask for. Every response goes through ``services.visibility``."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person
from mutualaid.schemas.commitments import ExtendInSchema
from mutualaid.schemas.needs import (
    NeedInSchema,
    NeedOutSchema,
    NeedPageSchema,
    NeedPatchSchema,
    NeedQuerySchema,
)
from mutualaid.services import needs as needs_svc
from mutualaid.services.visibility import need_view, published_need

from . import bp, page_of


@bp.get("/needs")
@bp.login_required
@bp.arguments(NeedQuerySchema, location="query")
@bp.response(200, NeedPageSchema, dumped=True, description="One page of needs.")
def list_needs(args: dict[str, Any], person: Person) -> dict[str, Any]:
    """List needs, newest first.

    Each need as the caller may see it: in full for its owner and its group's coordinators,
    otherwise without address, postcode or contact, and located at its district's centre.
    """
    return page_of(needs_svc.list_needs(person, **args), lambda need: need_view(need, person))


@bp.post("/needs")
@bp.login_required
@bp.arguments(NeedInSchema)
@bp.response(201, NeedOutSchema, dumped=True, description="The need, in full.")
def post_need(data: dict[str, Any], person: Person) -> dict[str, Any]:
    """Post a need.

    The poster joins the group. `when` is `{"date", "start", "end"}` or
    `{"weekly": [{"weekday": "tue", "start": "07:30", "end": "09:00"}]}`; the postcode must lie
    in the group's area.
    """
    return need_view(needs_svc.post_need(person, data), person)


@bp.get("/needs/<int:need_id>")
@bp.login_required
@bp.response(200, NeedOutSchema, dumped=True, description="The need.")
def get_need(person: Person, need_id: int) -> dict[str, Any]:
    """Show a need.

    In full (address, exact location, the resident's contact) for its owner, its group's
    coordinators and a volunteer whose match is approved; otherwise the public part.
    """
    return need_view(published_need(needs_svc.get_need(need_id), person), person)


def _may_change(person: Person, need_id: int) -> None:
    needs_svc.require_manager(needs_svc.get_need(need_id), person)


@bp.patch("/needs/<int:need_id>")
@bp.login_required(check=_may_change)  # 403 before the body is judged (422)
@bp.errors(409)
@bp.arguments(NeedPatchSchema)
@bp.response(200, NeedOutSchema, dumped=True, description="The changed need.")
def update_need(data: dict[str, Any], person: Person, need_id: int) -> dict[str, Any]:
    """Change a need (its owner or a coordinator of its group)."""
    return need_view(needs_svc.update_need(needs_svc.get_need(need_id), person, data), person)


@bp.delete("/needs/<int:need_id>")
@bp.login_required
@bp.errors(403, 409)
@bp.response(200, NeedOutSchema, dumped=True, description="The cancelled need.")
def cancel_need(person: Person, need_id: int) -> dict[str, Any]:
    """Cancel a need (its owner or a coordinator of its group).

    The need is kept with status `cancelled`; its proposed and approved matches are cancelled.
    """
    return need_view(needs_svc.cancel_need(needs_svc.get_need(need_id), person), person)


@bp.post("/needs/<int:need_id>/extend")
@bp.login_required(check=_may_change)  # 403 before the body is judged (422)
@bp.errors(409)
@bp.arguments(ExtendInSchema)
@bp.response(200, NeedOutSchema, dumped=True, description="The need with its new last day.")
def extend_need(data: dict[str, Any], person: Person, need_id: int) -> dict[str, Any]:
    """Extend a weekly need (its owner or a coordinator of its group).

    `until` is later than its current last day and at most a year after its first day. Its
    approved volunteers go on until then, so each must still fit (no clash with their other
    commitments, no pause, within their weekly limit): else 409 naming the clash.
    """
    need = needs_svc.extend_need(needs_svc.get_need(need_id), person, data["until"])
    return need_view(need, person)

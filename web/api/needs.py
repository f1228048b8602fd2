"""Needs: what residents ask for. Every response goes through :mod:`mutualaid.services.visibility`."""

from __future__ import annotations

from mutualaid.schemas import NeedInSchema, NeedPatchSchema, NeedQuerySchema
from mutualaid.services import needs as needs_svc
from mutualaid.services.visibility import need_view

from ..auth import require_api_user
from . import bp
from ._util import body, query


@bp.post("/needs")
def post_need():
    """Post a need.
    ---
    post:
      tags: [needs]
      security: [{bearerAuth: []}]
      description: >
        The poster joins the group. `when` is `{"date", "start", "end"}` or
        `{"weekly": [{"weekday": "tue", "start": "07:30", "end": "09:00"}]}`; the postcode must lie
        in the group's area.
      requestBody:
        required: true
        content:
          application/json:
            schema: NeedInSchema
      responses:
        201:
          description: The need, in full.
          content:
            application/json:
              schema: NeedOutSchema
        400: BadRequest
        401: Unauthorized
        422: ValidationError
    """
    person = require_api_user()
    need = needs_svc.post_need(person, body(NeedInSchema()))
    return need_view(need, person), 201


@bp.get("/needs")
def list_needs():
    """List needs, newest first.
    ---
    get:
      tags: [needs]
      security: [{bearerAuth: []}]
      description: >
        Each need as the caller may see it: in full for its owner and its group's coordinators,
        otherwise without address, postcode or contact, and located at its district's centre.
      parameters:
        - in: query
          schema: NeedQuerySchema
      responses:
        200:
          description: One page of needs.
          content:
            application/json:
              schema: NeedPageSchema
        401: Unauthorized
        422: ValidationError
    """
    person = require_api_user()
    args = query(NeedQuerySchema())
    page = needs_svc.list_needs(person, **args)
    return {
        "items": [need_view(n, person) for n in page],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@bp.get("/needs/<int:need_id>")
def get_need(need_id: int):
    """Show a need.
    ---
    get:
      tags: [needs]
      security: [{bearerAuth: []}]
      description: >
        In full (address, exact location, the resident's contact) for its owner, its group's
        coordinators and a volunteer whose match is approved; otherwise the public part.
      responses:
        200:
          description: The need.
          content:
            application/json:
              schema: NeedOutSchema
        401: Unauthorized
        404: NotFound
    """
    person = require_api_user()
    return need_view(needs_svc.get_need(need_id), person)


@bp.patch("/needs/<int:need_id>")
def update_need(need_id: int):
    """Change a need (its owner or a coordinator of its group).
    ---
    patch:
      tags: [needs]
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: NeedPatchSchema
      responses:
        200:
          description: The changed need.
          content:
            application/json:
              schema: NeedOutSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
        422: ValidationError
    """
    person = require_api_user()
    need = needs_svc.get_need(need_id)
    needs_svc.require_manager(need, person)  # 403 before the body is judged (422)
    need = needs_svc.update_need(need, person, body(NeedPatchSchema()))
    return need_view(need, person)


@bp.delete("/needs/<int:need_id>")
def cancel_need(need_id: int):
    """Cancel a need (its owner or a coordinator of its group).
    ---
    delete:
      tags: [needs]
      security: [{bearerAuth: []}]
      description: The need is kept with status `cancelled`; its proposed and approved matches are cancelled.
      responses:
        200:
          description: The cancelled need.
          content:
            application/json:
              schema: NeedOutSchema
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
    """
    person = require_api_user()
    need = needs_svc.cancel_need(needs_svc.get_need(need_id), person)
    return need_view(need, person)

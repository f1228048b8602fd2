"""Local groups."""

from __future__ import annotations

from mutualaid.schemas import GroupInSchema, GroupSchema
from mutualaid.services import groups as groups_svc

from ..auth import require_api_user
from . import bp
from ._util import body


@bp.get("/groups")
def list_groups():
    """List the local groups.
    ---
    get:
      tags: [groups]
      responses:
        200:
          description: Every group, by name.
          content:
            application/json:
              schema:
                type: array
                items: GroupSchema
    """
    return GroupSchema(many=True).dump(groups_svc.list_groups())


@bp.get("/groups/<slug>")
def get_group(slug: str):
    """Show a group.
    ---
    get:
      tags: [groups]
      responses:
        200:
          description: The group.
          content:
            application/json:
              schema: GroupSchema
        404: NotFound
    """
    return GroupSchema().dump(groups_svc.get_group_by_slug(slug))


@bp.post("/groups")
def create_group():
    """Create a group (admins).
    ---
    post:
      tags: [groups]
      security: [{bearerAuth: []}]
      description: The area is `postcode` with `radius_km`, or a list of postcode `districts`.
      requestBody:
        required: true
        content:
          application/json:
            schema: GroupInSchema
      responses:
        201:
          description: The new group.
          content:
            application/json:
              schema: GroupSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        409: Conflict
        422: ValidationError
    """
    actor = require_api_user()
    groups_svc.require_admin(actor)
    data = body(GroupInSchema())
    return GroupSchema().dump(groups_svc.create_group(actor, data)), 201

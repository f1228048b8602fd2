"""The skills taxonomy."""

from __future__ import annotations

from mutualaid.schemas import SkillInSchema, SkillSchema
from mutualaid.services import skills as skills_svc

from ..auth import require_api_user
from . import bp
from ._util import body


@bp.get("/skills")
def list_skills():
    """List the skills and credentials.
    ---
    get:
      tags: [skills]
      responses:
        200:
          description: Every skill, by slug.
          content:
            application/json:
              schema:
                type: array
                items: SkillSchema
    """
    return SkillSchema(many=True).dump(skills_svc.list_skills())


@bp.post("/skills")
def create_skill():
    """Add a skill (admins).
    ---
    post:
      tags: [skills]
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: SkillInSchema
      responses:
        201:
          description: The new skill.
          content:
            application/json:
              schema: SkillSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        409: Conflict
        422: ValidationError
    """
    actor = require_api_user()
    skills_svc.require_admin(actor)
    skill = skills_svc.create_skill(actor, body(SkillInSchema()))
    return SkillSchema().dump(skill), 201


@bp.patch("/skills/<slug>")
def update_skill(slug: str):
    """Change a skill (admins).
    ---
    patch:
      tags: [skills]
      security: [{bearerAuth: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: SkillInSchema
      responses:
        200:
          description: The skill.
          content:
            application/json:
              schema: SkillSchema
        400: BadRequest
        401: Unauthorized
        403: Forbidden
        404: NotFound
        409: Conflict
        422: ValidationError
    """
    actor = require_api_user()
    skills_svc.require_admin(actor)
    data = body(SkillInSchema(partial=True))
    skill = skills_svc.update_skill(actor, skills_svc.get_skill(slug), data)
    return SkillSchema().dump(skill)

"""The skills taxonomy."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person, Skill
from mutualaid.schemas import SkillInSchema, SkillPatchSchema, SkillSchema
from mutualaid.services import skills as skills_svc

from ..auth import require_api_user
from . import bp


@bp.get("/skills")
@bp.response(200, SkillSchema(many=True), description="Every skill, by slug.")
def list_skills() -> list[Skill]:
    """List the skills and credentials."""
    return skills_svc.list_skills()


def _admin(person: Person, **path: Any) -> None:
    skills_svc.require_admin(person)


@bp.post("/skills")
@bp.login_required(check=_admin)
@bp.arguments(SkillInSchema)
@bp.response(201, SkillSchema, description="The new skill.")
@bp.errors(403, 409)
def create_skill(data: dict[str, Any]) -> Skill:
    """Add a skill (admins)."""
    return skills_svc.create_skill(require_api_user(), data)


@bp.patch("/skills/<slug>")
@bp.login_required(check=_admin)
@bp.arguments(SkillPatchSchema)
@bp.response(200, SkillSchema, description="The skill.")
@bp.errors(403, 409)
def update_skill(data: dict[str, Any], slug: str) -> Skill:
    """Change a skill (admins)."""
    return skills_svc.update_skill(require_api_user(), skills_svc.get_skill(slug), data)

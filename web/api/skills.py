"""The skills taxonomy."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Person, Skill
from mutualaid.schemas import SkillInSchema, SkillPatchSchema, SkillSchema
from mutualaid.services import skills as skills_svc

from . import bp


@bp.get("/skills")
@bp.response(200, SkillSchema(many=True), description="Every skill, by slug.")
def list_skills() -> list[Skill]:
    """List the skills and credentials."""
    return skills_svc.list_skills()


def _admin(person: Person, **path: str) -> None:
    skills_svc.require_admin(person)


@bp.post("/skills")
@bp.login_required(check=_admin)
@bp.errors(409)
@bp.arguments(SkillInSchema)
@bp.response(201, SkillSchema, description="The new skill.")
def create_skill(data: dict[str, Any], person: Person) -> Skill:
    """Add a skill (admins)."""
    return skills_svc.create_skill(person, data)


@bp.patch("/skills/<slug>")
@bp.login_required(check=_admin)
@bp.errors(409)
@bp.arguments(SkillPatchSchema)
@bp.response(200, SkillSchema, description="The skill.")
def update_skill(data: dict[str, Any], person: Person, slug: str) -> Skill:
    """Change a skill (admins)."""
    return skills_svc.update_skill(person, skills_svc.get_skill(slug), data)

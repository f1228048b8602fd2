"""The skills taxonomy, editable by admins."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Person, Skill
from .common import by_slugs


def list_skills() -> list[Skill]:
    return list(db.session.scalars(sa.select(Skill).order_by(Skill.slug)))


def get_skill(slug: str) -> Skill:
    skill = db.session.scalar(sa.select(Skill).where(Skill.slug == slug))
    if skill is None:
        raise NotFound(f"No skill '{slug}'.")
    return skill


def skills_by_slugs(slugs: list[str], field: str = "skills") -> list[Skill]:
    """The skills named, in order, or a field error naming each unknown slug."""
    return by_slugs(Skill, slugs, field, "skill")


def require_admin(actor: Person) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an admin can edit the skills.")


def _check_slug_free(slug: str, skill: Skill | None = None) -> None:
    other = db.session.scalar(sa.select(Skill).where(Skill.slug == slug))
    if other is not None and other is not skill:
        raise Conflict(
            f"A skill with slug '{slug}' already exists.",
            {"slug": [f"A skill with slug '{slug}' already exists."]},
        )


def create_skill(actor: Person, data: dict[str, Any]) -> Skill:
    require_admin(actor)
    _check_slug_free(data["slug"])
    skill = Skill(
        slug=data["slug"],
        name=data["name"],
        description=data.get("description"),
        is_credential=bool(data.get("is_credential", False)),
    )
    db.session.add(skill)
    db.session.flush()
    return skill


def update_skill(actor: Person, skill: Skill, data: dict[str, Any]) -> Skill:
    require_admin(actor)
    if "slug" in data:
        _check_slug_free(data["slug"], skill)
    for key in ("slug", "name", "description", "is_credential"):
        if key in data:
            setattr(skill, key, data[key])
    if not skill.name:
        raise ValidationFailed.field("name", "Enter a name.")
    db.session.flush()
    return skill

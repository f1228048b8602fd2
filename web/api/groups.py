"""Local groups."""

from __future__ import annotations

from typing import Any

from mutualaid.models import Group, Person
from mutualaid.schemas import GroupInSchema, GroupSchema
from mutualaid.schemas.commitments import GroupSettingsInSchema
from mutualaid.services import groups as groups_svc

from . import bp


@bp.get("/groups")
@bp.response(200, GroupSchema(many=True), description="Every group, by name.")
def list_groups() -> list[Group]:
    """List the local groups."""
    return groups_svc.list_groups()


@bp.get("/groups/<slug>")
@bp.response(200, GroupSchema, description="The group.")
def get_group(slug: str) -> Group:
    """Show a group."""
    return groups_svc.get_group_by_slug(slug)


@bp.post("/groups")
@bp.login_required(check=groups_svc.require_admin)
@bp.errors(409)
@bp.arguments(GroupInSchema)
@bp.response(201, GroupSchema, description="The new group.")
def create_group(data: dict[str, Any], person: Person) -> Group:
    """Create a group (admins).

    The area is `postcode` with `radius_km`, or a list of postcode `districts`.
    """
    return groups_svc.create_group(person, data)


@bp.patch("/groups/<slug>/settings")
@bp.login_required(
    check=lambda person, slug: groups_svc.accounts.require_coordinator(
        person, groups_svc.get_group_by_slug(slug)
    )
)
@bp.arguments(GroupSettingsInSchema)
@bp.response(200, GroupSchema, description="The group with its settings.")
def update_group_settings(data: dict[str, Any], person: Person, slug: str) -> Group:
    """Change a group's settings (its coordinators): a weekly need's default length in weeks
    (1-52), and the days after which a need still without a volunteer expires (1-365)."""
    return groups_svc.update_settings(groups_svc.get_group_by_slug(slug), person, data)

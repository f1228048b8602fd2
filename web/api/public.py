"""A group's public page of open needs: its content for anyone, its switch for coordinators."""

from __future__ import annotations

from typing import Any

from flask import url_for

from mutualaid.models import Person
from mutualaid.schemas.browse import PublicPageSchema, PublicSettingInSchema, PublicSettingSchema
from mutualaid.services import accounts, groups, public

from . import bp


@bp.get("/groups/<slug>/public-needs")
@bp.response(200, PublicPageSchema, description="The group's open needs, as its public page.")
def public_needs(slug: str) -> dict[str, Any]:
    """The open needs on a group's public page (404 unless the group publishes it).

    The kind of help, district, days and skills of each; the title and description only when
    the resident chose to share them. No names, addresses, postcodes or contacts.
    """
    return public.public_needs(public.public_group(slug))


def _may_set(person: Person, slug: str) -> None:
    accounts.require_coordinator(person, groups.get_group_by_slug(slug))


@bp.put("/groups/<slug>/public-page")
@bp.login_required(check=_may_set)
@bp.arguments(PublicSettingInSchema)
@bp.response(200, PublicSettingSchema, description="Whether the page is published, and where.")
def set_public_page(data: dict[str, Any], person: Person, slug: str) -> dict[str, Any]:
    """Publish or withdraw the group's public page of open needs (its coordinators)."""
    group = public.set_needs_public(groups.get_group_by_slug(slug), person, data["published"])
    return {
        "published": group.is_needs_public,
        "url": url_for("pages.public_needs", slug=group.slug),
    }

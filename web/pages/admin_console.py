"""Admin pages: the audit log, groups and their coordinators, skills, people.

Only admins see them. Every change goes through a service (which flushes; the request commits)
and so is in the audit trail.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField, TextAreaField

from mutualaid import geo
from mutualaid.errors import DomainError
from mutualaid.models import Person
from mutualaid.schemas.commitments import GroupSettingsInSchema
from mutualaid.schemas.groups import GroupInSchema, SkillInSchema, SkillPatchSchema
from mutualaid.services import accounts, admin, groups, skills
from mutualaid.services.common import collect_errors, get_or_not_found

from .._messages import flatten_messages
from . import bp
from ._util import FormRejected, attempt, load_all
from .admin import require_admin as _require_admin
from .forms import _number, _text, apply_errors, error_list
from .nav import add_nav_link

PER_PAGE = 50

for _label, _endpoint in (
    ("Audit log", "pages.admin_audit"),
    ("Groups", "pages.admin_groups"),
    ("Skills", "pages.admin_skills"),
    ("People", "pages.admin_people"),
):
    add_nav_link(_label, _endpoint, lambda person: bool(person.is_admin))


#: The admin pages, in the order the index lists them: (title, endpoint, what it is for).
ADMIN_PAGES = (
    ("Groups", "pages.admin_groups", "Create groups, their coordinators and settings."),
    ("Skills", "pages.admin_skills", "The skills and the credentials a coordinator verifies."),
    ("People", "pages.admin_people", "Find a person; deactivate or reactivate an account."),
    ("Audit log", "pages.admin_audit", "Who changed what, and when."),
    ("Mail", "pages.admin_mail", "Mail waiting, sent or failed; send failed mail again."),
)


@bp.get("/admin")
@login_required
def admin_index() -> str:
    """The admin pages, for admins."""
    _require_admin()
    return render_template("admin/index.html", pages=ADMIN_PAGES)


def _offset() -> tuple[int, int]:
    """The page number asked for (from 1) and its offset."""
    number = request.args.get("page", type=int) or 1
    number = min(max(number, 1), 10_000)
    return number, (number - 1) * PER_PAGE


def _pager(page: Any, number: int, endpoint: str, **args: Any) -> dict[str, str | None]:
    last = max(1, -(-page.total // PER_PAGE))
    kept = {k: v for k, v in args.items() if v}
    return {
        "previous": url_for(endpoint, page=number - 1, **kept) if number > 1 else None,
        "next": url_for(endpoint, page=number + 1, **kept) if number < last else None,
        "label": f"Page {min(number, last)} of {last}",
    }


def _day(name: str) -> date | None:
    """A ``YYYY-MM-DD`` query argument; anything else is ignored."""
    try:
        return date.fromisoformat(request.args.get(name) or "")
    except ValueError:
        return None


# ---- audit log --------------------------------------------------------------------------------


@bp.get("/admin/audit")
@login_required
def admin_audit() -> str:
    _require_admin()
    kind = request.args.get("kind") or None
    record = (request.args.get("record") or "").strip()[:40] or None
    actor = (request.args.get("actor") or "").strip()[:254] or None
    since, until = _day("since"), _day("until")
    number, offset = _offset()
    page = admin.audit_events(
        kind=kind,
        entity_id=record,
        actor_email=actor,
        since=since,
        until=until,
        limit=PER_PAGE,
        offset=offset,
    )
    actors = admin.people_by_id({e.actor_id for e in page if e.actor_id is not None})
    return render_template(
        "admin/audit.html",
        page=page,
        actors=actors,
        kinds=admin.audit_kinds(),
        kind=kind,
        record=record,
        actor=actor,
        since=since,
        until=until,
        pager_info=_pager(
            page,
            number,
            "pages.admin_audit",
            kind=kind,
            record=record,
            actor=actor,
            since=since and since.isoformat(),
            until=until and until.isoformat(),
        ),
    )


# ---- groups and coordinators ------------------------------------------------------------------


class CoordinatorForm(FlaskForm):
    email = StringField("Email address of their account")


@bp.get("/admin/groups")
@login_required
def admin_groups() -> str:
    _require_admin()
    return render_template("admin/groups.html", rows=admin.group_counts())


class GroupSettingsForm(FlaskForm):
    weekly_weeks = StringField("Weeks a weekly need runs when no end is given")
    expire_after_days = StringField("Days before a need without a volunteer expires")


class GroupEditForm(FlaskForm):
    name = StringField("Name")
    description = TextAreaField("Description")
    postcode = StringField("Centre postcode")
    radius_km = StringField("Radius in km")
    districts = StringField("Or postcode districts")


def _group_page(
    slug: str,
    form: CoordinatorForm | None = None,
    status: int = 200,
    settings: GroupSettingsForm | None = None,
    details: GroupEditForm | None = None,
    extra: Any = (),
) -> Any:
    group = groups.get_group_by_slug(slug)
    form = form or CoordinatorForm(formdata=None)
    settings = settings or GroupSettingsForm(
        formdata=None,
        weekly_weeks=str(group.weekly_weeks),
        expire_after_days=str(group.expire_after_days),
    )
    details = details or GroupEditForm(
        formdata=None,
        name=group.name,
        description=group.description or "",
        postcode=group.centre_postcode or "",
        radius_km="" if group.radius_km is None else f"{group.radius_km:g}",
        districts=" ".join(group.districts or ()),
    )
    return render_template(
        "admin/group.html",
        group=group,
        coordinators=accounts.coordinators_of(group.id),
        form=form,
        settings=settings,
        details=details,
        errors=[*error_list(details), *error_list(form), *error_list(settings)],
        extra=list(extra),
    ), status


def _area_data(form: GroupForm | GroupEditForm) -> dict[str, Any]:
    """The form's name, description and area as ``GroupInSchema`` input (blanks left out)."""
    districts = [d for d in re.split(r"[\s,]+", form.districts.data or "") if d]
    data: dict[str, Any] = {
        "name": _text(form.name.data),
        "description": _text(form.description.data),
        "postcode": _text(form.postcode.data),
        "radius_km": _number(form.radius_km.data, float),
        "districts": districts or None,
    }
    return {k: v for k, v in data.items() if v is not None}


@bp.post("/admin/groups/<slug>/details")
@login_required
def admin_edit_group(slug: str) -> Any:
    """Change a group's name, description and area; every error at once."""
    _require_admin()
    group = groups.get_group_by_slug(slug)
    form = GroupEditForm()
    data = {**_area_data(form), "slug": group.slug}  # the slug does not change
    try:
        loaded = load_all(GroupInSchema(), data, _area_references)
        references = _area_references(loaded)
        if references:
            raise FormRejected(422, "Please correct the errors below.", references)
        loaded.pop("slug", None)
        attempt(lambda: groups.update_group(group, current_user, loaded))
    except FormRejected as exc:
        extra = apply_errors(form, exc.errors)
        return _group_page(slug, status=422, details=form, extra=extra)
    flash(f"Saved the details of {group.name}.", "success")
    return redirect(url_for("pages.admin_group", slug=slug))


@bp.post("/admin/groups/<slug>/archive")
@login_required
def admin_archive_group(slug: str) -> Response:
    """Archive the group, or (with ``archived=0``) bring it back."""
    _require_admin()
    group = groups.get_group_by_slug(slug)
    archive = request.form.get("archived", "1") != "0"
    groups.set_archived(group, current_user, archive)
    if archive:
        flash(
            f"Archived {group.name}: it is hidden from the lists, takes no new needs or "
            "offers, and is not matched.",
            "success",
        )
    else:
        flash(f"{group.name} is active again.", "success")
    return redirect(url_for("pages.admin_group", slug=slug))


@bp.post("/admin/groups/<slug>/settings")
@login_required
def admin_group_settings(slug: str) -> Any:
    _require_admin()
    group = groups.get_group_by_slug(slug)
    form = GroupSettingsForm()
    errors: dict[str, list[str]] = {}
    data = {
        "weekly_weeks": _number(form.weekly_weeks.data, int),
        "expire_after_days": _number(form.expire_after_days.data, int),
    }
    for key in data:
        if data[key] is None:
            errors[key] = ["Enter a whole number."]
    loaded = _load(GroupSettingsInSchema(), data, errors)
    if not errors:
        try:
            groups.update_settings(group, current_user, loaded)
        except DomainError as exc:
            if not exc.errors:
                raise
            collect_errors(errors, exc)
    if errors:
        apply_errors(form, errors)
        return _group_page(slug, status=422, settings=form)
    flash(f"Saved the settings of {group.name}.", "success")
    return redirect(url_for("pages.admin_group", slug=slug))


class GroupForm(FlaskForm):
    name = StringField("Name")
    slug = StringField("Short name for links (slug)")
    description = TextAreaField("Description")
    postcode = StringField("Centre postcode")
    radius_km = StringField("Radius in km")
    districts = StringField("Or postcode districts")


def _new_group_page(form: GroupForm | None = None, status: int = 200, extra: Any = ()) -> Any:
    form = form or GroupForm(formdata=None)
    return render_template(
        "admin/group_new.html", form=form, errors=error_list(form), extra=list(extra)
    ), status


@bp.get("/admin/groups/new")
@login_required
def admin_new_group() -> Any:
    _require_admin()
    return _new_group_page()


def _group_references(valid: dict[str, Any]) -> dict[str, list[str]]:
    """What the database says about the fields the schema let through."""
    errors: dict[str, list[str]] = {}
    if valid.get("slug"):
        try:
            groups.get_group_by_slug(valid["slug"])
            errors["slug"] = [f"A group with slug '{valid['slug']}' already exists."]
        except DomainError:
            pass
    errors.update(_area_references(valid))
    return errors


def _area_references(valid: dict[str, Any]) -> dict[str, list[str]]:
    """What the postcode data says about the area the schema let through."""
    errors: dict[str, list[str]] = {}
    if valid.get("postcode"):
        try:
            groups.resolve_postcode(valid["postcode"])
        except DomainError as exc:
            errors.update(exc.errors)
    unknown = [d for d in valid.get("districts") or () if not geo.known_district(d)]
    if unknown:
        errors["districts"] = [f"Unknown postcode district '{d}'." for d in unknown]
    return errors


@bp.post("/admin/groups/new")
@login_required
def admin_create_group() -> Any:
    _require_admin()
    form = GroupForm()
    data = _area_data(form)
    if _text(form.slug.data) is not None:
        data["slug"] = _text(form.slug.data)
    try:
        loaded = load_all(GroupInSchema(), data, _group_references)
        references = _group_references(loaded)
        if references:
            raise FormRejected(422, "Please correct the errors below.", references)
        group = attempt(lambda: groups.create_group(current_user, loaded))
    except FormRejected as exc:
        extra = apply_errors(form, exc.errors)
        return _new_group_page(form, 422, extra)
    flash(f"Created the group {group.name}. Add its coordinators below.", "success")
    return redirect(url_for("pages.admin_group", slug=group.slug))


@bp.get("/admin/groups/<slug>")
@login_required
def admin_group(slug: str) -> Any:
    _require_admin()
    return _group_page(slug)


@bp.post("/admin/groups/<slug>/coordinators")
@login_required
def admin_add_coordinator(slug: str) -> Any:
    _require_admin()
    group = groups.get_group_by_slug(slug)
    form = CoordinatorForm()
    try:
        person = admin.add_coordinator(current_user, group, form.email.data or "")
    except DomainError as exc:
        if not exc.errors:
            raise
        apply_errors(form, exc.errors)
        return _group_page(slug, form, 422)
    flash(f"{person.name} ({person.email}) now coordinates {group.name}.", "success")
    return redirect(url_for("pages.admin_group", slug=slug))


@bp.post("/admin/groups/<slug>/coordinators/<int:person_id>/remove")
@login_required
def admin_remove_coordinator(slug: str, person_id: int) -> Response:
    _require_admin()
    group = groups.get_group_by_slug(slug)
    person = admin.remove_coordinator(current_user, group, person_id)
    if person is None:
        flash("Nothing changed: they were not a coordinator of this group.", "error")
    else:
        flash(f"{person.name} no longer coordinates {group.name}.", "success")
    return redirect(url_for("pages.admin_group", slug=slug))


# ---- skills -----------------------------------------------------------------------------------


class SkillForm(FlaskForm):
    slug = StringField("Short name for links (slug)")
    name = StringField("Name")
    description = TextAreaField("Description")
    is_credential = BooleanField("It is a check a coordinator must verify (e.g. DBS)")


class SkillEditForm(FlaskForm):
    name = StringField("Name")
    description = TextAreaField("Description")


def _skills_page(form: SkillForm | None = None, status: int = 200) -> Any:
    form = form or SkillForm(formdata=None)
    return render_template(
        "admin/skills.html",
        skills=skills.list_skills(),
        form=form,
        errors=error_list(form),
        extra=[],
    ), status


@bp.get("/admin/skills")
@login_required
def admin_skills() -> Any:
    _require_admin()
    return _skills_page()


def _load(schema: Any, data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load({k: v for k, v in data.items() if v is not None})
        return loaded
    except ValidationError as exc:
        for key, messages in flatten_messages(exc.messages).items():
            errors.setdefault(key, list(messages))
        return {}


@bp.post("/admin/skills")
@login_required
def admin_add_skill() -> Any:
    _require_admin()
    form = SkillForm()
    slug = _text(form.slug.data)
    data: dict[str, Any] = {
        "slug": slug,
        "name": _text(form.name.data),
        "description": _text(form.description.data),
        "is_credential": bool(form.is_credential.data),
    }
    errors: dict[str, list[str]] = {}
    if slug is None:
        errors["slug"] = ["Enter a slug, e.g. dbs-checked."]
    if data["name"] is None:
        errors["name"] = ["Enter the skill's name."]
    loaded = _load(SkillInSchema(), data, errors)
    if slug and "slug" not in errors:
        try:
            skills.get_skill(slug)
            errors["slug"] = [f"A skill with slug '{slug}' already exists."]
        except DomainError:
            pass
    if not errors:
        try:
            skill = skills.create_skill(current_user, loaded)
        except DomainError as exc:
            if not exc.errors:
                raise
            collect_errors(errors, exc)
    if errors:
        apply_errors(form, errors)
        return _skills_page(form, 422)
    flash(f"Added the skill {skill.name}.", "success")
    return redirect(url_for("pages.admin_skills"))


def _skill_edit_page(slug: str, form: SkillEditForm | None = None, status: int = 200) -> Any:
    skill = skills.get_skill(slug)
    form = form or SkillEditForm(
        formdata=None, name=skill.name, description=skill.description or ""
    )
    return render_template(
        "admin/skill.html", skill=skill, form=form, errors=error_list(form), extra=[]
    ), status


@bp.get("/admin/skills/<slug>")
@login_required
def admin_skill(slug: str) -> Any:
    _require_admin()
    return _skill_edit_page(slug)


@bp.post("/admin/skills/<slug>")
@login_required
def admin_edit_skill(slug: str) -> Any:
    _require_admin()
    skill = skills.get_skill(slug)
    form = SkillEditForm()
    data = {"name": _text(form.name.data), "description": _text(form.description.data)}
    errors: dict[str, list[str]] = {}
    if data["name"] is None:
        errors["name"] = ["Enter the skill's name."]
    loaded = _load(SkillPatchSchema(), data, errors)
    if not errors:
        loaded.setdefault("description", None)  # a blank description clears it
        try:
            skills.update_skill(current_user, skill, loaded)
        except DomainError as exc:
            if not exc.errors:
                raise
            collect_errors(errors, exc)
    if errors:
        apply_errors(form, errors)
        return _skill_edit_page(slug, form, 422)
    flash(f"Saved the skill {skill.name}.", "success")
    return redirect(url_for("pages.admin_skills"))


# ---- people -----------------------------------------------------------------------------------


@bp.get("/admin/people")
@login_required
def admin_people() -> str:
    _require_admin()
    text = (request.args.get("q") or "").strip()[:254] or None
    number, offset = _offset()
    page = admin.search_people(text, limit=PER_PAGE, offset=offset)
    return render_template(
        "admin/people.html",
        page=page,
        q=text,
        coordinates=admin.coordinated_groups_of(page.items),
        pager_info=_pager(page, number, "pages.admin_people", q=text),
    )


@bp.post("/admin/people/<int:person_id>/active")
@login_required
def admin_set_active(person_id: int) -> Response:
    _require_admin()
    person = get_or_not_found(Person, person_id, "person")
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(person, current_user, active)
    except DomainError as exc:
        if not exc.errors:
            raise
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
    else:
        state = "reactivated" if active else "deactivated"
        flash(f"The account of {person.email} is {state}.", "success")
    return redirect(url_for("pages.admin_people", q=request.form.get("q") or None))

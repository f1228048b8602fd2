"""A resident's pages: "I need help", "My needs", a need's page, change and cancel."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from mutualaid.extensions import db
from mutualaid.models import CATEGORIES, Need
from mutualaid.schemas import NeedInSchema
from mutualaid.services import claims, commitments, visibility
from mutualaid.services import groups as group_service
from mutualaid.services import needs as need_service
from mutualaid.services import skills as skill_service

from . import bp, desk
from ._util import (
    FormRejected,
    add_row_if_asked,
    attempt,
    load_all,
    prefilled,
    shown_messages,
)
from .browse import preview_message
from .forms import (
    DAYS,
    WINDOW_ROWS,
    ExtendForm,
    NeedForm,
    apply_errors,
    apply_need_errors,
    choices,
    date_typed,
    error_list,
    need_data,
)

MY_LIST_LIMIT = 200


def _need_form(**kwargs: Any) -> NeedForm:
    form = NeedForm(**kwargs)
    form.group.choices = choices((g.slug, g.name) for g in group_service.list_groups())
    form.category.choices = choices(CATEGORIES.items())
    form.skills.choices = choices((s.slug, s.name) for s in skill_service.list_skills())
    return form


def _form_data(need: Need) -> dict[str, Any]:
    """A stored need as the form's fields, for changing it."""
    data: dict[str, Any] = {
        "group": need.group.slug,
        "category": need.category,
        "title": need.title,
        "description": need.description,
        "skills": [s.slug for s in need.skills],
        "postcode": need.postcode,
        "address": need.address or "",
        "volunteers_needed": str(need.volunteers_needed),
        "urgency": need.urgency,
        "remote_ok": need.is_remote_ok,
        "share_description": need.is_description_public,
    }
    windows = need.windows or []
    if need.on_date is not None and windows:
        data.update(
            when_kind="once",
            date=need.on_date.isoformat(),
            start=windows[0]["start"],
            end=windows[0]["end"],
        )
    else:
        data.update(
            when_kind="weekly",
            weekly=[
                {"weekday": DAYS[w["weekday"]][0], "start": w["start"], "end": w["end"]}
                for w in windows
            ],
            weekly_from=need.starts_on.isoformat() if need.starts_on else "",
            weekly_until=need.ends_on.isoformat() if need.ends_on else "",
        )
    return data


def _render_form(
    form: NeedForm,
    need: Need | None = None,
    extra: list[str] | None = None,
    status: int = 200,
    preview: str | None = None,
):
    return render_template(
        "needs/form.html",
        form=form,
        need=need,
        errors=error_list(form),
        extra=extra or [],
        preview=preview,
        weekly_weeks=commitments.weekly_weeks(need.group if need else None),
    ), status


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new_need():
    form = _need_form()
    if request.method == "GET":
        if request.args.get("group"):
            form.group.data = request.args["group"]
        form.when_kind.data = "once"  # one time panel shows, the other waits for its choice
        return _render_form(form)
    if add_row_if_asked(form.weekly):
        return _render_form(form)
    data, rows = need_data(form)
    if "check" in request.form:  # "Check who could help": nothing is saved
        return _render_form(form, preview=preview_message(data))
    try:
        need = attempt(
            lambda: need_service.post_need(
                current_user, load_all(NeedInSchema(), data, need_service.reference_errors)
            )
        )
    except FormRejected as exc:
        extra = shown_messages(exc, apply_need_errors(form, exc.errors, rows))
        return _render_form(form, extra=extra, status=exc.status)
    flash(f"Your request “{need.title}” is posted. A coordinator will look for a volunteer.")
    return redirect(url_for("pages.my_needs"))


@bp.get("/needs/mine")
@login_required
def my_needs():
    page = need_service.list_needs(current_user, mine=True, limit=MY_LIST_LIMIT)
    views = [
        (visibility.need_view(need, current_user), need_service.can_change(need, current_user))
        for need in page
    ]
    return render_template("needs/mine.html", needs=views, total=page.total)


def _managed_need(need_id: int, verb: str) -> Need:
    """The need, for those who may ``verb`` it (404 page if unknown, 403 page for anyone else)."""
    need = need_service.get_need(need_id)  # NotFound -> the 404 page
    if not need_service.can_manage_need(need, current_user):
        abort(
            403, f"Only the person who posted this need or its group's coordinators can {verb} it."
        )
    return need


@bp.get("/needs/<int:need_id>")
@login_required
def need_detail(need_id: int):
    need = visibility.published_need(need_service.get_need(need_id), current_user)  # or 404
    return _detail(need)


def render_need(need: Need, status: int = 200, **note_state: Any) -> ResponseReturnValue:
    """The need's page after a refused note (its problems in ``note_state``)."""
    return _detail(need, status=status, **note_state)


def _detail(
    need: Need,
    extend: ExtendForm | None = None,
    extra: list[str] | None = None,
    status: int | None = None,
    **note_state: Any,
) -> ResponseReturnValue:
    """The need's page; its coordinators also see its notes and follow-up log."""
    can_change = need_service.can_change(need, current_user)
    if extend is None:
        extend = ExtendForm(formdata=None)
    errors = error_list(extend)
    return render_template(
        "needs/detail.html",
        need=visibility.need_view(need, current_user),
        can_change=can_change,
        claim=claims.claim_state(current_user, need),
        extend=extend if can_change and need.on_date is None and need.ends_on else None,
        errors=errors,
        extra=extra or [],
        notes=desk.notes_for(need),
        note_action=url_for("pages.add_need_note", need_id=need.id),
        **note_state,
    ), (status or (422 if errors or extra else 200))


@bp.post("/needs/<int:need_id>/extend")
@login_required
def extend_need(need_id: int):
    """Move a weekly need's last day later (its resident or a coordinator)."""
    need = _managed_need(need_id, "extend")
    form = ExtendForm()
    text = date_typed(form.until.data)
    try:
        until = date.fromisoformat(text or "")
    except ValueError:
        form.until.errors = ["Enter the new last day as a date, e.g. 31/03/2027."]
        return _detail(need, form)
    try:
        attempt(lambda: need_service.extend_need(need, current_user, until))
    except FormRejected as exc:
        db.session.rollback()
        extra = apply_errors(form, exc.errors)
        if not exc.errors:
            extra.append(exc.message)
        return _detail(need_service.get_need(need_id), form, extra)
    flash(f"The request now runs until {commitments.long_date(until)}.", "success")
    return redirect(url_for("pages.need_detail", need_id=need_id))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit_need(need_id: int):
    need = _managed_need(need_id, "change")
    if need_service.is_closed(need):
        flash(f"This request is {need.status} and can no longer be changed.", "error")
        return redirect(url_for("pages.need_detail", need_id=need.id))
    if request.method == "GET":
        return _render_form(prefilled(_need_form, _form_data(need), "weekly", WINDOW_ROWS), need)
    form = _need_form()
    if add_row_if_asked(form.weekly):
        return _render_form(form, need)
    data, rows = need_data(form)
    data["group"] = need.group.slug  # a need stays in its group
    if "check" in request.form:  # "Check who could help": nothing is saved
        return _render_form(form, need, preview=preview_message(data))
    data.setdefault("address", None)  # a cleared address is removed
    try:
        attempt(
            lambda: need_service.update_need(
                need, current_user, load_all(NeedInSchema(), data, need_service.reference_errors)
            )
        )
    except FormRejected as exc:
        extra = shown_messages(exc, apply_need_errors(form, exc.errors, rows))
        return _render_form(form, need, extra=extra, status=exc.status)
    flash("Your changes are saved.")
    return redirect(url_for("pages.need_detail", need_id=need.id))


@bp.route("/needs/<int:need_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_need(need_id: int):
    need = _managed_need(need_id, "cancel")
    if request.method == "GET":
        return render_template(
            "confirm.html",
            question=f"Cancel “{need.title}”?",
            consequence="Coordinators will stop looking for a volunteer, and any volunteer "
            "already matched will be told it is no longer needed.",
            action=url_for("pages.cancel_need", need_id=need.id),
            yes="Yes, cancel it",
            back=url_for("pages.need_detail", need_id=need.id),
        )
    try:
        attempt(lambda: need_service.cancel_need(need, current_user))
    except FormRejected as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.need_detail", need_id=need.id))
    flash(f"“{need.title}” is cancelled.")
    return redirect(url_for("pages.my_needs"))

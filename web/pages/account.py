"""Your account: profile, password, API tokens, your data (download, delete); the privacy notice."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from mutualaid.errors import DomainError
from mutualaid.extensions import db
from mutualaid.models import utcnow
from mutualaid.schemas.accounts import ProfileInSchema
from mutualaid.services import accounts, commitments, needs_digest, privacy

from .._messages import flatten_messages
from . import bp
from ._util import FormRejected, attempt
from .forms import (
    AvailabilityForm,
    ConfirmPasswordForm,
    NeedsDigestForm,
    PasswordChangeForm,
    ProfileForm,
    _number,
    _text,
    apply_errors,
    date_typed,
    error_list,
)


def _page(profile=None, password=None, status=200, **kw):
    person = current_user
    if profile is None:
        profile = ProfileForm(
            formdata=None, name=person.name, phone=person.phone or "", email=person.email
        )
    password = password or PasswordChangeForm(formdata=None)
    availability = kw.pop("availability", None) or _availability_form()
    errors = kw.pop("errors", [])
    return render_template(
        "account/index.html",
        profile=profile,
        password=password,
        availability=availability,
        needs_digest_form=NeedsDigestForm(formdata=None, needs_digest=person.is_needs_digest),
        errors=errors,
        extra=kw.pop("extra", []),
        **kw,
    ), status


@bp.get("/account")
@login_required
def account():
    return _page()


@bp.post("/account/profile")
@login_required
def account_profile():
    form = ProfileForm()
    data = {
        "name": _text(form.name.data),
        "phone": _text(form.phone.data),
        "email": _text(form.email.data),
    }
    errors: dict[str, list[str]] = {}
    for key, message in (("name", "Enter your name."), ("email", "Enter your email address.")):
        if data[key] is None:
            errors[key] = [message]
    loaded: dict[str, Any] = {}
    try:
        loaded = ProfileInSchema().load({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        errors = {**flatten_messages(exc.messages), **errors}
    if data["email"] is not None and "email" not in errors:
        try:
            accounts.normalise_email(data["email"])
        except DomainError as exc:
            errors.update(exc.errors)
    if not errors:
        loaded.setdefault("phone", None)  # a blank phone clears it
        try:
            new_email = attempt(lambda: accounts.update_profile(current_user, loaded))
        except FormRejected as exc:
            errors = exc.errors
    if errors:
        extra = apply_errors(form, errors)
        return _page(profile=form, errors=error_list(form), extra=extra, status=422)
    if new_email:
        flash(
            f"Your details are saved. To change your email, open the link we sent to "
            f"{new_email}; until then we keep using {current_user.email}."
        )
    else:
        flash("Your details are saved.")
    return redirect(url_for("pages.account"))


def _availability_form() -> AvailabilityForm:
    person = current_user
    today = utcnow().date()
    limit = commitments.week_limit(person) or {}
    kind = "tasks" if "tasks" in limit else "hours" if "hours" in limit else "none"
    return AvailabilityForm(
        formdata=None,
        paused_until=person.paused_until.isoformat()
        if commitments.is_paused(person, today) and person.paused_until
        else "",
        limit_kind=kind,
        limit_value=f"{limit[kind]:g}" if kind != "none" else "",
    )


@bp.post("/account/availability")
@login_required
def account_availability():
    """Time away (a pause until a day) and a weekly limit; every message at once."""
    form = AvailabilityForm()
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {"paused_until": None, "week_limit": None}
    pause = date_typed(form.paused_until.data)
    if pause:
        try:
            data["paused_until"] = date.fromisoformat(pause)
        except ValueError:
            errors["paused_until"] = ["Enter the date as 27/12/2026."]
    kind = form.limit_kind.data if form.limit_kind.data in ("tasks", "hours") else None
    if kind:
        value = _number(form.limit_value.data, int if kind == "tasks" else float)
        if not isinstance(value, (int, float)):
            errors["limit_value"] = ["Enter the limit as a number."]
        else:
            data["week_limit"] = {kind: value}
    # The service judges what parsed (nothing is saved unless all is good), so every message
    # shows at once.
    checked = {
        "paused_until": data["paused_until"],
        "week_limit": data["week_limit"],
    }
    checked = {
        k: v
        for k, v in checked.items()
        if not errors.get("limit_value" if k == "week_limit" else k)
    }
    try:
        commitments.set_limits(current_user._get_current_object(), checked, utcnow().date())
    except DomainError as exc:
        for key, messages in exc.errors.items():
            errors.setdefault(_FIELD_OF_KEY.get(key, key), []).extend(messages)
    if errors:
        db.session.rollback()
        extra = apply_errors(form, errors)
        return _page(availability=form, errors=error_list(form), extra=extra, status=422)
    flash("Your time away and weekly limit are saved.")
    return redirect(url_for("pages.account") + "#availability")


@bp.post("/account/needs-digest")
@login_required
def account_needs_digest():
    """Opt in to (or out of) the daily digest of new requests one could help with."""
    form = NeedsDigestForm()
    if not form.validate():
        return _page(errors=error_list(form), status=422)
    wanted = bool(form.needs_digest.data)
    needs_digest.set_needs_digest(current_user._get_current_object(), wanted)
    flash(
        "You will get a daily digest of new requests you could help with."
        if wanted
        else "You will no longer get a daily digest of new requests."
    )
    return redirect(url_for("pages.account") + "#needs-digest")


#: The service's field names as the form's.
_FIELD_OF_KEY = {
    "week_limit": "limit_kind",
    "week_limit.tasks": "limit_value",
    "week_limit.hours": "limit_value",
}


@bp.post("/account/password")
@login_required
def account_password():
    form = PasswordChangeForm()
    person = current_user._get_current_object()
    try:
        attempt(
            lambda: accounts.change_password(
                person, form.current_password.data or "", form.password.data or ""
            )
        )
    except FormRejected as exc:
        extra = apply_errors(form, exc.errors)
        return _page(password=form, errors=error_list(form), extra=extra, status=exc.status)
    login_user(person)  # this session goes on, under the account's new session version
    flash("Your password is changed. Every other session and every API token has ended.")
    return redirect(url_for("pages.account"))


@bp.get("/account/tokens")
@login_required
def account_tokens():
    return render_template("account/tokens.html", tokens=accounts.active_tokens(current_user))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    accounts.revoke_token(current_user, token_id)
    flash("The token is revoked: it no longer works.")
    return redirect(url_for("pages.account_tokens"))


@bp.post("/account/sessions/end")
@login_required
def end_sessions():
    """Log out everywhere: every browser session and every API token."""
    accounts.end_sessions(current_user)
    logout_user()
    flash("You are logged out everywhere, and every API token is revoked.")
    return redirect(url_for("pages.login"))


@bp.get("/account/export")
@login_required
def account_export():
    body = json.dumps(privacy.export(current_user), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="mutualaid-my-data.json"'},
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = ConfirmPasswordForm()
    if request.method == "POST":
        person = current_user._get_current_object()
        try:
            attempt(lambda: privacy.erase_account(person, form.password.data or ""))
        except FormRejected as exc:
            extra = apply_errors(form, exc.errors)
            return render_template(
                "account/delete.html", form=form, errors=error_list(form), extra=extra
            ), exc.status
        logout_user()
        flash("Your account is deleted, and your personal data with it.")
        return redirect(url_for("pages.home"))
    return render_template("account/delete.html", form=form, errors=[], extra=[])


@bp.get("/privacy")
def privacy_notice():
    return render_template(
        "privacy.html",
        retention_days=current_app.config["RETENTION_DAYS"],
        reset_minutes=current_app.config["RESET_PASSWORD_MINUTES"],
    )

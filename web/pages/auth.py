"""Register, confirm the address, log in, log out, choose a new password."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from mutualaid.errors import ValidationFailed
from mutualaid.extensions import db
from mutualaid.schemas import RegisterSchema
from mutualaid.services import accounts

from . import bp
from ._util import FormRejected, attempt, safe_next
from .forms import (
    ForgotForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    apply_errors,
    error_list,
    register_data,
)


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if request.method == "POST":
        data = register_data(form)
        try:
            attempt(lambda: accounts.register(**RegisterSchema().load(data)))
        except FormRejected as exc:
            extra = apply_errors(form, exc.errors)
            return render_template(
                "auth/register.html", form=form, errors=error_list(form), extra=extra
            ), exc.status
        # The same page whether or not the address had an account (it was emailed either way).
        return render_template("auth/check_email.html", message=accounts.REGISTERED)
    return render_template("auth/register.html", form=form, errors=[], extra=[])


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    try:
        person = accounts.confirm_email(token[:1000])
    except ValidationFailed as exc:
        return render_template("auth/link_problem.html", message=exc.errors["token"][0]), 400
    flash("Thank you: your email address is confirmed.")
    if current_user.is_authenticated and current_user.id == person.id:
        return redirect(url_for("pages.account"))
    return redirect(url_for("pages.login"))


@bp.post("/verify-email/resend")
@login_required
def resend_verification():
    if not current_user.is_verified:
        accounts.send_verification(current_user)
    flash(f"We have sent a new link to {current_user.email}.")
    return redirect(safe_next(request.form.get("next")) or url_for("pages.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotForm()
    if request.method == "POST":
        accounts.request_password_reset((form.email.data or "")[:254])
        # The same answer whether or not the account exists.
        return render_template("auth/check_email.html", message=accounts.RESET_REQUESTED)
    return render_template("auth/forgot.html", form=form, errors=[], extra=[])


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    token = token[:1000]
    try:
        accounts.person_for_reset(token)
    except ValidationFailed as exc:
        return render_template("auth/link_problem.html", message=exc.errors["token"][0]), 400
    form = ResetForm()
    if request.method == "POST":
        try:
            attempt(lambda: accounts.reset_password(token, form.password.data or ""))
        except FormRejected as exc:
            extra = apply_errors(form, exc.errors)
            return render_template(
                "auth/reset.html", form=form, token=token, errors=error_list(form), extra=extra
            ), exc.status
        logout_user()
        flash("Your password is changed. Log in with it now; every other session has ended.")
        return redirect(url_for("pages.login"))
    return render_template("auth/reset.html", form=form, token=token, errors=[], extra=[])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        try:
            person = attempt(
                lambda: accounts.authenticate(form.email.data or "", form.password.data or "")
            )
        except FormRejected as exc:
            return render_template(
                "auth/login.html", form=form, next_url=next_url, errors=[], extra=[exc.message]
            ), exc.status
        login_user(person)
        flash(f"You are logged in as {person.name}.")
        return redirect(next_url or url_for("pages.home"))
    if current_user.is_authenticated and next_url is None:
        return redirect(url_for("pages.home"))
    return render_template("auth/login.html", form=form, next_url=next_url, errors=[], extra=[])


@bp.post("/logout")
def logout():
    """End the session here and on the server: the cookie stops working wherever it was copied.

    The account's session version goes up, so every browser session of the account ends.
    """
    if current_user.is_authenticated:
        accounts.end_browser_sessions(current_user)
        db.session.flush()
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("pages.home"))

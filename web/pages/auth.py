"""Register, log in, log out."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from mutualaid.schemas import RegisterSchema
from mutualaid.services import accounts

from . import bp
from ._util import FormRejected, attempt, safe_next
from .forms import LoginForm, RegisterForm, apply_errors, error_list, register_data


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if request.method == "POST":
        data = register_data(form)
        try:
            person = attempt(lambda: accounts.register(**RegisterSchema().load(data)))
        except FormRejected as exc:
            extra = apply_errors(form, exc.errors)
            return render_template(
                "auth/register.html", form=form, errors=error_list(form), extra=extra
            ), exc.status
        login_user(person)
        flash(f"Welcome, {person.name}. Your account is ready.")
        return redirect(url_for("pages.home"))
    return render_template("auth/register.html", form=form, errors=[], extra=[])


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
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("pages.home"))

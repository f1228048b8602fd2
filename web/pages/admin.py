"""Admin pages: the outbox's dead letters, to see and send again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from mutualaid.services import mail

from . import bp
from ._util import form_ids
from .nav import add_nav_link

add_nav_link("Mail", "pages.admin_mail", lambda person: bool(person.is_admin))


def require_admin() -> None:
    """A 403 for anyone but an admin (every admin page calls it first)."""
    if not current_user.is_admin:
        abort(403, "Only admins can see this page.")


@bp.get("/admin/mail")
@login_required
def admin_mail() -> str:
    require_admin()
    return render_template("admin/mail.html", letters=mail.dead_letters())


@bp.post("/admin/mail/retry")
@login_required
def admin_mail_retry() -> Response:
    require_admin()
    if request.form.get("all") == "1":
        count = mail.requeue()
    else:
        ids = form_ids("id")
        count = mail.requeue(ids) if ids else 0
    flash(
        f"Queued {count} {'message' if count == 1 else 'messages'} again; "
        "they go out with the next delivery."
        if count
        else "Nothing was queued: those messages are no longer dead letters.",
        "success" if count else "error",
    )
    return redirect(url_for("pages.admin_mail"))

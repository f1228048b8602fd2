"""A volunteer's pages: "I can help", "My offers", change and withdraw."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from mutualaid.models import Offer
from mutualaid.schemas import OfferInSchema
from mutualaid.services import groups as group_service
from mutualaid.services import offers as offer_service
from mutualaid.services import skills as skill_service
from mutualaid.services import visibility

from . import bp
from ._util import (
    FormRejected,
    add_row_if_asked,
    attempt,
    load_all,
    prefilled,
    shown_messages,
)
from .forms import (
    DAYS,
    SLOTS,
    OfferForm,
    apply_offer_errors,
    choices,
    error_list,
    offer_data,
    windows_to_grid,
)

MY_LIST_LIMIT = 200
CUSTOM_ROWS = 2


def _offer_form(**kwargs: Any) -> OfferForm:
    form = OfferForm(**kwargs)
    form.groups.choices = choices((g.slug, g.name) for g in group_service.list_groups())
    form.skills.choices = choices(
        (s.slug, s.name + (" (a coordinator checks this)" if s.is_credential else ""))
        for s in skill_service.list_skills()
    )
    return form


def _form_data(offer: Offer) -> dict[str, Any]:
    cells, custom = windows_to_grid(offer.availability or [])
    return {
        "groups": [g.slug for g in offer.groups],
        "skills": [s.slug for s in offer.skills],
        "postcode": offer.postcode,
        "max_travel_km": f"{offer.max_travel_km:g}",
        "slots": cells,
        "custom": custom,
        "capacity": str(offer.capacity),
        "note": offer.note or "",
    }


def _render_form(
    form: OfferForm, offer: Offer | None = None, extra: list[str] | None = None, status: int = 200
):
    return render_template(
        "offers/form.html",
        form=form,
        offer=offer,
        days=DAYS,
        slots=SLOTS,
        errors=error_list(form),
        extra=extra or [],
    ), status


@bp.route("/offers/new", methods=["GET", "POST"])
@login_required
def new_offer():
    form = _offer_form()
    if request.method == "GET":
        return _render_form(form)
    if add_row_if_asked(form.custom):
        return _render_form(form)
    data, sources = offer_data(form)
    try:
        attempt(
            lambda: offer_service.post_offer(
                current_user, load_all(OfferInSchema(), data, offer_service.reference_errors)
            )
        )
    except FormRejected as exc:
        extra = shown_messages(exc, apply_offer_errors(form, exc.errors, sources))
        return _render_form(form, extra=extra, status=exc.status)
    flash("Thank you! Your offer is saved. A coordinator will be in touch when there is a match.")
    return redirect(url_for("pages.my_offers"))


@bp.get("/offers/mine")
@login_required
def my_offers():
    page = offer_service.list_offers(current_user, mine=True, limit=MY_LIST_LIMIT)
    views = [visibility.offer_view(offer, current_user) for offer in page]
    return render_template("offers/mine.html", offers=views, total=page.total)


def _managed_offer(offer_id: int) -> Offer:
    offer = offer_service.get_offer(offer_id)  # NotFound -> the 404 page
    if not offer_service.can_manage_offer(offer, current_user):
        abort(403, "Only the volunteer or the coordinators of the offer's groups can change it.")
    return offer


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_offer(offer_id: int):
    offer = _managed_offer(offer_id)
    if request.method == "GET":
        return _render_form(prefilled(_offer_form, _form_data(offer), "custom", CUSTOM_ROWS), offer)
    form = _offer_form()
    if add_row_if_asked(form.custom):
        return _render_form(form, offer)
    data, sources = offer_data(form)
    data.setdefault("note", None)  # a cleared note is removed
    data["active"] = offer.is_active  # changing an offer does not bring a withdrawn one back
    try:
        attempt(
            lambda: offer_service.update_offer(
                offer,
                current_user,
                load_all(OfferInSchema(), data, offer_service.reference_errors),
            )
        )
    except FormRejected as exc:
        extra = shown_messages(exc, apply_offer_errors(form, exc.errors, sources))
        return _render_form(form, offer, extra=extra, status=exc.status)
    flash("Your changes are saved.")
    return redirect(url_for("pages.my_offers"))


@bp.route("/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_offer(offer_id: int):
    offer = _managed_offer(offer_id)
    if request.method == "GET":
        return render_template(
            "confirm.html",
            question="Withdraw your offer?",
            consequence="Coordinators will stop matching you with this offer. You can make it "
            "active again later from “My offers”.",
            action=url_for("pages.withdraw_offer", offer_id=offer.id),
            yes="Yes, withdraw it",
            back=url_for("pages.my_offers"),
        )
    attempt(lambda: offer_service.withdraw_offer(offer, current_user))
    flash("Your offer is withdrawn. Thank you for your help.")
    return redirect(url_for("pages.my_offers"))


@bp.post("/offers/<int:offer_id>/resume")
@login_required
def resume_offer(offer_id: int):
    offer = _managed_offer(offer_id)
    attempt(lambda: offer_service.update_offer(offer, current_user, {"active": True}))
    flash("Your offer is active again.")
    return redirect(url_for("pages.my_offers"))

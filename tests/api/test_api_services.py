"""The service layer that the API and pages share."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mutualaid.errors import Forbidden, InvalidState, ValidationFailed
from mutualaid.extensions import db
from mutualaid.models import Match, Need, Offer, Person
from mutualaid.schemas import NeedInSchema, OfferInSchema
from mutualaid.services import groups as groups_svc
from mutualaid.services import needs as needs_svc
from mutualaid.services import offers as offers_svc
from mutualaid.services import visibility


def _need_data(**kw):
    data = {
        "group": kw.pop("group"),
        "category": "food",
        "title": "Weekly shop",
        "postcode": "E8 1AA",
        "address": "1 Mare Street",
        "when": {"weekly": [{"weekday": "tue", "start": "10:00", "end": "12:00"}]},
        **kw,
    }
    return NeedInSchema().load(data)


def test_post_need_resolves_and_joins_group(ctx, create_group, create_person):
    group = create_group(slug="hackney")
    resident = db.session.get(Person, create_person().id)
    need = needs_svc.post_need(resident, _need_data(group="hackney", skills=["cooking"]))
    assert need.district == "E8" and need.status == "open"
    assert need.windows == [{"weekday": 1, "start": "10:00", "end": "12:00"}]
    assert [s.slug for s in need.skills] == ["cooking"]
    assert [m.group_id for m in resident.memberships] == [group.id]


def test_post_need_collects_field_errors(ctx, create_group, create_person):
    create_group(slug="hackney")
    resident = db.session.get(Person, create_person().id)
    with pytest.raises(ValidationFailed) as exc:
        needs_svc.post_need(resident, _need_data(group="nowhere", skills=["x"], postcode="ZZ9 9ZZ"))
    assert exc.value.errors == {
        "group": ["Unknown group 'nowhere'."],
        "skills": ["Unknown skill 'x'."],
        "postcode": ["Unknown postcode district 'ZZ9'."],
    }


def test_need_outside_group_area(ctx, create_group, create_person):
    create_group(slug="hackney", name="Hackney", radius_km=3)
    resident = db.session.get(Person, create_person().id)
    with pytest.raises(ValidationFailed) as exc:
        needs_svc.post_need(resident, _need_data(group="hackney", postcode="M1 1AA"))
    assert exc.value.errors == {
        "postcode": ["M1 1AA is outside the area of Hackney. No group covers it yet."]
    }


def test_district_group_contains():
    from mutualaid.models import Group

    group = Group(name="N", slug="n", districts=["E8", "N16"])
    assert groups_svc.contains(group, 0, 0, "n16")
    assert not groups_svc.contains(group, 51.5, -0.06, "E9")


def test_refresh_status_and_cancel(ctx, create_group, create_need, create_offer):
    group = create_group()
    need = db.session.get(Need, create_need(group, volunteers_needed=2).id)
    offers = [db.session.get(Offer, create_offer(groups=[group]).id) for _ in range(2)]
    first = Match(need_id=need.id, offer_id=offers[0].id, status="approved")
    db.session.add(first)
    db.session.flush()
    assert needs_svc.refresh_need_status(need).status == "partly_matched"
    db.session.add(Match(need_id=need.id, offer_id=offers[1].id, status="completed"))
    db.session.flush()
    assert needs_svc.refresh_need_status(need).status == "matched"
    first.status = "declined"
    assert needs_svc.refresh_need_status(need).status == "partly_matched"
    proposed = Match(need_id=need.id, offer_id=offers[0].id, status="proposed")
    db.session.add(proposed)
    needs_svc.cancel_need(need, need.requester)
    assert need.status == "cancelled" and proposed.status == "cancelled"
    with pytest.raises(InvalidState):
        needs_svc.update_need(need, need.requester, {"title": "x"})


def test_stranger_cannot_change_need(ctx, create_group, create_need, create_person):
    need = db.session.get(Need, create_need(create_group()).id)
    stranger = db.session.get(Person, create_person().id)
    with pytest.raises(Forbidden):
        needs_svc.update_need(need, stranger, {"title": "Mine now"})
    with pytest.raises(Forbidden):
        needs_svc.cancel_need(need, stranger)


def test_offer_skills_keep_verification(ctx, create_group, create_person):
    coordinator = db.session.get(Person, create_person().id)
    group = create_group(slug="hackney", coordinators=[coordinator])
    volunteer = db.session.get(Person, create_person().id)
    data = OfferInSchema().load(
        {
            "groups": ["hackney"],
            "skills": ["dbs-checked"],
            "postcode": "E8 2AA",
            "availability": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        }
    )
    offer = offers_svc.post_offer(volunteer, data)
    assert [m.group_id for m in volunteer.memberships] == [group.id]
    offers_svc.verify_credential(
        offer, "dbs-checked", coordinator, date.today() + timedelta(days=365)
    )
    offers_svc.update_offer(offer, volunteer, {"skills": ["dbs-checked", "cooking"]})
    held = {os.skill.slug: os for os in offer.offer_skills}
    assert held["dbs-checked"].verified_dt is not None and held["cooking"].verified_dt is None
    with pytest.raises(Forbidden):
        offers_svc.verify_credential(
            offer, "dbs-checked", volunteer, date.today() + timedelta(days=1)
        )
    with pytest.raises(ValidationFailed):
        offers_svc.verify_credential(
            offer, "cooking", coordinator, date.today() + timedelta(days=1)
        )


def test_need_view_hides_private_fields(ctx, create_group, create_need, create_person):
    need = db.session.get(Need, create_need(create_group(), address="Flat 9").id)
    stranger = db.session.get(Person, create_person().id)
    public = visibility.need_view(need, stranger)
    assert public["full_view"] is False
    assert not {"address", "postcode", "requester", "volunteers"} & set(public)
    full = visibility.need_view(need, need.requester)
    assert full["address"] == "Flat 9" and full["requester"]["email"] == need.requester.email


def test_imported_unit_postcode_gives_exact_place(ctx, create_group, create_person):
    from mutualaid.models import UnitPostcode

    create_group(slug="hackney")
    resident = db.session.get(Person, create_person().id)
    db.session.add(UnitPostcode(postcode="E81AA", lat=51.54321, lon=-0.05432))
    db.session.flush()
    need = needs_svc.post_need(resident, _need_data(group="hackney", postcode="e8 1aa"))
    assert (need.postcode, need.lat, need.lon) == ("E8 1AA", 51.54321, -0.05432)

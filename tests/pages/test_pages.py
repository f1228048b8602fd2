"""The server-rendered pages, through the Flask test client."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.models import Match, Need, Offer, Person


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _unescape(html: str) -> str:
    return (
        html.replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#34;", '"')
        .replace("&quot;", '"')
    )


def _value(html: str, field_id: str) -> str | None:
    match = re.search(rf'<input id="{re.escape(field_id)}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def _error_for(html: str, field_id: str) -> str | None:
    match = re.search(
        rf'<p class="error-message" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S
    )
    return re.sub(r"<[^>]+>|Error:", "", match.group(1)).strip() if match else None


# ---- every page: layout, footer, accessibility basics -------------------------------------------


def test_public_pages_render_with_layout_and_attribution(client, create_group):
    create_group(name="Hackney Mutual Aid")
    for path in ("/", "/login", "/register", "/about-the-data"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = _unescape(_text(resp))
        assert '<html lang="en-GB">' in html
        assert 'href="#main">Skip to main content</a>' in html
        assert '<main id="main"' in html and '<nav aria-label="Main">' in html and "<footer" in html
        assert geo.ATTRIBUTION in html, path
        assert 'href="/about-the-data"' in html
    assert "Hackney Mutual Aid" in _text(client.get("/"))


def test_about_the_data_shows_the_licence(client):
    html = _unescape(_text(client.get("/about-the-data")))
    assert "Open Government Licence" in html
    assert "UK postcode and place coordinates: sources, licences and attribution" in html


def test_about_the_data_is_rendered_not_raw_markdown(client):
    html = _text(client.get("/about-the-data"))
    assert "<pre" not in html and "| --- |" not in html and "\n## " not in html
    assert "<h2>UK postcode and place coordinates" in html and "<h3>1. Files</h3>" in html
    assert "<table>" in html and "<code>uk_outcodes.csv</code>" in html


def test_every_logged_in_page_has_the_attribution(
    login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    need = create_need(group, requester=coordinator)
    offer = create_offer(groups=[group], volunteer=coordinator)
    browser = login(coordinator)
    for path in (
        "/",
        "/needs/new",
        "/offers/new",
        "/needs/mine",
        "/offers/mine",
        f"/needs/{need.id}",
        f"/needs/{need.id}/edit",
        f"/needs/{need.id}/cancel",
        f"/offers/{offer.id}/edit",
        f"/offers/{offer.id}/withdraw",
        f"/groups/{group.slug}/coordinate",
        "/about-the-data",
    ):
        resp = browser.get(path)
        assert resp.status_code == 200, path
        assert geo.ATTRIBUTION in _unescape(_text(resp)), path


def test_error_pages_use_the_layout(client, login, create_person):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    html = _unescape(_text(resp))
    assert "Page not found" in html and geo.ATTRIBUTION in html and 'lang="en-GB"' in html
    resp = login(create_person()).get("/needs/999999")
    assert resp.status_code == 404 and geo.ATTRIBUTION in _unescape(_text(resp))


def test_every_input_has_a_label(login, create_person, create_group):
    create_group()
    browser = login(create_person())
    for path in ("/needs/new", "/offers/new"):
        html = _text(browser.get(path))
        ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
        assert ids, path
        for field_id in ids:
            assert (
                f'<label for="{field_id}"' in html
                or f'<label class="cell" for="{field_id}"' in html
            ), field_id
        assert html.count("<fieldset") == html.count("<legend")


# ---- accounts ---------------------------------------------------------------------------------


def test_register_asks_to_confirm_the_address(client, read):
    resp = client.post(
        "/register",
        data={
            "name": "Ana Silva",
            "email": "Ana@Example.org",
            "phone": "07700 900123",
            "password": "long enough pw",
        },
    )
    assert resp.status_code == 200
    assert "Check your email" in _text(resp)
    # Not logged in: an address that already had an account gets this same page.
    assert "Logged in as" not in _text(client.get("/"))
    assert (
        read(
            lambda: db.session.scalar(
                sa.select(Person.phone).where(Person.email == "ana@example.org")
            )
        )
        == "07700 900123"
    )


def test_register_errors_keep_what_was_typed(client, create_person):
    create_person(email="taken@example.org")
    resp = client.post(
        "/register", data={"name": "Bo", "email": "taken@example.org", "password": "short"}
    )
    assert resp.status_code in (400, 409, 422)
    html = _text(resp)
    assert "There is a problem" in html
    assert _error_for(html, "password")
    assert _value(html, "name") == "Bo" and _value(html, "email") == "taken@example.org"
    assert _value(html, "password") == ""  # never echo a password back
    resp = client.post(
        "/register", data={"name": "", "email": "ana@example.org", "password": "long enough pw"}
    )
    assert resp.status_code == 422
    assert _error_for(_text(resp), "name") == "Enter your name."
    resp = client.post(
        "/register", data={"name": "Ana", "email": "not-an-email", "password": "long enough pw"}
    )
    html = _text(resp)
    assert resp.status_code == 422
    assert _error_for(html, "email")
    assert 'aria-describedby="email-error"' in html and 'aria-invalid="true"' in html


def test_login_failure_and_logout(client, create_person):
    person = create_person()
    resp = client.post("/login", data={"email": person.email, "password": "wrong password"})
    assert resp.status_code == 401
    html = _text(resp)
    assert "Wrong email or password." in html and _value(html, "email") == person.email
    assert (
        client.post(
            "/login", data={"email": person.email, "password": "correct horse battery"}
        ).status_code
        == 302
    )
    assert "Logged in as" in _text(client.get("/"))
    assert client.get("/logout").status_code == 405  # logging out changes state: POST only
    assert client.post("/logout").status_code == 302
    assert "Logged in as" not in _text(client.get("/"))


def test_login_returns_to_a_local_page_only(client, create_person):
    person = create_person()
    resp = client.post(
        "/login?next=/needs/mine", data={"email": person.email, "password": "correct horse battery"}
    )
    assert resp.headers["Location"].endswith("/needs/mine")
    client.post("/logout")
    resp = client.post(
        "/login?next=https://evil.example/",
        data={"email": person.email, "password": "correct horse battery"},
    )
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize(
    "path",
    [
        "/needs/new",
        "/offers/new",
        "/needs/mine",
        "/offers/mine",
        "/needs/1",
        "/coordinate",
        "/groups/any/coordinate",
    ],
)
def test_pages_need_a_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert "/login?next=" in resp.headers["Location"]


# ---- I need help ------------------------------------------------------------------------------


def test_post_a_need_then_see_it_in_my_needs(login, create_person, create_group, need_form, read):
    person = create_person()
    group = create_group()
    browser = login(person)
    resp = browser.post("/needs/new", data=need_form(group))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/needs/mine")
    html = _text(browser.get("/needs/mine"))
    assert "Help reading a tenancy letter" in html
    stored = read(
        lambda: (lambda n: (n.requester_id, n.address, [s.slug for s in n.skills], n.on_date))(
            db.session.scalar(sa.select(Need))
        )
    )
    assert stored == (
        person.id,
        "Flat 3, 12 Mare Street",
        ["legal-advice"],
        date.today() + timedelta(days=10),
    )


def test_post_a_weekly_need(login, create_person, create_group, need_form, read):
    group = create_group()
    browser = login(create_person())
    data = need_form(
        group,
        when_kind="weekly",
        date=None,
        start=None,
        end=None,
        **{
            "weekly-0-weekday": "tue",
            "weekly-0-start": "07:30",
            "weekly-0-end": "09:00",
            "weekly-1-weekday": "",
            "weekly-1-start": "",
            "weekly-1-end": "",
            "weekly-2-weekday": "thu",
            "weekly-2-start": "15:00",
            "weekly-2-end": "17:00",
        },
    )
    assert browser.post("/needs/new", data=data).status_code == 302
    need = read(lambda: db.session.scalar(sa.select(Need)))
    assert need.on_date is None
    assert need.windows == [
        {"weekday": 1, "start": "07:30", "end": "09:00"},
        {"weekday": 3, "start": "15:00", "end": "17:00"},
    ]
    assert "Every week: Tuesday 07:30–09:00; Thursday 15:00–17:00" in _text(
        browser.get("/needs/mine")
    )


@pytest.mark.parametrize(
    "overrides, field_id, message",
    [
        ({"postcode": "ZZ99 9ZZ"}, "postcode", None),
        ({"start": "11:00", "end": "09:00"}, "end", "The end must be after the start."),
        ({"title": ""}, "title", "Enter a short title."),
        ({"group": "no-such-group"}, "group", "Unknown group 'no-such-group'."),
        ({"volunteers_needed": "lots"}, "volunteers_needed", None),
        ({"date": "2001-01-01"}, "date", "The date is in the past."),
    ],
)
def test_need_form_errors_are_shown_next_to_fields_and_input_kept(
    login, create_person, create_group, need_form, overrides, field_id, message, read
):
    group = create_group()
    browser = login(create_person())
    data = need_form(group, **overrides)
    resp = browser.post("/needs/new", data=data)
    assert resp.status_code in (400, 422)
    html = _unescape(_text(resp))
    error = _error_for(html, field_id)
    assert error, html
    if message:
        assert error == message
    assert f'href="#{field_id}"' in html  # the summary links to the field
    assert f'id="{field_id}-error"' in html and f"{field_id}-error" in re.search(
        rf'id="{field_id}"[^>]*', html
    ).group(0)
    # what was typed is still there
    assert _value(html, "postcode") == data["postcode"]
    assert "My landlord wrote to me." in html and "Flat 3, 12 Mare Street" in html
    assert re.search(r'value="legal-advice" checked', html)
    assert read(lambda: db.session.scalar(sa.select(sa.func.count(Need.id)))) == 0


def test_weekly_window_error_lands_on_its_row(login, create_person, create_group, need_form):
    group = create_group()
    browser = login(create_person())
    data = need_form(
        group,
        when_kind="weekly",
        date=None,
        start=None,
        end=None,
        **{
            "weekly-0-weekday": "",
            "weekly-0-start": "",
            "weekly-0-end": "",
            "weekly-1-weekday": "wed",
            "weekly-1-start": "10:00",
            "weekly-1-end": "09:00",
        },
    )
    resp = browser.post("/needs/new", data=data)
    assert resp.status_code == 422
    html = _unescape(_text(resp))
    assert _error_for(html, "weekly-1-end") == "The end must be after the start."
    assert _value(html, "weekly-1-start") == "10:00"


def test_need_form_without_a_time_choice(login, create_person, create_group, need_form):
    group = create_group()
    resp = login(create_person()).post("/needs/new", data=need_form(group, when_kind=None))
    assert resp.status_code == 422
    assert _error_for(_unescape(_text(resp)), "when_kind") == "Choose when you need help."


def test_add_another_time_row_without_javascript(
    login, create_person, create_group, need_form, read
):
    group = create_group()
    browser = login(create_person())
    resp = browser.post("/needs/new", data=need_form(group, add_window="1", when_kind="weekly"))
    assert resp.status_code == 200
    assert 'id="weekly-3-start"' in _text(resp)
    assert read(lambda: db.session.scalar(sa.select(sa.func.count(Need.id)))) == 0


def test_change_and_cancel_a_need(login, create_person, create_group, create_need, need_form, read):
    person = create_person()
    group = create_group()
    need = create_need(group, requester=person)
    browser = login(person)
    form = _text(browser.get(f"/needs/{need.id}/edit"))
    assert _value(form, "title") == "Help with a housing letter"
    resp = browser.post(
        f"/needs/{need.id}/edit", data=need_form(group, title="A new title", address="")
    )
    assert resp.status_code == 302
    changed = read(lambda: db.session.get(Need, need.id))
    assert changed.title == "A new title" and changed.address is None
    assert browser.post(f"/needs/{need.id}/cancel").status_code == 302
    assert read(lambda: db.session.get(Need, need.id).status) == "cancelled"
    html = _text(browser.get("/needs/mine"))
    assert "A new title" in html and "cancelled" in html


def test_someone_else_cannot_change_a_need(
    login, create_person, create_group, create_need, need_form
):
    group = create_group()
    need = create_need(group)
    browser = login(create_person())
    assert browser.get(f"/needs/{need.id}/edit").status_code == 403
    assert browser.post(f"/needs/{need.id}/edit", data=need_form(group)).status_code == 403
    assert browser.post(f"/needs/{need.id}/cancel").status_code == 403


# ---- privacy ----------------------------------------------------------------------------------


def test_other_volunteer_never_sees_address_or_contact(
    login, create_person, create_group, create_need
):
    resident = create_person(name="Rita Resident", email="rita@example.org", phone="07700 900555")
    group = create_group()
    need = create_need(
        group, requester=resident, address="Flat 9, 1 Secret Road", postcode="E8 1AA"
    )
    html = _unescape(_text(login(create_person()).get(f"/needs/{need.id}")))
    assert "Help with a housing letter" in html and "E8" in html
    for secret in (
        "Flat 9, 1 Secret Road",
        "Rita Resident",
        "rita@example.org",
        "07700 900555",
        "E8 1AA",
        "Private details",
    ):
        assert secret not in html
    owner_html = _unescape(_text(login(resident).get(f"/needs/{need.id}")))
    assert "Flat 9, 1 Secret Road" in owner_html


def test_approved_volunteer_sees_the_address_and_the_resident_sees_who_is_coming(
    app, login, create_person, create_group, create_need, create_offer
):
    resident = create_person(name="Rita Resident")
    volunteer = create_person(name="Vic Volunteer", phone="07700 900777")
    group = create_group()
    need = create_need(group, requester=resident, address="Flat 9, 1 Secret Road")
    offer = create_offer(groups=[group], volunteer=volunteer)
    with app.app_context():
        db.session.add(Match(need_id=need.id, offer_id=offer.id, status="approved", score=0.9))
        db.session.commit()
    assert "Flat 9, 1 Secret Road" in _unescape(_text(login(volunteer).get(f"/needs/{need.id}")))
    mine = _unescape(_text(login(resident).get("/needs/mine")))
    assert "Who is coming" in mine and "Vic Volunteer" in mine and "07700 900777" in mine


# ---- I can help -------------------------------------------------------------------------------


def test_offer_time_then_see_it_in_my_offers(login, create_person, create_group, offer_form, read):
    person = create_person()
    group = create_group(name="Dalston Helpers")
    browser = login(person)
    data = offer_form(
        group, **{"custom-0-weekday": "wed", "custom-0-start": "07:30", "custom-0-end": "09:00"}
    )
    resp = browser.post("/offers/new", data=data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/offers/mine")
    offer = read(lambda: db.session.scalar(sa.select(Offer)))
    assert offer.volunteer_id == person.id and offer.capacity == 2 and offer.max_travel_km == 4
    assert offer.availability == [
        {"weekday": 1, "start": "08:00", "end": "17:00"},
        {"weekday": 5, "start": "17:00", "end": "21:00"},
        {"weekday": 2, "start": "07:30", "end": "09:00"},
    ]
    html = _text(browser.get("/offers/mine"))
    assert f"Groups: {group.name}" in html and f"Groups: {group.slug}" not in html
    assert "Tuesday 08:00–17:00" in html and "Wednesday 07:30–09:00" in html
    # the change form shows the grid ticked as it was
    form = _text(browser.get(f"/offers/{offer.id}/edit"))
    assert re.search(r'id="slot-tue-morning"[^>]*checked', form)
    assert re.search(r'id="slot-sat-evening"[^>]*checked', form)
    assert not re.search(r'id="slot-mon-morning"[^>]*checked', form)
    assert _value(form, "custom-0-start") == "07:30"


@pytest.mark.parametrize(
    "overrides, field_id",
    [
        ({"postcode": "not a postcode"}, "postcode"),
        ({"groups": ["no-such-group"]}, "groups"),
        ({"groups": []}, "groups"),
        ({"slots": []}, "slots"),
        ({"capacity": "0"}, "capacity"),
        ({"max_travel_km": "far"}, "max_travel_km"),
        (
            {
                "slots": [],
                "custom-0-weekday": "mon",
                "custom-0-start": "18:00",
                "custom-0-end": "17:00",
            },
            "custom-0-end",
        ),
    ],
)
def test_offer_form_errors(
    login, create_person, create_group, offer_form, overrides, field_id, read
):
    group = create_group()
    browser = login(create_person())
    data = offer_form(group, **overrides)
    resp = browser.post("/offers/new", data=data)
    assert resp.status_code in (400, 422)
    html = _unescape(_text(resp))
    assert _error_for(html, field_id), html
    assert "No Sundays." in html
    if overrides.get("slots") is None:
        assert re.search(r'id="slot-tue-morning"[^>]*checked', html)
    assert read(lambda: db.session.scalar(sa.select(sa.func.count(Offer.id)))) == 0


def test_change_withdraw_and_resume_an_offer(
    login, create_person, create_group, create_offer, offer_form, read
):
    person = create_person()
    group = create_group()
    offer = create_offer(groups=[group], volunteer=person)
    browser = login(person)
    assert (
        browser.post(
            f"/offers/{offer.id}/edit", data=offer_form(group, capacity="3", note="")
        ).status_code
        == 302
    )
    changed = read(lambda: db.session.get(Offer, offer.id))
    assert changed.capacity == 3 and changed.note is None
    assert browser.post(f"/offers/{offer.id}/withdraw").status_code == 302
    assert read(lambda: db.session.get(Offer, offer.id).is_active) is False
    assert "Make active again" in _text(browser.get("/offers/mine"))
    assert browser.post(f"/offers/{offer.id}/resume").status_code == 302
    assert read(lambda: db.session.get(Offer, offer.id).is_active) is True
    assert login(create_person()).get(f"/offers/{offer.id}/edit").status_code == 403


def test_one_account_is_resident_and_volunteer(
    login, create_person, create_group, need_form, offer_form
):
    group = create_group()
    browser = login(create_person())
    assert browser.post("/needs/new", data=need_form(group)).status_code == 302
    assert browser.post("/offers/new", data=offer_form(group)).status_code == 302
    assert "Help reading a tenancy letter" in _text(browser.get("/needs/mine"))
    assert group.name in _text(browser.get("/offers/mine"))


# ---- coordinators -----------------------------------------------------------------------------


def test_coordinator_page_lists_needs_and_offers_with_filters(
    login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    other = create_group()
    create_need(group, title="Childcare on Monday", category="childcare", skills=["childcare"])
    create_need(group, title="Food parcel", category="food", postcode="N16 0AA")
    create_need(group, title="Cancelled one", category="food", status="cancelled")
    create_need(other, title="Another group's need")
    create_offer(groups=[group], volunteer=create_person(name="Cook Carla"), skills=["cooking"])
    create_offer(groups=[group], volunteer=create_person(name="Sleepy Sam"), is_active=False)
    browser = login(coordinator)
    home = _text(browser.get("/"))
    assert 'href="/coordinate">Coordinate</a>' in home
    assert (
        browser.get("/coordinate").headers["Location"].endswith(f"/groups/{group.slug}/coordinate")
    )
    base = f"/groups/{group.slug}/coordinate"
    html = _text(browser.get(base))
    assert "Childcare on Monday" in html and "Food parcel" in html and "Cook Carla" in html
    assert (
        "Cancelled one" not in html
        and "Another group's need" not in html
        and "Sleepy Sam" not in html
    )
    html = _text(browser.get(base + "?category=childcare"))
    assert "Childcare on Monday" in html and "Food parcel" not in html
    html = _text(browser.get(base + "?skill=childcare"))
    assert "Childcare on Monday" in html and "Food parcel" not in html and "Cook Carla" not in html
    html = _text(browser.get(base + "?district=n16"))
    assert "Food parcel" in html and "Childcare on Monday" not in html
    html = _text(browser.get(base + "?status=cancelled"))
    assert "Cancelled one" in html and "Food parcel" not in html
    resp = browser.get(base + "?status=bogus&category=<script>")
    assert resp.status_code == 200 and "<script>" not in _text(resp)


def test_coordinator_page_is_forbidden_to_others(login, create_person, create_group):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    other_coordinator = create_person()
    create_group(coordinators=[other_coordinator])
    member = create_person()
    for person in (member, other_coordinator):
        browser = login(person)
        resp = browser.get(f"/groups/{group.slug}/coordinate")
        assert resp.status_code == 403
        assert "You can't see this page" in _unescape(_text(resp))
    assert 'href="/coordinate"' not in _text(login(member).get("/"))
    assert login(coordinator).get("/groups/no-such-group/coordinate").status_code == 404


def test_coordinator_sees_contact_details(login, create_person, create_group, create_need):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    resident = create_person(phone="07700 900888")
    need = create_need(group, requester=resident, address="Flat 1, 2 Known Road")
    html = _unescape(_text(login(coordinator).get(f"/needs/{need.id}")))
    assert "Flat 1, 2 Known Road" in html and "07700 900888" in html


def test_other_areas_can_add_navigation_links(monkeypatch, login, create_person, create_group):
    from mutualaid.services import accounts
    from web.pages import nav

    monkeypatch.setattr(nav, "_links", [])
    nav.add_nav_link("Everyone's link", "pages.about_data")
    nav.add_nav_link(
        "Coordinators' link",
        "pages.coordinate_index",
        lambda person: bool(accounts.coordinated_group_ids(person)),
    )
    nav.add_nav_link("Duplicate", "pages.about_data")
    coordinator = create_person()
    create_group(coordinators=[coordinator])
    member_home = _text(login(create_person()).get("/"))
    assert "Everyone&#39;s link" in member_home and "Coordinators&#39; link" not in member_home
    assert "Duplicate" not in member_home
    assert "Coordinators&#39; link" in _text(login(coordinator).get("/"))


@pytest.mark.parametrize(
    "overrides",
    [
        {"volunteers_needed": "99999999999999999999999"},
        {"volunteers_needed": "1.5"},
        {"title": "nul\x00byte"},
        {"postcode": "E8\x001AA"},
        {"date": "2026-02-30"},
        {"start": "25:00"},
        {"urgency": "extreme", "category": "nonsense", "skills": ["no-such-skill"]},
        {"when_kind": "sometimes"},
        {
            "when_kind": "weekly",
            "weekly-0-weekday": "funday",
            "weekly-0-start": "x",
            "weekly-99-end": "y",
        },
        {"title": "x" * 5000, "address": "y" * 5000},
    ],
)
def test_garbage_in_the_need_form_never_breaks_the_page(
    login, create_person, create_group, need_form, read, overrides
):
    group = create_group()
    resp = login(create_person()).post("/needs/new", data=need_form(group, **overrides))
    assert resp.status_code in (400, 422)
    assert "There is a problem" in _text(resp)
    assert read(lambda: db.session.scalar(sa.select(sa.func.count(Need.id)))) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"max_travel_km": "inf"},
        {"max_travel_km": "nan"},
        {"capacity": "-1"},
        {"note": "n" * 5000},
        {"slots": ["mon-midnight", "xyz"]},
        {"custom-0-weekday": "mon", "custom-0-start": "9", "custom-0-end": ""},
    ],
)
def test_garbage_in_the_offer_form_never_breaks_the_page(
    login, create_person, create_group, offer_form, read, overrides
):
    group = create_group()
    data = offer_form(group, **overrides)
    if "slots" in overrides:
        data["slots"] = overrides["slots"]
    resp = login(create_person()).post("/offers/new", data=data)
    assert resp.status_code in (400, 422), _text(resp)
    assert "There is a problem" in _text(resp)


def test_a_cancelled_need_cannot_be_changed(login, create_person, create_group, create_need):
    person = create_person()
    need = create_need(create_group(), requester=person, status="cancelled")
    resp = login(person).get(f"/needs/{need.id}/edit")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/needs/{need.id}")


def test_every_problem_of_a_need_form_at_once(login, create_person, create_group, need_form):
    """An empty title, an unknown postcode and an end before the start: all three in one go."""
    group = create_group()
    resp = login(create_person()).post(
        "/needs/new",
        data=need_form(group, title="", postcode="ZZ99 9ZZ", start="11:00", end="09:00"),
    )
    assert resp.status_code == 422
    page = _unescape(_text(resp))
    assert _error_for(page, "title")
    assert _error_for(page, "postcode")
    assert _error_for(page, "end") or _error_for(page, "start")


def test_every_problem_of_an_offer_form_at_once(login, create_person, create_group, offer_form):
    group = create_group()
    resp = login(create_person()).post(
        "/offers/new", data=offer_form(group, postcode="ZZ99 9ZZ", capacity="0")
    )
    assert resp.status_code == 422
    page = _unescape(_text(resp))
    assert _error_for(page, "postcode") and _error_for(page, "capacity")


def test_times_and_dates_as_people_type_them(login, create_person, create_group, need_form, read):
    group = create_group()
    day = date.today() + timedelta(days=9)
    resp = login(create_person()).post(
        "/needs/new",
        data=need_form(group, date=day.strftime("%d/%m/%Y"), start="9.30", end="1100"),
    )
    assert resp.status_code == 302, _text(resp)
    need = read(lambda: db.session.scalars(sa.select(Need)).one())
    assert need.on_date == day and need.windows[0]["start"] == "09:30"
    assert need.windows[0]["end"] == "11:00"


def test_the_form_after_a_failed_submit_focuses_the_error_summary(
    login, create_person, create_group, need_form
):
    group = create_group()
    resp = login(create_person()).post("/needs/new", data=need_form(group, title=""))
    html = _text(resp)
    summary = html[html.index('class="error-summary"') - 5 :][:200]
    assert "autofocus" in summary and 'tabindex="-1"' in summary


def test_enter_presses_the_primary_action_first_in_the_form(login, create_person, create_group):
    """Implicit submission uses a form's first submit button: it must be the primary action."""
    create_group()
    browser = login(create_person())
    for url, label in (("/needs/new", "Post my request"), ("/offers/new", "Offer my time")):
        html = _text(browser.get(url))
        form = html[html.index('<form class="stack"') :]
        first = form[form.index('<button type="submit"') :][:160]
        assert label in first and "add_window" not in first


def test_messages_are_written_for_people(login, create_person, create_group, offer_form):
    group = create_group()
    resp = login(create_person()).post("/offers/new", data=offer_form(group, groups=[]))
    page = _unescape(_text(resp))
    assert resp.status_code == 422
    assert "Choose from 1 to 10 local groups." in page
    assert "Length must be" not in page and "Missing data" not in page


def test_skills_and_groups_are_shown_by_name(login, create_person, create_group, offer_form):
    group = create_group()
    browser = login(create_person())
    data = offer_form(group, skills=["cooking", "dbs-checked"])
    assert browser.post("/offers/new", data=data).status_code == 302
    html = _unescape(_text(browser.get("/offers/mine")))
    assert "DBS checked" in html and "Skills: Cooking, DBS checked" in html
    assert "dbs-checked" not in html.split('<main id="main"')[1].split("</main>")[0]
    assert "Offer around E8" in html and "Offer 1" not in html

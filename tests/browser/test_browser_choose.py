"""Volunteers choose, in a real browser at desktop and phone sizes: browse and filter, the map's
markers, claiming, the resident's status through approval, the "who could help" preview and a
group's public page. Every new page is screenshot and checked for sideways scrolling; axe-core
scans every page (``conftest.py``)."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser

SIZES = [(1280, 800), (390, 844)]
PASSWORD = "a long password"


@pytest.fixture
def shots(tmp_path):
    """``shots(page, name)``: a full-page screenshot (kept in ``SCREENSHOT_DIR`` if set) and a
    check that the page needs no sideways scrolling at this size."""
    folder = os.environ.get("SCREENSHOT_DIR") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)

    def take(page, name: str) -> str:
        size = page.viewport_size
        path = os.path.join(folder, f"{name}-{size['width']}x{size['height']}.png")
        page.screenshot(path=path, full_page=True)
        wide = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide[0] <= wide[1], f"{name} scrolls sideways at {size}: {wide}"
        return path

    return take


@pytest.fixture
def log_in(live_server, scanned):
    def run(page, email):
        page.goto(live_server + "/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(live_server + "/")
        scanned(page)

    return run


def _log_out(page, live_server):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/")


@pytest.fixture
def neighbourhood(create_group, create_person, create_need, create_offer):
    coordinator = create_person(email="cora@example.org", password=PASSWORD)
    group = create_group(slug="hackney", name="Hackney Mutual Aid", coordinators=[coordinator])
    volunteer = create_person(email="vic@example.org", password=PASSWORD, name="Vic Volunteer")
    create_offer([group], volunteer=volunteer, skills=["cooking"])
    resident = create_person(email="rita@example.org", password=PASSWORD, name="Rita Resident")
    soup = create_need(
        group,
        requester=resident,
        skills=["cooking"],
        category="food",
        title="Soup for my neighbour",
        windows=[{"weekday": 1, "start": "09:00", "end": "10:00"}],
        is_description_public=True,
    )
    create_need(group, skills=["legal-advice"], title="Read a letter", postcode="E9 5AA")
    create_need(group, category="befriending", title="A weekly chat", postcode="E8 4AA")
    return {"group": group, "soup": soup}


@pytest.mark.parametrize("size", SIZES)
def test_browse_filter_map_and_claim_then_the_resident_sees_it_agreed(
    app, live_server, browser_page, neighbourhood, shots, log_in, scanned, size
):
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, "vic@example.org")

    page.get_by_role("link", name="Find a need").first.click()
    page.wait_for_url(live_server + "/needs/browse")
    scanned(page)
    assert page.get_by_role("heading", name="3 open needs").is_visible()
    assert page.locator(".need-card").count() == 3
    markers = page.locator("path.need-marker")
    assert markers.count() == 2  # E8 (two needs) and E9 (one)
    shots(page, "browse")

    # the E8 point lists both its needs
    page.evaluate("window.scrollTo(0, document.getElementById('needs-map').offsetTop)")
    for k in range(markers.count()):
        markers.nth(k).click(force=True)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        if "District E8" in popup.inner_text():
            assert "Soup for my neighbour" in popup.inner_text()
            assert "A weekly chat" in popup.inner_text()
            break
    else:
        pytest.fail("no marker for E8")

    page.get_by_label("Kind of help").select_option("food")
    page.get_by_role("button", name="Show needs").click()
    page.wait_for_url("**/needs/browse?*")
    scanned(page)
    assert page.locator(".need-card").count() == 1 and page.locator("path.need-marker").count() == 1
    page.get_by_label("Day").select_option("fri")
    page.get_by_role("button", name="Show needs").click()
    page.wait_for_url("**day=fri**")
    assert page.get_by_text("No open need matches these filters.").is_visible()
    page.get_by_role("link", name="Clear the filters").click()
    page.wait_for_url(live_server + "/needs/browse")
    scanned(page)

    page.get_by_role(
        "button", name=re.compile("I can help with this.*Soup for my neighbour")
    ).click()
    page.wait_for_url(f"{live_server}/needs/{neighbourhood['soup'].id}")
    scanned(page)
    assert "Thank you: you offered to help" in page.content()
    assert page.get_by_text("You offered to help with this.").is_visible()
    shots(page, "need-claimed")
    _log_out(page, live_server)

    log_in(page, "rita@example.org")
    page.goto(f"{live_server}/needs/{neighbourhood['soup'].id}")
    scanned(page)
    assert "suggested" in page.locator(".progress").first.inner_text()

    from mutualaid.extensions import db
    from mutualaid.models import Match, Person
    from mutualaid.services import matches

    with app.app_context():
        claim = db.session.scalars(db.select(Match)).one()
        assert claim.is_claim
        cora = db.session.scalars(db.select(Person).filter_by(email="cora@example.org")).one()
        matches.approve_match(claim.id, cora)
        db.session.commit()
    page.reload()
    scanned(page)
    where = page.locator(".progress").first.inner_text()
    assert "Vic Volunteer" in where, where
    assert page.get_by_text("Who is coming").is_visible()


@pytest.mark.parametrize("size", SIZES)
def test_who_could_help_as_the_form_is_filled_and_with_the_button(
    live_server, browser_page, neighbourhood, shots, log_in, scanned, size
):
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, "rita@example.org")
    page.goto(live_server + "/needs/new")
    scanned(page)
    preview = page.locator("#preview")
    page.get_by_label("Local group").select_option("hackney")
    page.get_by_label("Cooking").check()
    page.get_by_label("Postcode").fill("E8 1AA")
    page.get_by_label("Once, on a date").check()
    day = date.today() + timedelta(days=(1 - date.today().weekday()) % 7 or 7)  # a Tuesday
    page.get_by_label("Date", exact=True).fill(day.strftime("%d/%m/%Y"))
    page.locator("#start").fill("09:00")
    page.locator("#end").fill("10:00")
    page.wait_for_function(
        "() => document.getElementById('preview').textContent.includes('1 volunteer in')"
    )
    assert preview.inner_text() == "1 volunteer in Hackney Mutual Aid could help with this."
    shots(page, "need-form-preview")

    page.locator("#end").fill("19:00")  # later than the volunteer is free
    page.wait_for_function(
        "() => document.getElementById('preview').textContent.includes('No volunteer')"
    )

    page.get_by_role("button", name="Check who could help").click()
    page.wait_for_load_state()
    scanned(page)
    assert "No volunteer in Hackney Mutual Aid could take this yet" in preview.inner_text()
    assert page.get_by_label("Postcode").input_value() == "E8 1AA"  # the form is kept


@pytest.mark.parametrize("size", SIZES)
def test_a_group_publishes_its_public_page(
    live_server, browser_page, neighbourhood, shots, log_in, scanned, size
):
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in(page, "cora@example.org")
    page.get_by_role("link", name="Public page of needs: not published").click()
    scanned(page)
    shots(page, "public-setting")
    page.get_by_role("button", name="Publish the public page").click()
    page.wait_for_url(live_server + "/groups/hackney/public-page")
    scanned(page)
    assert page.get_by_role("link", name="/g/hackney/needs").is_visible()
    _log_out(page, live_server)

    page.goto(live_server + "/g/hackney/needs")
    scanned(page)
    og = page.locator('meta[property="og:title"]').get_attribute("content")
    assert og == "Open requests for help in Hackney Mutual Aid"
    assert page.locator(".public-need").count() == 3
    assert page.get_by_role("heading", name="Soup for my neighbour").is_visible()  # shared
    assert "Read a letter" not in page.content()  # not shared: its kind of help instead
    assert page.locator("path.need-marker").count() == 2
    assert page.locator("path.group-area").count() == 1
    shots(page, "public-needs")

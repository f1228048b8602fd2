"""One journey in a real browser: register, log in, ask for help, see it listed.

Runs headless Chromium against the app served on a free localhost port (see ``conftest.py``:
CSRF protection on as in production, and axe-core on every page).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.browser


def _mailed_path(app, to: str, prefix: str) -> str:
    """The path of the last link starting with ``prefix`` mailed to ``to``."""
    import re

    import sqlalchemy as sa

    from mutualaid.extensions import db
    from mutualaid.models import OutboxMessage

    with app.app_context():
        body = db.session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.to_email == to)
            .order_by(OutboxMessage.id.desc())
        ).first()
    found = re.search(rf"({re.escape(prefix)}[A-Za-z0-9_.\-]+)", body or "")
    assert found, body
    return found.group(1)


def test_register_log_in_post_a_need_and_see_it(app, live_server, browser_page, create_group):
    group = create_group(name="Hackney Mutual Aid")
    page = browser_page

    page.goto(live_server + "/register")
    page.get_by_label("Your name").fill("Ana Silva")
    page.get_by_label("Email address").fill("ana@example.org")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    assert "Logged in as" not in page.content()
    page.goto(live_server + _mailed_path(app, "ana@example.org", "/verify-email/"))
    page.wait_for_url(live_server + "/login")
    assert "your email address is confirmed" in page.content()

    page.goto(live_server + "/login")
    page.get_by_label("Email address").fill("ana@example.org")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Log in").click()
    assert "Logged in as" in page.content()

    page.get_by_role("link", name="I need help").first.click()
    page.get_by_label("Local group").select_option(group.slug)
    page.get_by_label("Legal aid").check()
    page.get_by_label("Short title").fill("Help reading a tenancy letter")
    page.get_by_label("Postcode").fill("e81aa")
    page.get_by_label("Once, on a date").check()
    page.get_by_label("Date", exact=True).fill((date.today() + timedelta(days=7)).isoformat())
    page.locator("#start").fill("09:00")
    page.locator("#end").fill("11:00")
    page.get_by_role("button", name="Post my request").click()

    page.wait_for_url(live_server + "/needs/mine")
    assert page.get_by_role("heading", name="My needs").is_visible()
    assert page.get_by_role("link", name="Help reading a tenancy letter", exact=True).is_visible()


def _sideways_overflow(page) -> list[str]:
    """What sticks out past the right edge of the screen (nothing, when a phone needs no sideways
    scroll)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        return Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                      + ': ' + e.textContent.trim().slice(0, 40));
    }""")


def test_forms_and_contact_details_fit_a_small_phone(
    live_server, browser_page, create_group, create_person, create_offer
):
    coordinator = create_person(email="coordinator@example.org", password="a long password")
    group = create_group(name="Hackney Mutual Aid", coordinators=[coordinator])
    volunteer = create_person(
        name="Bartholomew Featherstonehaugh-Wainwright",
        email="bartholomew.featherstonehaugh-wainwright@example.org",
    )
    create_offer(groups=[group], volunteer=volunteer, skills=["cooking"])
    page = browser_page
    page.set_viewport_size({"width": 320, "height": 640})

    page.goto(live_server + "/login")
    page.get_by_label("Email address").fill("coordinator@example.org")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("button", name="Log in").click()
    assert "Logged in as" in page.content()

    for path in ("/offers/new", "/needs/new", f"/groups/{group.slug}/coordinate"):
        page.goto(live_server + path)
        assert _sideways_overflow(page) == [], path
    page.goto(live_server + "/offers/new")
    # the short day names on a phone still give screen readers the whole name
    assert page.get_by_role("rowheader", name="Wednesday").is_visible()


def _log_in(page, live_server, email, password="a long password"):
    page.goto(live_server + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    assert "Logged in as" in page.content()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_enter_posts_a_need_and_every_error_shows_at_once(
    live_server, browser_page, create_group, create_person, size
):
    group = create_group(name="Hackney Mutual Aid")
    create_person(email="rita@example.org", password="a long password")
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    _log_in(page, live_server, "rita@example.org")

    page.goto(live_server + "/needs/new")
    assert page.locator(".when-once").is_visible() and page.locator(".when-weekly").is_hidden()
    page.get_by_label("Local group").select_option(group.slug)
    page.get_by_label("Legal aid").check()
    page.get_by_label("Postcode").fill("ZZ99 9ZZ")
    page.get_by_label("Date", exact=True).fill(
        (date.today() + timedelta(days=7)).strftime("%d/%m/%Y")
    )
    page.locator("#start").fill("11:00")
    page.locator("#end").fill("09:00")
    page.get_by_label("Postcode").press("Enter")  # the title is still empty

    summary = page.locator(".error-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert "Short title" in text and "Postcode" in text and ("Until" in text or "From" in text)
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert _sideways_overflow(page) == []

    page.get_by_label("Short title").fill("Help reading a tenancy letter")
    page.get_by_label("Postcode").fill("E8 1AA")
    page.locator("#start").fill("09:00")
    page.locator("#end").fill("11:00")
    page.get_by_label("Short title").press("Enter")
    page.wait_for_url(live_server + "/needs/mine")
    assert page.get_by_role("link", name="Help reading a tenancy letter", exact=True).is_visible()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_about_the_data_reads_as_a_page(live_server, browser_page, size):
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(live_server + "/about-the-data")
    assert page.get_by_role("heading", name="3. Attribution block", exact=False).is_visible()
    assert page.locator(".licence table").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_each_role_lands_on_its_dashboard(
    live_server, browser_page, create_group, create_person, create_need, create_offer, size
):
    coordinator = create_person(email="cora@example.org", password="a long password")
    group = create_group(name="Hackney Mutual Aid", coordinators=[coordinator])
    resident = create_person(email="rita@example.org", password="a long password")
    create_need(group, requester=resident, title="Lift to the hospital")
    volunteer = create_person(email="vic@example.org", password="a long password")
    create_offer([group], volunteer=volunteer)
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    expected = {
        "rita@example.org": "Lift to the hospital",
        "vic@example.org": "1 of your 1 offer is active",
        "cora@example.org": "Groups you coordinate",
    }
    for email, text in expected.items():
        _log_in(page, live_server, email)
        assert page.get_by_role("heading", name="Hello,", exact=False).is_visible()
        assert text in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(live_server + "/")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_bulk_approval_previews_then_confirms_and_stepping_back_asks_first(
    app, live_server, browser_page, create_group, create_person, create_need, create_offer, size
):
    from mutualaid.extensions import db
    from mutualaid.models import Match

    coordinator = create_person(email="cora@example.org", password="a long password")
    group = create_group(name="Hackney Mutual Aid", coordinators=[coordinator])
    volunteer = create_person(email="vic@example.org", password="a long password")
    need = create_need(group, title="Lift to the hospital")
    offer = create_offer([group], volunteer=volunteer)
    with app.app_context():
        db.session.add(Match(need_id=need.id, offer_id=offer.id, status="proposed", score=0.8))
        db.session.commit()
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})

    _log_in(page, live_server, "cora@example.org")
    page.goto(f"{live_server}/groups/{group.slug}/matches")
    page.get_by_label("Approve every proposal scoring at least").fill("0.5")
    page.get_by_role("button", name="Check which ones").click()
    assert page.get_by_role(
        "heading", name="Approve 1 proposal scoring at least 0.50?"
    ).is_visible()
    assert page.get_by_role("cell", name="Lift to the hospital").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.get_by_role("button", name="Yes, approve these 1").click()
    page.wait_for_url(f"{live_server}/groups/{group.slug}/matches")
    assert "Approved 1 proposal." in page.content()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server + "/")

    _log_in(page, live_server, "vic@example.org")
    page.goto(live_server + "/matches/mine")
    page.get_by_role("link", name="I can't do this").click()
    page.get_by_label("Why?").fill("My car broke down")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.get_by_role("button", name="Yes, I can't do it").click()
    page.wait_for_url(live_server + "/matches/mine")
    assert "Declined." in page.content()


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_profile_and_password_reset_pages(app, live_server, browser_page, create_person, size):
    create_person(name="Ana Silva", email="ana@example.org", password="a long password")
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})

    page.goto(live_server + "/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    assert _sideways_overflow(page) == []
    page.get_by_label("Email address").fill("ana@example.org")
    page.get_by_role("button", name="Send the link").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()

    page.goto(live_server + _mailed_path(app, "ana@example.org", "/password/reset/"))
    assert _sideways_overflow(page) == []
    page.get_by_label("New password").fill("password")
    page.get_by_role("button", name="Save the new password").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    page.get_by_label("New password").fill("a brand new passphrase")
    page.get_by_role("button", name="Save the new password").click()
    page.wait_for_url(live_server + "/login")

    page.get_by_label("Email address").fill("ana@example.org")
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Your account").click()
    page.wait_for_url(live_server + "/account")
    assert _sideways_overflow(page) == []
    page.get_by_label("Phone number").fill("07700 900321")
    page.get_by_role("button", name="Save your details").click()
    assert "Your details are saved." in page.content()
    assert page.get_by_label("Phone number").input_value() == "07700 900321"
    for path in ("/account/tokens", "/account/delete", "/privacy"):
        page.goto(live_server + path)
        assert _sideways_overflow(page) == [], path


# --- the coordinator's desk: queue, notes, reports, spreadsheets ------------------------------

_AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")


def _axe_violations(page) -> list[str]:
    """What axe-core (vendored from npm, see vendor/axe-core) finds wrong on the page.

    axe is added to every page with ``page.add_init_script(path=_AXE)`` at the start of the
    test: the pages' Content Security Policy refuses a script added afterwards.
    """
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return list(found)


def _desk(app, create_group, create_person, create_need, create_offer):
    from mutualaid.extensions import db
    from mutualaid.models import Match

    coordinator = create_person(
        name="Cora Coordinator", email="cora@example.org", password="a long password"
    )
    group = create_group(name="Hackney Mutual Aid", slug="hackney", coordinators=[coordinator])
    resident = create_person(name="Rita Resident")
    offer = create_offer([group], volunteer=create_person(name="Vic Volunteer"), capacity=30)
    with app.app_context():
        for i in range(24):
            need = create_need(
                group,
                requester=resident,
                title=f"Shopping run {i}" if i < 22 else f"Housing letter {i}",
                category="food" if i < 22 else "legal-aid",
                urgency="high" if i % 5 == 0 else "normal",
            )
            db.session.add(
                Match(
                    need_id=need.id,
                    offer_id=offer.id,
                    status="proposed",
                    score=0.5 + i / 100,
                    distance_km=1.2,
                    explanation={
                        "summary": "1.2 km away (of 5 km)",
                        "score_parts": {
                            "closeness": 0.3,
                            "urgency": 0.25,
                            "waiting": 0.0,
                            "fairness": 0.2,
                        },
                    },
                )
            )
        db.session.commit()
    return group


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_queue_pages_searches_filters_and_takes_a_note(
    app, live_server, browser_page, create_group, create_person, create_need, create_offer, size
):
    _desk(app, create_group, create_person, create_need, create_offer)
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(path=_AXE)
    _log_in(page, live_server, "cora@example.org")

    page.goto(f"{live_server}/groups/hackney/matches")
    assert page.get_by_role("heading", name="Waiting for a decision (24)").is_visible()
    assert page.locator("li.card").count() == 20
    assert "urgent" in page.locator("li.card").first.text_content()
    assert "closeness" not in page.content()
    assert page.get_by_text("Reason for rejecting (required)").first.is_visible()
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []
    page.get_by_role("link", name="Next page (4 more)").click()
    page.wait_for_url("**page=2**")
    assert page.locator("li.card").count() == 4

    page.get_by_label("Search").fill("housing")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**q=housing**")
    assert page.get_by_role("heading", name="Waiting for a decision (2)").is_visible()
    assert page.locator("li.card").count() == 2 and "Next page" not in page.content()

    page.get_by_label("Search").fill("")
    page.get_by_label("Category").select_option("food")
    page.get_by_label("Order").select_option("score")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**category=food**")
    assert page.get_by_role("heading", name="Waiting for a decision (22)").is_visible()
    assert page.get_by_role("link", name="Next page (2 more)").is_visible()
    first_need = page.locator("li.queue-need h3").first.text_content()
    assert first_need.startswith("Shopping run 21")  # the best score first

    page.get_by_role("link", name="Notes and details").first.click()
    page.wait_for_url("**/matches/*")
    page.get_by_label("What happened").select_option("call")
    page.get_by_label("Note (required)").fill("Called Rita: Tuesday is fine.")
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_url("**/matches/*")
    assert page.get_by_text("Called Rita: Tuesday is fine.").is_visible()
    assert page.get_by_role("heading", name="Notes and follow-up (1)").is_visible()
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_report_export_and_import_with_a_dry_run(
    app,
    live_server,
    browser_page,
    create_group,
    create_person,
    create_need,
    create_offer,
    tmp_path,
    size,
):
    _desk(app, create_group, create_person, create_need, create_offer)
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(path=_AXE)
    _log_in(page, live_server, "cora@example.org")

    page.goto(f"{live_server}/groups/hackney/coordinate")
    page.get_by_role("link", name="Report").click()
    page.wait_for_url("**/report")
    assert page.locator("svg.chart-svg").count() >= 4
    assert page.get_by_role("table").count() == page.locator("svg.chart-svg").count()
    assert page.get_by_role("img", name="Needs by category: chart").is_visible()
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []

    page.goto(f"{live_server}/groups/hackney/coordinate?category=legal-aid")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these needs (CSV)").click()
    exported = (tmp_path / "needs.csv").as_posix()
    download.value.save_as(exported)
    with open(exported, encoding="utf-8-sig") as f:
        text = f.read()
    assert text.count("Housing letter") == 2 and "Shopping run" not in text

    bad = tmp_path / "bad.csv"
    bad.write_text(text + "x,nonsense,ZZ9 9ZZ,,,,,,,,,,,,,,,,\n", encoding="utf-8")
    page.get_by_role("link", name="Import needs or offers from a spreadsheet").click()
    page.wait_for_url("**/import")
    page.get_by_label("Needs (requests for help)").check()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/import")
    assert "nothing was saved" in page.content()
    assert page.get_by_text("3 rows: 2 ready, 1 with problems.").is_visible()
    assert page.get_by_role("cell", name="category").is_visible()
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_manual_pairing_feasible_and_not(
    app, live_server, browser_page, create_group, create_person, create_need, create_offer, size
):
    coordinator = create_person(email="cora@example.org", password="a long password")
    group = create_group(name="Hackney Mutual Aid", coordinators=[coordinator])
    need = create_need(group, title="Lift to the clinic", skills=["driving"])
    create_offer(
        [group],
        volunteer=create_person(name="Wendy Weekend"),
        skills=["driving"],
        availability=[{"weekday": 5, "start": "08:00", "end": "18:00"}],
    )
    create_offer([group], volunteer=create_person(name="Nina Near"), skills=["driving"])
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(path=_AXE)
    _log_in(page, live_server, "cora@example.org")

    page.goto(f"{live_server}/needs/{need.id}")
    page.get_by_role("link", name="Pair with a volunteer").click()
    page.get_by_label("Volunteer").select_option(label="Wendy Weekend – E8 – Driving")
    page.get_by_role("button", name="Check this pair").click()
    page.wait_for_url("**offer=*")
    assert page.get_by_role("heading", name="The engine cannot pair them").is_visible()
    assert page.get_by_role("button", name="Pair them and approve").count() == 0
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []

    page.get_by_label("Volunteer").select_option(label="Nina Near – E8 – Driving")
    page.get_by_role("button", name="Check this pair").click()
    page.wait_for_url("**offer=*")
    assert page.get_by_role("heading", name="The engine can pair them").is_visible()
    assert _axe_violations(page) == []
    page.get_by_role("button", name="Pair them and approve").click()
    page.wait_for_url(f"{live_server}/needs/{need.id}")
    assert "Paired and approved." in page.content()
    assert "Nina Near" in page.content()  # who is coming


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)])
def test_email_the_volunteers_and_choose_a_digest(
    app, live_server, browser_page, create_group, create_person, create_offer, size
):
    coordinator = create_person(email="cora@example.org", password="a long password")
    group = create_group(name="Hackney Mutual Aid", slug="hackney", coordinators=[coordinator])
    create_offer([group], volunteer=create_person(name="Ann"), skills=["driving"])
    create_offer([group], volunteer=create_person(name="Ben"))
    page = browser_page
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.add_init_script(path=_AXE)
    _log_in(page, live_server, "cora@example.org")

    page.goto(f"{live_server}/groups/hackney/coordinate")
    page.get_by_role("link", name="Email the volunteers").click()
    page.wait_for_url("**/email-volunteers")
    page.get_by_label("Only volunteers with this skill (optional)").select_option("driving")
    page.get_by_label("Subject (required)").fill("Drivers wanted")
    page.get_by_label("Message (required)").fill("Can anyone drive on Saturday?")
    page.get_by_role("button", name="Check who it goes to").click()
    assert page.get_by_text("This goes to 1 volunteer.").is_visible()
    assert _sideways_overflow(page) == []
    assert _axe_violations(page) == []
    page.get_by_role("button", name="Send to 1 volunteer").click()
    page.wait_for_url("**/coordinate")
    assert "Queued 1 email to the volunteers." in page.content()

    page.get_by_role("link", name="Your emails about this group").click()
    page.wait_for_url("**/alerts")
    page.get_by_label("One email a day with everything (at 07:00 UTC)").check()
    assert _axe_violations(page) == []
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/alerts")
    assert page.get_by_label("One email a day with everything (at 07:00 UTC)").is_checked()
    assert _sideways_overflow(page) == []

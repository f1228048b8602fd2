"""The admin pages in a real browser (CSRF on, axe-core on every page)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _log_in(page, live_server, email, password="a long password"):
    page.goto(live_server + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    assert "Logged in as" in page.content()


def test_each_admin_page(live_server, browser_page, create_person, create_group, scanned):
    create_person(email="ada@example.org", password="a long password", is_admin=True)
    create_person(email="nia@example.org", name="Nia Coord")
    create_group(name="Hackney Mutual Aid", slug="hackney")
    page = browser_page
    _log_in(page, live_server, "ada@example.org")

    page.get_by_role("link", name="Skills", exact=True).click()
    page.get_by_role("button", name="Add skill").click()
    summary = page.locator(".error-summary")
    assert (
        "Enter a slug" in summary.inner_text() and "Enter the skill's name" in summary.inner_text()
    )
    page.get_by_label("Short name for links (slug)").fill("sign-language")
    page.get_by_label("Name", exact=True).fill("Sign language")
    page.get_by_label("It is a check", exact=False).check()
    page.get_by_role("button", name="Add skill").click()
    assert "Added the skill Sign language" in page.content()

    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_role("link", name="Hackney Mutual Aid").click()
    page.get_by_label("Email address of their account").fill("nia@example.org")
    page.get_by_role("button", name="Add coordinator").click()
    assert "Nia Coord (nia@example.org) now coordinates Hackney Mutual Aid" in page.content()

    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_role("link", name="Create a group").click()
    page.get_by_label("Name", exact=True).fill("Cardiff")
    page.get_by_label("Short name for links (slug)").fill("cardiff")
    page.get_by_label("Or postcode districts", exact=False).fill("CF10 CF11")
    page.get_by_role("button", name="Create group").click()
    assert "Created the group Cardiff" in page.content()

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Kind of record").select_option("membership")
    page.get_by_role("button", name="Filter").click()
    assert "membership" in page.locator("table").inner_text()
    scanned(page)

    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_label("Email or name contains").fill("nia")
    page.get_by_role("button", name="Search").click()
    row = page.locator("tbody tr")
    assert row.count() == 1 and "coordinator of Hackney Mutual Aid" in row.inner_text()

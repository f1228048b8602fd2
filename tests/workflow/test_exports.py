"""CSV exports of a group's needs, offers, matches and hours: filters as on screen, personal
columns for coordinators only, no spreadsheet formulas, from the pages and the API."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from mutualaid.extensions import db
from mutualaid.models import Match
from mutualaid.services.exports import safe_cell


def _rows(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text[:500]
    assert resp.mimetype == "text/csv" and resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.fixture
def hostile(create_person):
    """A resident whose every field tries to run a spreadsheet formula."""
    return create_person(name="=cmd|' /C calc'!A0", phone="+44 7700 900123", email="x@example.org")


def test_needs_export_follows_the_filters_and_escapes_formulas(
    scene, browser, hostile, create_need
):
    create_need(
        scene.group,
        requester=hostile,
        title='=HYPERLINK("http://evil.example","Click")',
        description="-2+3",
        address="@SUM(A1:A2)",
        category="food",
        skills=["driving"],
        windows=[
            {"weekday": 0, "start": "09:00", "end": "11:00"},
            {"weekday": 3, "start": "14:00", "end": "15:30"},
        ],
    )
    create_need(scene.group, title="Housing letter", category="legal-aid")
    page = browser(scene.coordinator)

    rows = _rows(page.get("/groups/hackney/export/needs.csv?category=food"))
    assert len(rows) == 1
    row = rows[0]
    assert row["title"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["description"] == "'-2+3"
    assert row["address"] == "'@SUM(A1:A2)"
    assert row["name"] == "'=cmd|' /C calc'!A0" and row["phone"] == "'+44 7700 900123"
    assert row["email"] == "x@example.org" and row["postcode"] == "E8 1AA"
    assert row["skills"] == "driving" and row["weekly"] == "Mon 09:00-11:00; Thu 14:00-15:30"
    assert row["category"] == "food" and row["status"] == "open" and row["volunteers_needed"] == "1"
    every = _rows(page.get("/groups/hackney/export/needs.csv"))
    assert {r["title"] for r in every} >= {"Housing letter"} and len(every) == 2
    shown = page.get("/groups/hackney/coordinate?category=food").text
    assert "/groups/hackney/export/needs.csv?category=food" in shown  # the link keeps the filter


def test_the_personal_columns_are_for_coordinators_only(
    client, scene, browser, token_for, create_person, create_group, create_need, create_offer
):
    resident = create_person(name="Rita Resident", phone="07700 900111")
    volunteer = create_person(name="Victor Volunteer", phone="07700 900222")
    create_need(scene.group, requester=resident, title="Lift", address="Flat 9, 1 Secret Road")
    create_offer([scene.group], volunteer=volunteer, note="Keys under the mat")
    other_coordinator = create_person()
    create_group(coordinators=[other_coordinator], slug="islington")

    for person in (volunteer, resident, other_coordinator):
        for kind in ("needs", "offers"):
            resp = browser(person).get(f"/groups/hackney/export/{kind}.csv")
            rows = _rows(resp)
            assert rows and not {"name", "email", "phone", "address", "postcode", "note"} & set(
                rows[0]
            )
            text = resp.data.decode()
            for secret in ("Secret Road", "07700 900111", "07700 900222", "Keys under", "Rita"):
                assert secret not in text
            api = client.get(f"/api/v1/groups/hackney/export/{kind}", headers=token_for(person))
            assert secret not in api.data.decode() and "Secret Road" not in api.data.decode()
        assert browser(person).get("/groups/hackney/export/matches.csv").status_code == 403
        assert browser(person).get("/groups/hackney/export/hours.csv").status_code == 403

    offers = _rows(browser(scene.coordinator).get("/groups/hackney/export/offers.csv"))
    assert offers[0]["name"] == "Victor Volunteer" and offers[0]["note"] == "Keys under the mat"
    assert offers[0]["availability"].startswith("Mon 08:00-18:00; Tue 08:00-18:00")
    assert browser(scene.coordinator).get("/groups/nowhere/export/needs.csv").status_code == 404


def _match(app, need, offer, **kw):
    with app.app_context():
        match = Match(need_id=need.id, offer_id=offer.id, **kw)
        db.session.add(match)
        db.session.commit()
        return match.id


def test_matches_export_is_the_queue_filtered_every_page(
    app, scene, browser, create_need, create_offer
):
    offer = create_offer([scene.group], capacity=30)
    food = [
        _match(app, create_need(scene.group, title=f"Shop {i}", category="food"), offer, score=0.5)
        for i in range(25)
    ]
    _match(app, create_need(scene.group, title="Letter"), offer, score=0.9)
    page = browser(scene.coordinator)
    rows = _rows(page.get("/groups/hackney/export/matches.csv?category=food&sort=score"))
    assert sorted(int(r["id"]) for r in rows) == sorted(food)  # more than one page's worth
    assert {r["status"] for r in rows} == {"proposed"} and rows[0]["score"] == "0.5"
    queue = page.get("/groups/hackney/matches?category=food").text
    assert "/groups/hackney/export/matches.csv?" in queue and "category=food" in queue


def test_hours_export_by_period(app, scene, browser, create_need, create_offer, create_person):
    offer = create_offer([scene.group], volunteer=create_person(name="Hana Helper"), capacity=3)
    for day, hours in ((date(2026, 10, 5), 2.0), (date(2026, 11, 2), 1.5), (date(2026, 11, 30), 3)):
        _match(
            app,
            create_need(scene.group, title=f"Help on {day}"),
            offer,
            status="completed",
            hours=hours,
            completed_dt=datetime.combine(day, datetime.min.time().replace(hour=12)),
        )
    page = browser(scene.coordinator)
    rows = _rows(page.get("/groups/hackney/export/hours.csv?from=2026-11-01&to=2026-11-30"))
    assert [(r["completed_on"], r["hours"], r["volunteer"]) for r in rows] == [
        ("2026-11-02", "1.5", "Hana Helper"),
        ("2026-11-30", "3.0", "Hana Helper"),
    ]
    assert len(_rows(page.get("/groups/hackney/export/hours.csv"))) == 3
    assert page.get("/groups/hackney/export/hours.csv?from=yesterday").status_code == 400


def test_exports_through_the_api(client, scene, create_need, create_offer, token_for):
    create_need(scene.group, title="=1+1", category="food")
    create_need(scene.group, title="Letter", category="legal-aid")
    rows = _rows(
        client.get("/api/v1/groups/hackney/export/needs?category=food", headers=scene.headers)
    )
    assert [r["title"] for r in rows] == ["'=1+1"] and "address" in rows[0]
    assert _rows(client.get("/api/v1/groups/hackney/export/matches", headers=scene.headers)) == []
    hours = client.get("/api/v1/groups/hackney/export/hours?from=2026-01-01", headers=scene.headers)
    assert _rows(hours) == []

    bad = client.get("/api/v1/groups/hackney/export/needs?category=nope", headers=scene.headers)
    assert bad.status_code == 422 and "category" in bad.get_json()["errors"]
    bad = client.get("/api/v1/groups/hackney/export/hours?from=soon", headers=scene.headers)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
    assert client.get("/api/v1/groups/hackney/export/needs").status_code == 401

    doc = client.get("/api/v1/openapi.json").get_json()["paths"]
    for kind in ("needs", "offers", "matches", "hours"):
        content = doc[f"/api/v1/groups/{{slug}}/export/{kind}"]["get"]["responses"]["200"]
        assert "text/csv" in content["content"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44", "'+44"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (3, "3"),
        (-1.5, "-1.5"),
        (date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell

"""A group's report: the figures for a period, charts as SVG beside tables of the same numbers,
coordinators only, and no personal details."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, MatchingRun

MONDAY = date(2026, 11, 2)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour)


def _set_created(app, need, when):
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE needs SET created_dt = :dt WHERE id = :id"), {"dt": when, "id": need.id}
        )
        db.session.commit()


def _scene(app, scene, create_person, create_need, create_offer):
    """Three needs posted in two weeks; two matched (after 24 h and 48 h), one done with 2.5 h;
    a run that left the third unmatched for want of a skill."""
    vic = create_person(name="Victor Volunteer", phone="07700 900222")
    rita = create_person(name="Rita Resident", phone="07700 900111")
    offer = create_offer([scene.group], volunteer=vic, capacity=5)
    food = create_need(scene.group, requester=rita, title="Shopping", category="food")
    lift = create_need(scene.group, requester=rita, title="Lift", category="transport")
    legal = create_need(
        scene.group,
        requester=rita,
        title="Letter",
        category="legal-aid",
        skills=["legal-advice"],
        address="Flat 9, 1 Secret Road",
    )
    _set_created(app, food, _at(MONDAY))
    _set_created(app, lift, _at(MONDAY + timedelta(days=1)))
    _set_created(app, legal, _at(MONDAY + timedelta(days=8)))
    with app.app_context():
        db.session.add_all(
            [
                Match(
                    need_id=food.id,
                    offer_id=offer.id,
                    status="completed",
                    score=0.8,
                    decided_dt=_at(MONDAY + timedelta(days=1)),
                    completed_dt=_at(MONDAY + timedelta(days=7)),
                    hours=2.5,
                ),
                Match(
                    need_id=lift.id,
                    offer_id=offer.id,
                    status="approved",
                    score=0.7,
                    decided_dt=_at(MONDAY + timedelta(days=3)),
                ),
                MatchingRun(
                    group_id=scene.group.id,
                    status="succeeded",
                    started_dt=_at(MONDAY + timedelta(days=9)),
                    finished_dt=_at(MONDAY + timedelta(days=9)),
                    unmatched=[
                        {
                            "need": legal.id,
                            "open_slots": 1,
                            "reason_code": "no_skill",
                            "reason": "No volunteer has legal advice.",
                        }
                    ],
                ),
            ]
        )
        db.session.commit()


def test_the_report_counts_the_period(
    app, scene, browser, create_person, create_need, create_offer
):
    _scene(app, scene, create_person, create_need, create_offer)
    page = browser(scene.coordinator)
    resp = page.get("/groups/hackney/report?from=2026-11-02&to=2026-11-15")
    assert resp.status_code == 200
    text = resp.text
    assert "<dt>Needs posted</dt><dd>3</dd>" in text
    assert "66.7 % (2 of 3 have a volunteer)" in text
    assert "median 36.0 hours, longest 48.0 hours (2 needs)" in text
    assert "<dt>Hours given</dt><dd>2.5</dd>" in text
    assert "<dt>Active volunteers</dt><dd>1</dd>" in text
    # Each chart is an SVG with a title, beside a table of the same numbers.
    assert text.count('<svg class="chart-svg"') == 6 and text.count("<table") == 6
    weekly = _table(text, "Needs posted, approved and completed by week")
    assert weekly == [["w/c 02 Nov", "2", "2", "0"], ["w/c 09 Nov", "1", "0", "1"]]
    assert _table(text, "Hours given by week") == [["w/c 02 Nov", "0.0"], ["w/c 09 Nov", "2.5"]]
    assert _table(text, "Needs by category")[0] == ["Food", "1", "1", "0"]
    assert _table(text, "Load spread: volunteers by number of matches")[1] == ["2", "1"]
    assert _table(text, "Needs left unmatched, by reason") == [["No volunteer with the skill", "1"]]
    assert _table(text, "Skills most often missing") == [["Legal advice", "1"]]
    # Aggregates only: no names, contacts or addresses.
    for secret in ("Victor", "Rita", "07700", "Secret Road", "example.org"):
        assert secret not in text.split("<main", 1)[1]

    earlier = page.get("/groups/hackney/report?from=2026-10-01&to=2026-10-31").text
    assert "<dt>Needs posted</dt><dd>0</dd>" in earlier and "No matching run finished" in earlier


def _table(html: str, caption: str) -> list[list[str]]:
    start = html.index(f'<caption class="visually-hidden">{caption}</caption>')
    body = html[start:].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_a_bad_period_is_said_and_the_default_shown(scene, browser):
    page = browser(scene.coordinator)
    resp = page.get("/groups/hackney/report?from=2026-12-01&to=2026-11-01")
    assert resp.status_code == 422 and "The first day comes after the last." in resp.text
    resp = page.get("/groups/hackney/report?from=someday")
    assert resp.status_code == 422 and "is not a date" in resp.text
    resp = page.get("/groups/hackney/report?from=2024-01-01&to=2026-01-01")
    assert "at most 371 days" in resp.text


def test_only_coordinators_see_the_report(client, scene, browser, create_person, token_for):
    member = create_person()
    assert browser(member).get("/groups/hackney/report").status_code == 403
    assert client.get("/api/v1/groups/hackney/report", headers=token_for(member)).status_code == 403
    assert client.get("/api/v1/groups/hackney/report").status_code == 401


def test_the_report_through_the_api(app, client, scene, create_person, create_need, create_offer):
    _scene(app, scene, create_person, create_need, create_offer)
    resp = client.get(
        "/api/v1/groups/hackney/report?from=2026-11-02&to=2026-11-15", headers=scene.headers
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["needs_posted"], body["needs_matched"], body["hours_given"]) == (3, 2, 2.5)
    assert body["fill_rate"] == 0.6667 and body["active_volunteers"] == 1
    assert body["weeks"][0] == {
        "week": "2026-11-02",
        "posted": 2,
        "approved": 2,
        "completed": 0,
        "hours": 0.0,
    }
    assert body["unmatched_reasons"] == [{"code": "no_skill", "needs": 1}]
    assert "Victor" not in resp.text and "07700" not in resp.text
    bad = client.get(
        "/api/v1/groups/hackney/report?from=2026-12-01&to=2026-11-01", headers=scene.headers
    )
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]

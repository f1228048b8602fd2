"""Commitments over time: weekly needs that begin and end, clashes and limits at approval,
stepping back, sessions, expiry with its reason, and what the engine is given."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db, intend_to_write
from mutualaid.models import (
    Group,
    Match,
    MatchingRun,
    MatchSession,
    MatchStatus,
    Need,
    OutboxMessage,
    Person,
    RunStatus,
    utcnow,
)
from mutualaid.scheduler import expiry_job
from mutualaid.services import commitments, matching_runs
from mutualaid.services import matches as matches_svc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _today() -> date:
    return utcnow().date()


def _next(weekday: int, after: int = 1) -> date:
    """The first ``weekday`` at least ``after`` days from today."""
    day = _today() + timedelta(days=after)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _once(day: date, start: str, end: str) -> dict:
    return {
        "on_date": day,
        "windows": [{"weekday": day.weekday(), "start": start, "end": end}],
    }


def _match(app, need, offer, status=MatchStatus.PROPOSED, **kw) -> int:
    with app.app_context():
        row = Match(need_id=need.id, offer_id=offer.id, status=status, score=0.8, **kw)
        db.session.add(row)
        db.session.commit()
        return row.id


def _row(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        db.session.expunge(row)
        return row


def _mails(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _need_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Need.id))) or 0


WEEKLY_BODY = {
    "group": "hackney",
    "category": "breakfast-club",
    "title": "Breakfast club helper",
    "postcode": "E8 1AA",
    "address": "Flat 2, 10 Mare Street",
    "skills": [],
}


# --- 1. weekly needs begin and end ---------------------------------------------------------------


def test_a_weekly_need_runs_from_today_for_the_groups_default_length(client, scene):
    headers = scene.headers
    when = {"weekly": [{"weekday": "tue", "start": "08:00", "end": "09:00"}]}
    resp = client.post("/api/v1/needs", json={**WEEKLY_BODY, "when": when}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["when"]["from"] == _today().isoformat()
    assert resp.get_json()["when"]["until"] == (_today() + timedelta(days=55)).isoformat()

    # A coordinator changes the group's default.
    resp = client.patch(
        "/api/v1/groups/hackney/settings",
        json={"weekly_weeks": 4, "expire_after_days": 14},
        headers=headers,
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["weekly_weeks"] == 4 and resp.get_json()["expire_after_days"] == 14
    resp = client.post("/api/v1/needs", json={**WEEKLY_BODY, "when": when}, headers=headers)
    assert resp.get_json()["when"]["until"] == (_today() + timedelta(days=27)).isoformat()


def test_a_stranger_cannot_change_a_groups_settings(client, scene, create_person, token_for):
    resp = client.patch(
        "/api/v1/groups/hackney/settings",
        json={"weekly_weeks": 4},
        headers=token_for(create_person()),
    )
    assert resp.status_code == 403
    resp = client.patch(
        "/api/v1/groups/hackney/settings", json={"weekly_weeks": 0}, headers=scene.headers
    )
    assert resp.status_code == 422 and "weekly_weeks" in resp.get_json()["errors"]


@pytest.mark.parametrize(
    "dates, field, words",
    [
        ({"from": "+10", "until": "+3"}, "when.until", "before the start"),
        ({"until": "+400"}, "when.until", "at most one year"),
        ({"from": "-1"}, "when.from", "in the past"),
    ],
)
def test_bad_weekly_dates_are_a_422_naming_the_field_and_nothing_is_posted(
    client, scene, app, dates, field, words
):
    when = {"weekly": [{"weekday": "tue", "start": "08:00", "end": "09:00"}]}
    for key, offset in dates.items():
        when[key] = (_today() + timedelta(days=int(offset))).isoformat()
    resp = client.post("/api/v1/needs", json={**WEEKLY_BODY, "when": when}, headers=scene.headers)
    assert resp.status_code == 422, resp.get_json()
    assert words in " ".join(resp.get_json()["errors"][field])
    assert _need_count(app) == 0


def test_a_one_off_need_has_no_end_date(client, scene, app):
    day = _next(1).isoformat()
    when = {"date": day, "start": "09:00", "end": "10:00", "until": day}
    resp = client.post("/api/v1/needs", json={**WEEKLY_BODY, "when": when}, headers=scene.headers)
    assert resp.status_code == 422 and "when.until" in resp.get_json()["errors"]
    assert _need_count(app) == 0


def test_the_resident_and_coordinators_extend_a_weekly_need_within_a_year(
    client, scene, app, create_person, create_need, token_for
):
    resident = create_person()
    need = create_need(scene.group, requester=resident)
    end = need.ends_on
    url = f"/api/v1/needs/{need.id}/extend"
    later = end + timedelta(days=28)
    resp = client.post(url, json={"until": later.isoformat()}, headers=token_for(resident))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["when"]["until"] == later.isoformat()
    even_later = later + timedelta(days=7)
    resp = client.post(url, json={"until": even_later.isoformat()}, headers=scene.headers)
    assert resp.status_code == 200
    # Refused, each naming the field, and nothing changes.
    assert (
        client.post(
            url,
            json={"until": (even_later + timedelta(1)).isoformat()},
            headers=token_for(create_person()),
        ).status_code
        == 403
    )
    resp = client.post(url, json={"until": later.isoformat()}, headers=scene.headers)
    assert resp.status_code == 422 and "until" in resp.get_json()["errors"]
    too_far = need.starts_on + timedelta(days=366)
    resp = client.post(url, json={"until": too_far.isoformat()}, headers=scene.headers)
    assert resp.status_code == 422
    assert "at most one year" in resp.get_json()["errors"]["until"][0]
    assert _row(app, Need, need.id).ends_on == even_later

    one_off = create_need(scene.group, requester=resident, **_once(_next(2), "09:00", "10:00"))
    resp = client.post(
        f"/api/v1/needs/{one_off.id}/extend",
        json={"until": later.isoformat()},
        headers=token_for(resident),
    )
    assert resp.status_code == 409 and "until" in resp.get_json()["errors"]


def test_extending_is_refused_when_an_approved_volunteer_would_clash(
    client, scene, app, create_person, create_need, create_offer
):
    amara = create_person(name="Amara")
    offer = create_offer([scene.group], volunteer=amara, capacity=2)
    tuesdays = [{"weekday": 1, "start": "08:00", "end": "09:00"}]
    first = create_need(scene.group, windows=tuesdays)
    _match(app, first, offer, MatchStatus.APPROVED)
    later_day = _next(1, after=70)  # a Tuesday after the first need's end
    _match(
        app,
        create_need(scene.group, **_once(later_day, "08:30", "09:30")),
        offer,
        MatchStatus.APPROVED,
    )
    resp = client.post(
        f"/api/v1/needs/{first.id}/extend",
        json={"until": (later_day + timedelta(days=14)).isoformat()},
        headers=scene.headers,
    )
    assert resp.status_code == 409
    assert (
        f"Amara is already helping on {commitments.long_date(later_day)}, 08:30-09:30."
        in (resp.get_json()["message"])
    )
    assert _row(app, Need, first.id).ends_on == first.ends_on


# --- 6. approval checks the volunteer's time ---------------------------------------------------


def _two_groups(create_person, create_group, create_offer, **offer_kw):
    cora, dan = create_person(name="Cora"), create_person(name="Dan")
    north = create_group(coordinators=[cora], slug="north")
    south = create_group(coordinators=[dan], slug="south")
    amara = create_person(name="Amara")
    offers = (
        create_offer([north], volunteer=amara, **offer_kw),
        create_offer([south], volunteer=amara, **offer_kw),
    )
    return (north, south), (cora, dan), amara, offers


def test_approval_refuses_a_clash_in_another_group_and_names_it(
    client, app, create_person, create_group, create_need, create_offer, token_for
):
    (north, south), (_cora, dan), _amara, (in_north, in_south) = _two_groups(
        create_person, create_group, create_offer
    )
    saturday = _next(5)
    _match(
        app,
        create_need(north, **_once(saturday, "10:00", "12:00")),
        in_north,
        MatchStatus.APPROVED,
    )
    overlapping = _match(app, create_need(south, **_once(saturday, "11:00", "13:00")), in_south)
    resp = client.post(f"/api/v1/matches/{overlapping}/approve", headers=token_for(dan))
    assert resp.status_code == 409
    assert resp.get_json()["message"] == (
        f"Amara is already helping on {commitments.long_date(saturday)}, 10:00-12:00."
    )
    assert _row(app, Match, overlapping).status == MatchStatus.PROPOSED
    # A weekly need whose first Saturday overlaps clashes too.
    weekly = create_need(south, windows=[{"weekday": 5, "start": "09:00", "end": "10:30"}])
    weekly_match = _match(app, weekly, in_south)
    resp = client.post(f"/api/v1/matches/{weekly_match}/approve", headers=token_for(dan))
    assert resp.status_code == 409 and "already helping" in resp.get_json()["message"]
    # Windows that only touch do not clash.
    touching = _match(app, create_need(south, **_once(saturday, "12:00", "13:00")), in_south)
    resp = client.post(f"/api/v1/matches/{touching}/approve", headers=token_for(dan))
    assert resp.status_code == 200, resp.get_json()


def test_bulk_approval_skips_a_clash_with_its_reason_and_approves_the_rest(
    client, scene, app, create_person, create_need, create_offer
):
    amara = create_person(name="Amara")
    offer = create_offer([scene.group], volunteer=amara, capacity=3)
    saturday = _next(5)
    best = _match(app, create_need(scene.group, **_once(saturday, "10:00", "12:00")), offer)
    with app.app_context():
        db.session.get(Match, best).score = 0.95
        db.session.commit()
    clashing = _match(app, create_need(scene.group, **_once(saturday, "11:00", "12:00")), offer)
    apart = _match(app, create_need(scene.group, **_once(saturday, "14:00", "15:00")), offer)
    resp = client.post(
        "/api/v1/groups/hackney/matches/approve-above",
        json={"min_score": 0.5},
        headers=scene.headers,
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert sorted(m["id"] for m in body["approved"]) == sorted([best, apart])
    assert body["skipped"] == [
        {
            "match": clashing,
            "reason": f"Amara is already helping on {commitments.long_date(saturday)}, "
            "10:00-12:00.",
        }
    ]


def test_approval_honours_a_weekly_limit_of_tasks_and_of_hours(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    amara = create_person(name="Amara")
    resp = client.patch(
        "/api/v1/me/availability", json={"week_limit": {"tasks": 1}}, headers=token_for(amara)
    )
    assert resp.status_code == 200 and resp.get_json()["week_limit"] == {"tasks": 1}
    offer = create_offer([scene.group], volunteer=amara, capacity=5)
    monday = _next(0, after=7)
    _match(
        app,
        create_need(scene.group, **_once(monday, "10:00", "12:00")),
        offer,
        MatchStatus.APPROVED,
    )
    same_week = _match(
        app, create_need(scene.group, **_once(monday + timedelta(2), "10:00", "11:00")), offer
    )
    resp = client.post(f"/api/v1/matches/{same_week}/approve", headers=scene.headers)
    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Amara helps at most 1 time a week")
    next_week = _match(
        app, create_need(scene.group, **_once(monday + timedelta(7), "10:00", "11:00")), offer
    )
    assert client.post(
        f"/api/v1/matches/{next_week}/approve", headers=scene.headers
    ).status_code == (200)
    # Hours instead: two hours taken, one more is over a limit of two.
    client.patch(
        "/api/v1/me/availability", json={"week_limit": {"hours": 2}}, headers=token_for(amara)
    )
    resp = client.post(f"/api/v1/matches/{same_week}/approve", headers=scene.headers)
    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Amara helps at most 2 hours a week")
    client.patch(
        "/api/v1/me/availability", json={"week_limit": {"hours": 3}}, headers=token_for(amara)
    )
    assert client.post(
        f"/api/v1/matches/{same_week}/approve", headers=scene.headers
    ).status_code == (200)


def test_a_pause_refuses_approval_until_its_day(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    amara = create_person(name="Amara")
    headers = token_for(amara)
    back = _today() + timedelta(days=10)
    resp = client.patch(
        "/api/v1/me/availability", json={"paused_until": back.isoformat()}, headers=headers
    )
    assert resp.status_code == 200 and resp.get_json()["paused_until"] == back.isoformat()
    offer = create_offer([scene.group], volunteer=amara, capacity=2)
    during = _match(
        app, create_need(scene.group, **_once(_today() + timedelta(3), "10:00", "11:00")), offer
    )
    resp = client.post(f"/api/v1/matches/{during}/approve", headers=scene.headers)
    assert resp.status_code == 409
    assert resp.get_json()["message"] == f"Amara is away until {commitments.long_date(back)}."
    after = _match(
        app, create_need(scene.group, **_once(back + timedelta(1), "10:00", "11:00")), offer
    )
    assert client.post(f"/api/v1/matches/{after}/approve", headers=scene.headers).status_code == 200


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"paused_until": "-1"}, {"paused_until"}),
        ({"week_limit": {"tasks": 0}}, {"week_limit.tasks"}),
        ({"week_limit": {"hours": 0.5}}, {"week_limit.hours"}),
        ({"week_limit": {"tasks": 2, "hours": 3}}, {"week_limit"}),
        ({"paused_until": "-3", "week_limit": {"tasks": -1}}, {"paused_until", "week_limit.tasks"}),
    ],
)
def test_bad_availability_is_a_422_naming_each_field_and_nothing_changes(
    client, app, create_person, token_for, body, fields
):
    person = create_person()
    headers = token_for(person)
    client.patch("/api/v1/me/availability", json={"week_limit": {"tasks": 3}}, headers=headers)
    if "paused_until" in body:
        body = {
            **body,
            "paused_until": (_today() + timedelta(int(body["paused_until"]))).isoformat(),
        }
    resp = client.patch("/api/v1/me/availability", json=body, headers=headers)
    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == fields
    after = _row(app, Person, person.id)
    assert after.week_limit_tasks == 3 and after.paused_until is None
    assert client.get("/api/v1/me/availability", headers=headers).get_json() == {
        "paused_until": None,
        "week_limit": {"tasks": 3},
    }


# --- 2. stepping back, 3. sessions -------------------------------------------------------------


def _begun_weekly(app, scene, create_person, create_need, create_offer, **offer_kw):
    """Weekly help on Tuesdays 08:00-09:00 that began three weeks ago, approved."""
    resident = create_person(name="Rita", phone="07700 900111")
    volunteer = create_person(name="Victor", phone="07700 900222")
    need = create_need(
        scene.group,
        requester=resident,
        title="Breakfast club",
        windows=[{"weekday": 1, "start": "08:00", "end": "09:00"}],
        starts_on=_today() - timedelta(days=21),
        ends_on=_today() + timedelta(days=35),
        status="matched",
    )
    offer = create_offer([scene.group], volunteer=volunteer, **offer_kw)
    return resident, volunteer, need, offer, _match(app, need, offer, MatchStatus.APPROVED)


def _past_tuesday() -> date:
    day = _today() - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 1) % 7)


def test_sessions_are_recorded_one_by_one_within_their_length(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    resident, volunteer, _need, _offer, match_id = _begun_weekly(
        app, scene, create_person, create_need, create_offer
    )
    url = f"/api/v1/matches/{match_id}/sessions"
    as_volunteer = token_for(volunteer)
    tuesday = _past_tuesday()
    resp = client.post(
        url,
        json={"on_date": tuesday.isoformat(), "status": "done", "hours": 1.5},
        headers=as_volunteer,
    )
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["hours"] == 1.5 and resp.get_json()["status"] == "done"
    # Bounded by the session's hour plus a margin of one.
    resp = client.post(
        url,
        json={"on_date": tuesday.isoformat(), "status": "done", "hours": 2.5},
        headers=as_volunteer,
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["hours"] == ["The session lasts 1 hours; report at most 2."]
    for day, words in (
        (tuesday + timedelta(days=1), "No session on"),
        (tuesday + timedelta(days=14), "in the future"),
    ):
        resp = client.post(
            url,
            json={"on_date": day.isoformat(), "status": "done", "hours": 1},
            headers=as_volunteer,
        )
        assert resp.status_code == 422 and words in resp.get_json()["errors"]["on_date"][0], day
    resp = client.post(
        url, json={"on_date": tuesday.isoformat(), "status": "maybe"}, headers=as_volunteer
    )
    assert resp.status_code == 422 and "status" in resp.get_json()["errors"]
    # The week before: missed, recorded by the resident; the same day again replaces it.
    earlier = tuesday - timedelta(days=7)
    as_resident = token_for(resident)
    for status, hours in (("done", 1.0), ("missed", None)):
        resp = client.post(
            url,
            json={"on_date": earlier.isoformat(), "status": status, "hours": hours},
            headers=as_resident,
        )
        assert resp.status_code == 201
    listed = client.get(url, headers=as_resident).get_json()["items"]
    assert [(s["on_date"], s["status"], s["hours"]) for s in listed] == [
        (earlier.isoformat(), "missed", None),
        (tuesday.isoformat(), "done", 1.5),
    ]
    assert _row(app, Match, match_id).hours == 1.5
    # Nobody else sees or records them.
    stranger = token_for(create_person())
    assert client.get(url, headers=stranger).status_code == 404
    resp = client.post(
        url, json={"on_date": tuesday.isoformat(), "status": "missed"}, headers=stranger
    )
    assert resp.status_code == 403


def test_one_off_hours_are_bounded_by_the_session_and_not_before_its_day(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    volunteer = create_person()
    need = create_need(scene.group, **_once(_today(), "09:00", "11:00"))
    match_id = _match(app, need, create_offer([scene.group], volunteer=volunteer), "approved")
    url = f"/api/v1/matches/{match_id}/complete"
    resp = client.post(url, json={"hours": 3.5}, headers=token_for(volunteer))
    assert resp.status_code == 422
    assert resp.get_json()["errors"]["hours"] == ["The session lasts 2 hours; report at most 3."]
    assert client.post(url, json={"hours": 1000}, headers=token_for(volunteer)).status_code == 422
    assert _row(app, Match, match_id).status == "approved"
    resp = client.post(url, json={"hours": 3}, headers=token_for(volunteer))
    assert resp.status_code == 200 and resp.get_json()["hours"] == 3


def test_stepping_back_ends_begun_weekly_help_and_tells_the_others(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    resident, volunteer, need, offer, match_id = _begun_weekly(
        app, scene, create_person, create_need, create_offer
    )
    as_volunteer = token_for(volunteer)
    tuesday = _past_tuesday()
    client.post(
        f"/api/v1/matches/{match_id}/sessions",
        json={"on_date": tuesday.isoformat(), "status": "done", "hours": 1},
        headers=as_volunteer,
    )
    resp = client.post(
        f"/api/v1/matches/{match_id}/decline", json={"reason": "New job"}, headers=as_volunteer
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "declined"
    assert body["ended_on"] == (_today() - timedelta(days=1)).isoformat()  # its last day
    assert body["hours"] == 1  # the sessions so far are kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MatchSession.id))) == 1
        assert db.session.get(Need, need.id).status == "open"
    # The resident and the coordinator hear it, with no contact details in the subject.
    mails = _mails(app)
    assert {m.to_email for m in mails} == {resident.email, scene.coordinator.email}
    for mail in mails:
        assert mail.subject == "Weekly help ended: Breakfast club"
        assert "Victor stepped back from the weekly help" in mail.body
        assert "New job" in mail.body
        for private in ("07700", "Mare Street", "@"):
            assert private not in mail.subject
        assert "07700 900222" not in mail.body and volunteer.email not in mail.body
    # Time and capacity are free: the same Tuesday slot can be agreed elsewhere.
    other = create_need(scene.group, windows=[{"weekday": 1, "start": "08:00", "end": "09:00"}])
    again = _match(app, other, offer)
    assert client.post(f"/api/v1/matches/{again}/approve", headers=scene.headers).status_code == 200


def test_stepping_back_before_weekly_help_begins_is_a_plain_decline(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    volunteer = create_person()
    need = create_need(scene.group, starts_on=_today() + timedelta(days=3))
    match_id = _match(app, need, create_offer([scene.group], volunteer=volunteer), "approved")
    resp = client.post(f"/api/v1/matches/{match_id}/decline", headers=token_for(volunteer))
    assert resp.status_code == 200 and resp.get_json()["ended_on"] is None
    assert all(m.subject.startswith("Match declined") for m in _mails(app))


def test_weekly_help_completes_after_its_last_day_and_both_sides_hear(
    scene, app, create_person, create_need, create_offer
):
    resident, volunteer, need, _offer, match_id = _begun_weekly(
        app, scene, create_person, create_need, create_offer
    )
    expiry_job(app)
    assert _row(app, Match, match_id).status == "approved"
    with app.app_context():
        db.session.get(Need, need.id).ends_on = _today() - timedelta(days=1)
        db.session.commit()
    expiry_job(app)
    assert _row(app, Match, match_id).status == "completed"
    assert _row(app, Need, need.id).status == "fulfilled"
    mails = _mails(app)
    assert {m.to_email for m in mails} == {resident.email, volunteer.email}
    assert all(m.subject == "Weekly help ended: Breakfast club" for m in mails)
    assert all("07700" not in m.body and "Mare Street" not in m.body for m in mails)


# --- 4. expiry, with the reason ----------------------------------------------------------------


def _run_with_reason(app, group, need_id, reason):
    with app.app_context():
        db.session.add(
            MatchingRun(
                group_id=group.id,
                status=RunStatus.SUCCEEDED,
                finished_dt=utcnow(),
                unmatched=[
                    {"need": need_id, "open_slots": 1, "reason": reason, "reason_code": "no_skill"}
                ],
            )
        )
        db.session.commit()


def test_a_need_unmatched_for_the_groups_days_expires_and_both_are_told_why(
    scene, app, create_person, create_need, create_offer
):
    with app.app_context():
        db.session.get(Group, scene.group.id).expire_after_days = 21
        db.session.commit()
    resident = create_person(phone="07700 900111")
    old = create_need(
        scene.group,
        requester=resident,
        title="Legal letter",
        created_dt=utcnow() - timedelta(days=22),
    )
    young = create_need(scene.group, created_dt=utcnow() - timedelta(days=20))
    partly = create_need(
        scene.group,
        volunteers_needed=2,
        status="partly_matched",
        created_dt=utcnow() - timedelta(days=30),
    )
    _match(app, partly, create_offer([scene.group]), MatchStatus.APPROVED)
    reason = "No volunteer has the skill 'legal-advice'."
    _run_with_reason(app, scene.group, old.id, reason)
    assert expiry_job(app) == 1
    assert _row(app, Need, old.id).status == "expired"
    assert _row(app, Need, young.id).status == "open"
    assert _row(app, Need, partly.id).status == "partly_matched"
    mails = {m.to_email: m for m in _mails(app)}
    assert set(mails) == {resident.email, scene.coordinator.email}
    assert mails[resident.email].subject == "Your request expired: Legal letter"
    assert mails[scene.coordinator.email].subject == "A need expired: Legal letter"
    for mail in mails.values():
        assert "No volunteer was found within 21 days." in mail.body and reason in mail.body
        assert "07700" not in mail.subject and "Mare Street" not in mail.subject
        assert "07700" not in mail.body and "Mare Street" not in mail.body


def test_an_open_weekly_need_past_its_last_day_expires(scene, app, create_need):
    need = create_need(
        scene.group, starts_on=_today() - timedelta(days=20), ends_on=_today() - timedelta(days=1)
    )
    assert expiry_job(app) == 1
    assert _row(app, Need, need.id).status == "expired"
    assert any("Its last day passed" in m.body for m in _mails(app))


# --- what the engine is given ----------------------------------------------------------------


def test_the_engine_gets_each_persons_commitments_limit_and_pause(
    app, create_person, create_group, create_need, create_offer
):
    (north, south), _, amara, (in_north, in_south) = _two_groups(
        create_person, create_group, create_offer, capacity=3
    )
    weekly = create_need(south, windows=[{"weekday": 2, "start": "18:00", "end": "19:00"}])
    held = _match(app, weekly, in_south, MatchStatus.APPROVED)
    _match(  # over: not busy
        app,
        create_need(south, **_once(_today() - timedelta(days=2), "10:00", "11:00")),
        in_south,
        MatchStatus.APPROVED,
    )
    monday = _today() - timedelta(days=_today().weekday())
    _match(  # stepped back from before this week: not busy
        app,
        create_need(
            south,
            windows=[{"weekday": 3, "start": "18:00", "end": "19:00"}],
            starts_on=monday - timedelta(days=14),
        ),
        in_south,
        MatchStatus.DECLINED,
        ended_on=monday - timedelta(days=1),
    )
    done_today = create_need(south, **_once(_today(), "07:00", "08:00"))
    done = _match(app, done_today, in_south, MatchStatus.COMPLETED)  # counts in this week
    back = _today() + timedelta(days=5)
    with app.app_context():
        person = db.session.get(Person, amara.id)
        person.paused_until, person.week_limit_hours = back, 4.0
        db.session.commit()
    saturday = _next(5)
    open_need = create_need(north, **_once(saturday, "10:00", "12:00"))
    with app.app_context():
        instance = matching_runs.load_instance(north.id, utcnow()).instance
    [need] = instance["needs"]
    assert need["id"] == str(open_need.id)
    assert need["first"] == need["last"] == saturday.isoformat()
    [record] = instance["volunteers"]
    assert record["id"] == str(in_north.id)
    assert record["paused_until"] == back.isoformat()
    assert record["week_limit"] == {"hours": 4.0}
    assert record["busy"] == [
        {
            "ref": f"m{held}",
            "first": weekly.starts_on.isoformat(),
            "last": weekly.ends_on.isoformat(),
            "windows": [{"weekday": 2, "start": "18:00", "end": "19:00"}],
        },
        {
            "ref": f"m{done}",
            "first": _today().isoformat(),
            "last": _today().isoformat(),
            "windows": [{"weekday": _today().weekday(), "start": "07:00", "end": "08:00"}],
        },
    ]


# --- pages ------------------------------------------------------------------------------------


def test_the_account_page_sets_time_away_and_a_limit_with_every_message_at_once(
    app, login, create_person
):
    person = create_person()
    browser = login(person)
    assert "Time away and weekly limit" in browser.get("/account").get_data(as_text=True)
    yesterday = (_today() - timedelta(days=1)).isoformat()
    resp = browser.post(
        "/account/availability",
        data={"paused_until": yesterday, "limit_kind": "tasks", "limit_value": "0"},
    )
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "The pause must end today or later." in text and "Give from 1 to 50 tasks" in text
    assert _row(app, Person, person.id).paused_until is None
    back = _today() + timedelta(days=7)
    resp = browser.post(
        "/account/availability",
        data={"paused_until": back.strftime("%d/%m/%Y"), "limit_kind": "hours", "limit_value": "5"},
    )
    assert resp.status_code == 302
    saved = _row(app, Person, person.id)
    assert saved.paused_until == back and saved.week_limit_hours == 5.0
    assert saved.week_limit_tasks is None


def test_the_need_page_extends_a_weekly_need(app, login, scene, create_person, create_need):
    resident = create_person()
    need = create_need(scene.group, requester=resident)
    browser = login(resident)
    page = browser.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Run it for longer" in page
    resp = browser.post(f"/needs/{need.id}/extend", data={"until": need.ends_on.isoformat()})
    assert resp.status_code == 422 and "Give a day after the current last day" in resp.get_data(
        as_text=True
    )
    later = need.ends_on + timedelta(days=14)
    resp = browser.post(f"/needs/{need.id}/extend", data={"until": later.strftime("%d/%m/%Y")})
    assert resp.status_code == 302
    assert _row(app, Need, need.id).ends_on == later
    # Someone else sees no form and may not post it.
    other = login(create_person())
    assert "Run it for longer" not in other.get(f"/needs/{need.id}").get_data(as_text=True)
    assert other.post(
        f"/needs/{need.id}/extend", data={"until": later.isoformat()}
    ).status_code == (403)


def test_the_need_form_shows_every_message_at_once(app, login, scene, create_person):
    browser = login(create_person())
    resp = browser.post(
        "/needs/new",
        data={
            "group": "hackney",
            "category": "food",
            "title": "",
            "postcode": "E8 1AA",
            "when_kind": "weekly",
            "weekly-0-weekday": "tue",
            "weekly-0-start": "08:00",
            "weekly-0-end": "09:00",
            "weekly_from": (_today() + timedelta(days=10)).isoformat(),
            "weekly_until": (_today() + timedelta(days=3)).isoformat(),
            "volunteers_needed": "1",
            "urgency": "normal",
        },
    )
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "The end is before the start." in text and "title" in text.lower()
    assert _need_count(app) == 0


def test_my_matches_records_a_session_of_weekly_help(
    app, login, scene, create_person, create_need, create_offer
):
    _resident, volunteer, _need, _offer, match_id = _begun_weekly(
        app, scene, create_person, create_need, create_offer
    )
    browser = login(volunteer)
    page = browser.get("/matches/mine").get_data(as_text=True)
    assert "Record the session" in page and "Mark as done" not in page
    resp = browser.post(
        f"/matches/{match_id}/session",
        data={"on_date": _past_tuesday().isoformat(), "status": "done", "hours": "5"},
        follow_redirects=True,
    )
    assert "report at most 2" in resp.get_data(as_text=True)
    resp = browser.post(
        f"/matches/{match_id}/session",
        data={"on_date": _past_tuesday().isoformat(), "status": "done", "hours": "1"},
        follow_redirects=True,
    )
    assert "Session recorded" in resp.get_data(as_text=True)
    assert _row(app, Match, match_id).hours == 1.0


# --- concurrency: one person's time, two groups, two coordinators at once ----------------------


def test_concurrent_approvals_of_one_person_in_two_groups_never_double_book(
    app, create_person, create_group, create_need, create_offer
):
    (north, south), (cora, dan), _amara, (in_north, in_south) = _two_groups(
        create_person, create_group, create_offer
    )
    saturday = _next(5)
    ids = [
        (_match(app, create_need(north, **_once(saturday, "10:00", "12:00")), in_north), cora),
        (_match(app, create_need(south, **_once(saturday, "11:00", "13:00")), in_south), dan),
    ]
    barrier = threading.Barrier(len(ids))
    results: list[str] = []

    def approve(match_id: int, coordinator_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait(30)
                intend_to_write(True)  # as a POST request does, before its first query
                matches_svc.approve_match(match_id, db.session.get(Person, coordinator_id))
                db.session.commit()
                results.append("approved")
            except Exception as exc:
                db.session.rollback()
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(m, c.id)) for m, c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["Conflict", "approved"], results
    with app.app_context():
        approved = db.session.scalar(
            sa.select(sa.func.count(Match.id)).where(Match.status == MatchStatus.APPROVED)
        )
    assert approved == 1


def test_the_export_carries_ones_own_settings_and_sessions_only(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    _resident, volunteer, _need, _offer, match_id = _begun_weekly(
        app, scene, create_person, create_need, create_offer
    )
    as_volunteer = token_for(volunteer)
    client.patch("/api/v1/me/availability", json={"week_limit": {"tasks": 2}}, headers=as_volunteer)
    client.post(
        f"/api/v1/matches/{match_id}/sessions",
        json={"on_date": _past_tuesday().isoformat(), "status": "done", "hours": 1},
        headers=as_volunteer,
    )
    mine = client.get("/api/v1/me/export", headers=as_volunteer).get_json()
    assert mine["account"]["week_limit_tasks"] == 2
    assert [(s["match"], s["hours"], s["recorded_by_you"]) for s in mine["sessions"]] == [
        (match_id, 1.0, True)
    ]
    theirs = client.get("/api/v1/me/export", headers=token_for(create_person())).get_json()
    assert theirs["sessions"] == [] and theirs["account"]["week_limit_tasks"] is None


def test_the_weekly_limit_counts_help_already_given_that_week(
    client, scene, app, create_person, create_need, create_offer, token_for
):
    amara = create_person(name="Amara")
    client.patch(
        "/api/v1/me/availability", json={"week_limit": {"tasks": 1}}, headers=token_for(amara)
    )
    offer = create_offer([scene.group], volunteer=amara, capacity=3)
    done = _match(
        app,
        create_need(scene.group, **_once(_today(), "08:00", "09:00")),
        offer,
        MatchStatus.APPROVED,
    )
    assert (
        client.post(
            f"/api/v1/matches/{done}/complete", json={"hours": 1}, headers=token_for(amara)
        ).status_code
        == 200
    )
    later_today = _match(app, create_need(scene.group, **_once(_today(), "20:00", "21:00")), offer)
    resp = client.post(f"/api/v1/matches/{later_today}/approve", headers=scene.headers)
    assert resp.status_code == 409
    assert resp.get_json()["message"].startswith("Amara helps at most 1 time a week")


def test_weekly_help_joined_on_the_way_holds_time_from_the_day_it_is_agreed(
    client, scene, app, create_person, create_need, create_offer
):
    need = create_need(
        scene.group,
        windows=[{"weekday": 1, "start": "08:00", "end": "09:00"}],
        starts_on=_today() - timedelta(days=21),
    )
    match_id = _match(app, need, create_offer([scene.group]))
    assert client.post(
        f"/api/v1/matches/{match_id}/approve", headers=scene.headers
    ).status_code == (200)
    with app.app_context():
        match = db.session.get(Match, match_id)
        assert match.begins_on == _today()
        assert commitments.commitment_schedule(match).first == _today()


def test_changing_a_weekly_need_to_more_than_a_year_is_a_422_and_nothing_changes(
    client, scene, app, create_need
):
    need = create_need(scene.group, title="Befriending")
    when = {
        "weekly": [{"weekday": "wed", "start": "10:00", "end": "11:00"}],
        "until": (need.starts_on + timedelta(days=400)).isoformat(),
    }
    resp = client.patch(
        f"/api/v1/needs/{need.id}",
        json={"when": when, "title": "Befriending, longer"},
        headers=scene.headers,
    )
    assert resp.status_code == 422 and "when.until" in resp.get_json()["errors"]
    after = _row(app, Need, need.id)
    assert (after.title, after.ends_on, after.windows) == (
        "Befriending",
        need.ends_on,
        need.windows,
    )


def test_changing_the_time_of_a_need_is_refused_when_its_volunteer_would_clash(
    client, scene, app, create_person, create_need, create_offer
):
    amara = create_person(name="Amara")
    offer = create_offer([scene.group], volunteer=amara, capacity=2)
    saturday = _next(5)
    _match(
        app,
        create_need(scene.group, **_once(saturday, "10:00", "12:00")),
        offer,
        MatchStatus.APPROVED,
    )
    other = create_need(scene.group, **_once(saturday, "14:00", "15:00"))
    _match(app, other, offer, MatchStatus.APPROVED)
    when = {"date": saturday.isoformat(), "start": "11:00", "end": "12:30"}
    resp = client.patch(f"/api/v1/needs/{other.id}", json={"when": when}, headers=scene.headers)
    assert resp.status_code == 409
    assert resp.get_json()["message"] == (
        "The time cannot change: Amara is already helping on "
        f"{commitments.long_date(saturday)}, 10:00-12:00."
    )
    assert _row(app, Need, other.id).windows[0]["start"] == "14:00"

"""Email a group's volunteers through the outbox: who it goes to, one mail each, coordinators
only."""

from __future__ import annotations

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import OutboxMessage


def _outbox(app):
    with app.app_context():
        return [
            (m.to_email, m.subject, m.body)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def _volunteers(create_person, create_offer, group, other_group):
    ann = create_person(name="Ann", email="ann@example.org")
    ben = create_person(name="Ben", email="ben@example.org")
    create_offer([group], volunteer=ann, skills=["driving"])
    create_offer([group], volunteer=ann)  # two offers, one mail
    create_offer([group], volunteer=ben, postcode="N16 0AA")
    create_offer([group], volunteer=create_person(email="paused@example.org"), is_active=False)
    create_offer([group], volunteer=create_person(email="new@example.org", email_verified_dt=None))
    create_offer([other_group], volunteer=create_person(email="elsewhere@example.org"))


def test_check_then_send_to_each_volunteer_once(
    app, scene, browser, create_person, create_group, create_offer
):
    _volunteers(create_person, create_offer, scene.group, create_group(slug="islington"))
    page = browser(scene.coordinator)
    form = {"subject": "Winter coats", "body": "Can you help sort coats on Saturday?"}
    checked = page.post("/groups/hackney/email-volunteers", data={**form, "action": "check"})
    assert "This goes to <strong>2</strong> volunteers." in checked.text
    assert _outbox(app) == []
    resp = page.post(
        "/groups/hackney/email-volunteers",
        data={**form, "action": "send", "confirm_count": "2"},
    )
    assert resp.status_code == 303
    sent = _outbox(app)
    assert sorted(to for to, _, _ in sent) == ["ann@example.org", "ben@example.org"]
    assert all(subject == "Hackney Mutual Aid: Winter coats" for _, subject, _ in sent)
    assert all("Can you help sort coats on Saturday?" in body for _, _, body in sent)
    assert all("ben@" not in body for to, _, body in sent if to.startswith("ann"))


def test_filters_and_a_changed_audience_is_checked_again(
    app, scene, browser, create_person, create_group, create_offer
):
    _volunteers(create_person, create_offer, scene.group, create_group(slug="islington"))
    page = browser(scene.coordinator)
    form = {"subject": "Drivers", "body": "Anyone free?", "skill": "driving"}
    checked = page.post("/groups/hackney/email-volunteers", data={**form, "action": "check"})
    assert "This goes to <strong>1</strong> volunteer." in checked.text
    stale = page.post(
        "/groups/hackney/email-volunteers", data={**form, "action": "send", "confirm_count": "2"}
    )
    assert stale.status_code == 200 and _outbox(app) == []  # asked to confirm again
    page.post(
        "/groups/hackney/email-volunteers", data={**form, "action": "send", "confirm_count": "1"}
    )
    assert [to for to, _, _ in _outbox(app)] == ["ann@example.org"]
    by_district = page.post(
        "/groups/hackney/email-volunteers", data={"district": "n16", "action": "check"}
    )
    assert "This goes to <strong>1</strong> volunteer." in by_district.text
    empty = page.post(
        "/groups/hackney/email-volunteers",
        data={"subject": "", "body": "", "action": "send", "confirm_count": "2"},
    )
    assert empty.status_code == 422
    assert "Write a subject." in empty.text and "Write the message." in empty.text


def test_only_coordinators_and_the_api(
    app, client, scene, browser, create_person, create_group, create_offer, token_for
):
    _volunteers(create_person, create_offer, scene.group, create_group(slug="islington"))
    member = create_person()
    assert browser(member).get("/groups/hackney/email-volunteers").status_code == 403
    url = "/api/v1/groups/hackney/volunteer-emails"
    body = {"subject": "Hi", "body": "Thanks all"}
    assert client.post(url, json=body, headers=token_for(member)).status_code == 403
    dry = client.post(url, json={**body, "dry_run": True}, headers=scene.headers).get_json()
    assert dry == {"recipients": 2, "queued": 0} and _outbox(app) == []
    done = client.post(url, json=body, headers=scene.headers)
    assert done.status_code == 200 and done.get_json() == {"recipients": 2, "queued": 2}
    assert len(_outbox(app)) == 2
    bad = client.post(url, json={"subject": "", "body": ""}, headers=scene.headers)
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"subject", "body"}

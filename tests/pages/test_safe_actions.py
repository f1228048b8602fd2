"""Actions that release personal data or end an agreement ask first: bulk approval shows what it
will approve, and stepping back from an agreed match is confirmed, with a reason to pass on."""

from __future__ import annotations

import html as html_module
from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import Match, MatchStatus, OutboxMessage


def _proposal(app, need, offer, score, status=MatchStatus.PROPOSED):
    with app.app_context():
        row = Match(need_id=need.id, offer_id=offer.id, status=status, score=score)
        db.session.add(row)
        db.session.commit()
        return row.id


def _status(app, match_id):
    with app.app_context():
        return db.session.get(Match, match_id).status


def test_approve_above_shows_what_it_will_approve_and_approves_only_that(
    app, login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    shown_070 = _proposal(
        app, create_need(group, title="Shown as 0.70"), create_offer([group]), 0.6951
    )
    shown_069 = _proposal(
        app, create_need(group, title="Shown as 0.69"), create_offer([group]), 0.6949
    )
    browser = login(coordinator)

    preview = browser.get(f"/groups/{group.slug}/matches/approve-above?min_score=0.7")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Approve 1 proposal scoring at least 0.70?" in html
    assert "Shown as 0.70" in html and "Shown as 0.69" not in html
    assert _status(app, shown_070) == MatchStatus.PROPOSED  # looking approves nothing

    later = _proposal(app, create_need(group, title="Arrived later"), create_offer([group]), 0.9)
    resp = browser.post(
        f"/groups/{group.slug}/matches/approve-above", data={"match": [str(shown_070)]}
    )
    assert resp.status_code == 302
    assert _status(app, shown_070) == MatchStatus.APPROVED
    assert _status(app, shown_069) == MatchStatus.PROPOSED
    assert _status(app, later) == MatchStatus.PROPOSED  # not on the list that was confirmed


def test_approve_above_without_a_list_approves_nothing(
    app, login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    match_id = _proposal(app, create_need(group), create_offer([group]), 0.9)
    resp = login(coordinator).post(
        f"/groups/{group.slug}/matches/approve-above", data={"min_score": "0.1"}
    )
    assert resp.status_code == 302 and _status(app, match_id) == MatchStatus.PROPOSED


def test_another_groups_match_is_never_approved_through_the_list(
    app, login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    other = create_group(postcode="E8 2AA")
    theirs = _proposal(app, create_need(other, postcode="E8 2AA"), create_offer([other]), 0.9)
    login(coordinator).post(
        f"/groups/{group.slug}/matches/approve-above", data={"match": [str(theirs)]}
    )
    assert _status(app, theirs) == MatchStatus.PROPOSED


def test_declining_an_agreed_match_asks_first_and_passes_the_reason_on(
    app, login, create_person, create_group, create_need, create_offer
):
    coordinator = create_person(email="cora@example.org")
    group = create_group(coordinators=[coordinator])
    volunteer = create_person()
    # Weekly help that has not begun yet (begun, stepping back ends it: see test_commitments).
    starts = date.today() + timedelta(days=7)
    need = create_need(group, title="School run", starts_on=starts)
    match_id = _proposal(app, need, create_offer([group], volunteer=volunteer), 0.8, "approved")
    browser = login(volunteer)
    mine = browser.get("/matches/mine").get_data(as_text=True)
    assert f'href="/matches/{match_id}/decline"' in mine  # a link to ask first,
    assert f'action="/matches/{match_id}/decline"' not in mine  # not a one-click form
    page = browser.get(f"/matches/{match_id}/decline")
    assert page.status_code == 200
    html = html_module.unescape(page.get_data(as_text=True))
    assert "You can't help with “School run”?" in html and 'name="reason"' in html
    assert _status(app, match_id) == MatchStatus.APPROVED  # asking changes nothing
    browser.post(f"/matches/{match_id}/decline", data={"reason": "My car broke down"})
    assert _status(app, match_id) == MatchStatus.DECLINED
    with app.app_context():
        to_cora = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.to_email == "cora@example.org")
        ).all()
    assert len(to_cora) == 1 and "My car broke down" in to_cora[0].body


def test_the_confirm_page_is_only_for_the_people_of_the_match(
    app, login, create_person, create_group, create_need, create_offer
):
    group = create_group()
    volunteer = create_person()
    need = create_need(group, starts_on=date.today() + timedelta(days=7))
    match_id = _proposal(app, need, create_offer([group], volunteer=volunteer), 0.8, "approved")
    assert login(create_person()).get(f"/matches/{match_id}/cancel").status_code == 404
    resident_side = login(volunteer).get(f"/matches/{match_id}/cancel")
    assert resident_side.status_code == 200 and "Cancel the match" in resident_side.get_data(
        as_text=True
    )


def test_bulk_approval_ignores_what_is_not_an_id(app, login, create_person, create_group):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    resp = login(coordinator).post(
        f"/groups/{group.slug}/matches/approve-above", data={"match": ["²", "-1", "9" * 30]}
    )
    assert resp.status_code == 302  # nothing to approve, said on the queue page

"""Coordinators verify volunteers' checks (e.g. DBS) from the group page."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import OfferSkill, Skill


def _verified(app, offer_id):
    with app.app_context():
        row = db.session.scalar(
            sa.select(OfferSkill)
            .join(Skill)
            .where(OfferSkill.offer_id == offer_id, Skill.slug == "dbs-checked")
        )
        return row.verified_dt is not None, row.expires_on


def test_coordinator_verifies_a_check(app, login, create_person, create_group, create_offer):
    coordinator = create_person()
    group = create_group(coordinators=[coordinator])
    offer = create_offer([group], skills=["childcare", "dbs-checked"], verified=False)
    browser = login(coordinator)
    page = browser.get(f"/groups/{group.slug}/coordinate").get_data(as_text=True)
    assert "dbs-checked" in page and "not yet verified" in page
    until = date.today() + timedelta(days=365)
    resp = browser.post(
        f"/groups/{group.slug}/offers/{offer.id}/credentials",
        data={"skill": "dbs-checked", "expires_on": until.isoformat()},
        follow_redirects=True,
    )
    assert resp.status_code == 200 and "Verified dbs-checked" in resp.get_data(as_text=True)
    assert _verified(app, offer.id) == (True, until)


def test_bad_dates_and_strangers_change_nothing(
    app, login, create_person, create_group, create_offer
):
    coordinator, stranger = create_person(), create_person()
    group = create_group(coordinators=[coordinator])
    offer = create_offer([group], skills=["dbs-checked"], verified=False)
    url = f"/groups/{group.slug}/offers/{offer.id}/credentials"
    before = _verified(app, offer.id)
    assert before[0] is False
    past = (date.today() - timedelta(days=1)).isoformat()
    for data in (
        {"skill": "dbs-checked", "expires_on": "soon"},
        {"skill": "dbs-checked", "expires_on": past},
        {"skill": "nonsense", "expires_on": "2099-01-01"},
    ):
        resp = login(coordinator).post(url, data=data, follow_redirects=True)
        assert resp.status_code == 200 and 'class="flash flash-error"' in resp.get_data(
            as_text=True
        )
    assert (
        login(stranger)
        .post(url, data={"skill": "dbs-checked", "expires_on": "2099-01-01"})
        .status_code
        == 403
    )
    assert _verified(app, offer.id) == before

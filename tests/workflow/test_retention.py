"""Retention: a closed need's address is erased after ``RETENTION_DAYS`` by the scheduled job."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from mutualaid import scheduler
from mutualaid.extensions import db
from mutualaid.models import AuditEvent, Need, OutboxMessage, utcnow
from mutualaid.services import mail

ADDRESS = "Flat 4, 2 Quiet Lane"


def _age(app, need_id, days, status):
    with app.app_context():
        db.session.execute(
            sa.update(Need)
            .where(Need.id == need_id)
            .values(status=status, updated_dt=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def test_the_job_erases_addresses_of_needs_closed_long_enough_ago(
    app, scene, create_need, create_person
):
    assert app.config["RETENTION_DAYS"] == 90
    resident = create_person()
    old = create_need(scene.group, requester=resident, address=ADDRESS, postcode="E8 3AA")
    recent = create_need(scene.group, requester=resident, address=ADDRESS, postcode="E8 3AA")
    still_open = create_need(scene.group, requester=resident, address=ADDRESS, postcode="E8 3AA")
    _age(app, old.id, 91, "fulfilled")
    _age(app, recent.id, 89, "cancelled")
    _age(app, still_open.id, 400, "open")
    with app.app_context():
        sent = mail.queue_mail("a@example.org", "Old", f"Address: {ADDRESS}")
        sent.status, sent.created_dt = "sent", utcnow() - timedelta(days=91)
        mail.queue_mail("b@example.org", "New", f"Address: {ADDRESS}")
        db.session.commit()

    assert scheduler.retention_job(app) == {"needs": 1, "mails": 1}
    assert scheduler.retention_job(app) == {"needs": 0, "mails": 0}  # nothing left to erase
    with app.app_context():
        rows = {n.id: n for n in db.session.scalars(sa.select(Need))}
        assert rows[old.id].address is None and rows[old.id].postcode == "E8"
        assert rows[recent.id].address == ADDRESS and rows[still_open.id].address == ADDRESS
        assert [m.subject for m in db.session.scalars(sa.select(OutboxMessage))] == ["New"]
        trail = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "need", AuditEvent.entity_id == str(old.id)
            )
        ).all()
        assert trail and not any("E8 3AA" in str(e.changes) for e in trail)


def test_the_retention_period_is_a_setting(app, scene, create_need):
    need = create_need(scene.group, address=ADDRESS)
    _age(app, need.id, 10, "expired")
    app.config["RETENTION_DAYS"] = 7
    try:
        assert scheduler.retention_job(app)["needs"] == 1
    finally:
        app.config["RETENTION_DAYS"] = 90


# ---- unconfirmed addresses: nothing is matched until confirmed --------------------------------


def test_a_matching_run_leaves_out_unconfirmed_accounts(
    scene, create_person, create_need, create_offer, run_matching, matches_of
):
    unconfirmed_resident = create_person(email_verified_dt=None)
    unconfirmed_volunteer = create_person(email_verified_dt=None)
    hidden_need = create_need(scene.group, requester=unconfirmed_resident, skills=[])
    need = create_need(scene.group, skills=[])
    create_offer([scene.group], volunteer=unconfirmed_volunteer)
    offer = create_offer([scene.group], capacity=2)
    run_matching(scene)
    assert matches_of() == [(need.id, offer.id, "proposed")]
    assert matches_of(need_id=hidden_need.id) == []

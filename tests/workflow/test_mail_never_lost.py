"""Mail is never lost: retries outlast a day-long outage, dead letters can be sent again, and a
message that cannot be built never holds up the ones behind it."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from mutualaid.extensions import db
from mutualaid.models import OutboxMessage, OutboxStatus, utcnow
from mutualaid.services import mail

LINE_BREAKS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


class Server:
    """An SMTP server that is down until ``up`` and records each message it accepts."""

    up = False
    sent: list = []

    def __init__(self, host, port, timeout=None):
        if not Server.up:
            raise ConnectionRefusedError(111, "Connection refused")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        Server.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    Server.up, Server.sent = False, []
    monkeypatch.setattr(smtplib, "SMTP", Server)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example.org")
    return Server


def _drain(app, now) -> dict[str, int]:
    """Everything due at ``now``, one transaction per message, as the outbox job does."""
    settings = mail.MailSettings.from_config(app.config)
    counts = {"sent": 0, "pending": 0, "failed": 0}
    with app.app_context():
        while (message := mail.deliver_next(settings, now)) is not None:
            counts[message.status] += 1
            db.session.commit()
    return counts


def _queue(app, n, subject="A volunteer is coming"):
    with app.app_context():
        ids = [mail.queue_mail(f"r{i}@example.org", f"{subject} {i}", "Body").id for i in range(n)]
        db.session.commit()
    return ids


def _statuses(app) -> dict[int, tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
        )
        return {i: (s, a) for i, s, a in rows}


def test_the_default_schedule_outlasts_a_day(app):
    settings = mail.MailSettings.from_config(app.config)
    assert settings.retry_span() > timedelta(hours=24)
    delays = [mail.backoff(n, 60, 3600).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_day_long_outage_loses_nothing_and_sends_each_mail_once(app, smtp):
    ids = _queue(app, 5)
    start = utcnow()
    now = start
    while now < start + timedelta(hours=25):  # the server is down for 25 hours
        _drain(app, now)
        now += timedelta(minutes=10)
    assert all(status == OutboxStatus.PENDING for status, _ in _statuses(app).values())
    smtp.up = True
    while now < start + timedelta(hours=27):
        _drain(app, now)
        now += timedelta(minutes=10)
    assert sorted(m["To"] for m in smtp.sent) == sorted(f"r{i}@example.org" for i in range(5))
    assert {status for status, _ in _statuses(app).values()} == {OutboxStatus.SENT}
    assert len(ids) == len(smtp.sent)


def test_a_dead_letter_is_listed_and_sent_again_by_the_command(app, smtp, runner, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    [message_id] = _queue(app, 1)
    now = utcnow()
    for _ in range(3):
        _drain(app, now)
        now += timedelta(hours=1)
    assert _statuses(app)[message_id] == (OutboxStatus.FAILED, 2)
    listed = runner.invoke(args=["mail", "list", "--failed"])
    assert listed.exit_code == 0 and "r0@example.org" in listed.output
    assert "ConnectionRefusedError" in listed.output
    smtp.up = True
    retried = runner.invoke(args=["mail", "retry", "--all-failed"])
    assert retried.exit_code == 0 and "Queued 1 " in retried.output
    assert _drain(app, utcnow() + timedelta(seconds=1)) == {"sent": 1, "pending": 0, "failed": 0}
    assert len(smtp.sent) == 1


def test_retry_needs_ids_or_all_failed(runner):
    assert runner.invoke(args=["mail", "retry"]).exit_code == 2
    result = runner.invoke(args=["mail", "retry", "12345"])
    assert result.exit_code == 1 and "not dead letters" in result.output


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_a_title_with_a_line_break_makes_a_one_line_subject(app, smtp, brk):
    smtp.up = True
    _queue(app, 1, subject=f"Help{brk}Bcc: everyone@example.org")
    assert _drain(app, utcnow()) == {"sent": 1, "pending": 0, "failed": 0}
    [sent] = smtp.sent
    assert sent["Subject"] == "Help Bcc: everyone@example.org 0" and sent["Bcc"] is None


def test_a_message_that_cannot_be_built_never_blocks_the_queue(app, smtp):
    smtp.up = True
    with app.app_context():
        poison = OutboxMessage(
            to_email="rita@example.org\nBcc: x@example.org",
            subject="Poison",
            body="x",
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_dt=utcnow() - timedelta(hours=1),  # first in the queue
        )
        db.session.add(poison)
        db.session.commit()
        poison_id = poison.id
    others = _queue(app, 3)
    counts = _drain(app, utcnow() + timedelta(seconds=1))
    assert counts == {"sent": 3, "pending": 0, "failed": 1}
    status, attempts = _statuses(app)[poison_id]
    assert status == OutboxStatus.FAILED and attempts == 1
    with app.app_context():
        assert db.session.get(OutboxMessage, poison_id).last_error.startswith("Cannot be built")
    assert len(smtp.sent) == len(others)


def test_a_permanent_refusal_is_a_dead_letter_at_once(app, monkeypatch):
    class Refusing(Server):
        def send_message(self, message):
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"No such user")})

    Refusing.up = True
    monkeypatch.setattr(smtplib, "SMTP", Refusing)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example.org")
    [message_id] = _queue(app, 1)
    assert _drain(app, utcnow()) == {"sent": 0, "pending": 0, "failed": 1}
    assert _statuses(app)[message_id] == (OutboxStatus.FAILED, 1)


def test_the_admin_page_lists_dead_letters_and_sends_them_again(
    app, smtp, create_person, login, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    [message_id] = _queue(app, 1)
    _drain(app, utcnow())
    admin, someone = create_person(is_admin=True), create_person()

    assert login(someone).get("/admin/mail").status_code == 403
    assert login(someone).post("/admin/mail/retry", data={"all": "1"}).status_code == 403
    page = login(admin).get("/admin/mail").get_data(as_text=True)
    assert "r0@example.org" in page and "ConnectionRefusedError" in page
    resp = login(admin).post("/admin/mail/retry", data={"id": str(message_id)})
    assert resp.status_code == 302
    assert _statuses(app)[message_id] == (OutboxStatus.PENDING, 0)

"""The scheduled jobs, called directly: outbox delivery with retries, expiry, matching; and the
commands."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import sqlalchemy as sa

from mutualaid import scheduler
from mutualaid.extensions import db
from mutualaid.models import Match, MatchingRun, Need, OutboxMessage, utcnow
from mutualaid.services import mail


def _queue_one(app, to="rita@example.org"):
    with app.app_context():
        message = mail.queue_mail(to, "A volunteer is coming", "Victor will help on Tuesday.")
        db.session.commit()
        return message.id


def _message(app, message_id) -> OutboxMessage:
    with app.app_context():
        message = db.session.get(OutboxMessage, message_id)
        db.session.expunge(message)
        return message


class FlakySMTP:
    """Refuses the first ``failures`` connections, then accepts and records every message."""

    failures = 1
    sent: list = []

    def __init__(self, host, port, timeout=None):
        if FlakySMTP.failures > 0:
            FlakySMTP.failures -= 1
            raise ConnectionRefusedError(111, "Connection refused")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FlakySMTP.sent.append(message)


def test_outbox_retries_after_a_mail_failure(app, monkeypatch):
    FlakySMTP.failures, FlakySMTP.sent = 1, []
    monkeypatch.setattr(smtplib, "SMTP", FlakySMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example.org")
    message_id = _queue_one(app)

    assert scheduler.outbox_job(app) == {"sent": 0, "retry": 1, "failed": 0}
    failed_once = _message(app, message_id)
    assert failed_once.status == "pending" and failed_once.attempts == 1
    assert "Connection refused" in failed_once.last_error
    assert failed_once.next_attempt_dt > utcnow()
    assert scheduler.outbox_job(app) == {"sent": 0, "retry": 0, "failed": 0}  # not due yet: backoff

    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(next_attempt_dt=utcnow()))
        db.session.commit()
    assert scheduler.outbox_job(app) == {"sent": 1, "retry": 0, "failed": 0}
    sent = _message(app, message_id)
    assert (
        sent.status == "sent"
        and sent.attempts == 2
        and sent.sent_dt is not None
        and sent.last_error is None
    )
    [email] = FlakySMTP.sent
    assert email["To"] == "rita@example.org" and email["Subject"] == "A volunteer is coming"


def test_outbox_gives_up_after_max_attempts(app, monkeypatch):
    FlakySMTP.failures, FlakySMTP.sent = 100, []
    monkeypatch.setattr(smtplib, "SMTP", FlakySMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example.org")
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    message_id = _queue_one(app)
    for _ in range(3):
        with app.app_context():
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_dt=utcnow()))
            db.session.commit()
        scheduler.outbox_job(app)
    given_up = _message(app, message_id)
    assert given_up.status == "failed" and given_up.attempts == 3 and FlakySMTP.sent == []


def test_without_smtp_mail_is_written_to_files(app, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    message_id = _queue_one(app, to="victor@example.org")
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "Sent 1" in result.output
    [eml] = tmp_path.glob("*.eml")
    text = eml.read_text()
    assert "To: victor@example.org" in text and "Victor will help on Tuesday." in text
    assert _message(app, message_id).status == "sent"


def test_backoff_doubles():
    assert [mail.backoff(n, 60).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]


def test_expiry_closes_past_one_off_needs_and_their_proposals(
    app, scene, create_need, create_offer, runner
):
    past = create_need(scene.group, on_date=date.today() - timedelta(days=1))
    future = create_need(scene.group, on_date=date.today() + timedelta(days=3))
    weekly = create_need(scene.group)  # no date: stays until cancelled
    offer = create_offer([scene.group])
    with app.app_context():
        for need in (past, future):
            db.session.add(Match(need_id=need.id, offer_id=offer.id, status="proposed", score=0.5))
        db.session.commit()
    assert scheduler.expiry_job(app) == 1
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Need.id, Need.status)).all())
        assert statuses == {past.id: "expired", future.id: "open", weekly.id: "open"}
        matches = dict(db.session.execute(sa.select(Match.need_id, Match.status)).all())
        assert matches == {past.id: "cancelled", future.id: "proposed"}
    result = runner.invoke(args=["expire-needs"])
    assert result.exit_code == 0 and "Expired 0 needs" in result.output


def test_matching_job_runs_every_group_and_the_command_one(
    app, scene, create_group, create_need, create_offer, runner
):
    other = create_group(slug="islington")
    create_need(scene.group)
    create_offer([scene.group])
    summaries = scheduler.matching_job(app)
    assert sorted((s["group"], s["status"]) for s in summaries) == [
        ("hackney", "succeeded"),
        ("islington", "succeeded"),
    ]
    result = runner.invoke(args=["run-matching", "--group", "hackney"])
    assert result.exit_code == 0, result.output
    assert "hackney: run" in result.output and "1 kept" in result.output
    result = runner.invoke(args=["run-matching", "--group", "nowhere"])
    assert result.exit_code != 0 and "nowhere" in result.output
    with app.app_context():
        triggers = [
            t
            for (t,) in db.session.execute(sa.select(MatchingRun.trigger).order_by(MatchingRun.id))
        ]
        assert triggers == ["schedule", "schedule", "command"]
        assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 1
    assert other.id


def test_embedded_scheduler_starts_once_on_first_request_and_stops(app, client, monkeypatch):
    started = []

    class FakeScheduler:
        running = False

        def __init__(self, **kw):
            self.jobs = []

        def add_job(self, func, trigger, id, **kw):
            self.jobs.append(id)

        def start(self):
            self.running = True
            started.append(self)

        def shutdown(self, wait=True):
            self.running = False

    monkeypatch.setattr(scheduler, "BackgroundScheduler", FakeScheduler)
    from web import create_app

    web_app = create_app({**app.config, "SCHEDULER_ENABLED": True})
    assert started == []  # building the app (as every CLI command does) starts nothing
    test_client = web_app.test_client()
    test_client.get("/healthz")
    test_client.get("/healthz")
    assert len(started) == 1 and started[0].jobs == [
        "matching",
        "outbox",
        "expiry",
        "retention",
        "digest",
    ]
    scheduler.stop_in_process(web_app)
    assert started[0].running is False
    with web_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_jobs_are_logged_by_their_own_names(app):
    jobs = scheduler.BackgroundScheduler(timezone="UTC")
    scheduler.add_jobs(jobs, app)  # added, never started
    assert {job.id: job.name for job in jobs.get_jobs()} == {
        "matching": "matching_job",
        "outbox": "outbox_job",
        "expiry": "expiry_job",
        "retention": "retention_job",
        "digest": "digest_job",
    }


def test_the_first_scheduled_matching_run_waits_one_interval(app, monkeypatch):
    """A coordinator's "Run matching now" on a fresh demo comes before the scheduler's run."""
    from apscheduler.schedulers.background import BackgroundScheduler

    monkeypatch.setitem(app.config, "MATCHING_INTERVAL_MINUTES", 15)
    sched = BackgroundScheduler(timezone="UTC")
    before = utcnow()
    scheduler.add_jobs(sched, app)
    jobs = {job.id: job for job in sched.get_jobs()}
    first = jobs["matching"].next_run_time.replace(tzinfo=None)
    assert before + timedelta(minutes=15) <= first <= utcnow() + timedelta(minutes=15)
    assert jobs["outbox"].next_run_time.replace(tzinfo=None) < before + timedelta(minutes=1)

"""Email through the outbox: queued in the caller's transaction, delivered later by the scheduler.

Nothing is lost while the mail server is down: a failed delivery stays in the outbox with its
error and is retried with exponential backoff, until ``max_attempts`` have failed (then
``failed``). With no SMTP host configured each mail is written as an ``.eml`` file instead.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import OutboxMessage, OutboxStatus, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailSettings:
    mail_from: str
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    file_dir: str = "outbox"
    max_attempts: int = 5
    backoff_seconds: int = 60
    timeout_seconds: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            mail_from=config.get("MAIL_FROM") or "mutualaid <no-reply@mutualaid.invalid>",
            smtp_host=config.get("SMTP_HOST") or None,
            smtp_port=int(config.get("SMTP_PORT") or 25),
            smtp_user=config.get("SMTP_USER") or None,
            smtp_password=config.get("SMTP_PASSWORD") or None,
            smtp_starttls=bool(config.get("SMTP_STARTTLS")),
            file_dir=config.get("MAIL_FILE_DIR") or "outbox",
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 5),
            backoff_seconds=int(config.get("MAIL_BACKOFF_SECONDS") or 60),
        )


def queue_mail(to_email: str, subject: str, body: str) -> OutboxMessage:
    """Put a mail in the outbox, in the caller's transaction."""
    message = OutboxMessage(
        to_email=to_email,
        subject=subject[:200],
        body=body,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_dt=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def backoff(attempts: int, base_seconds: int) -> timedelta:
    """Wait before the next attempt: ``base``, ``2 base``, ``4 base`` ... capped at a day."""
    return timedelta(seconds=min(base_seconds * 2 ** max(0, attempts - 1), 86400))


def _claim_next(now: datetime) -> OutboxMessage | None:
    # SKIP LOCKED lets two senders share the outbox on PostgreSQL; SQLite ignores the clause.
    return db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def deliver_next(settings: MailSettings, now: datetime | None = None) -> OutboxMessage | None:
    """Deliver the next due message and record the outcome (flush only); None when nothing is due.

    The caller commits after each message, so a crash can repeat at most the one message in flight.
    """
    now = now or utcnow()
    message = _claim_next(now)
    if message is None:
        return None
    message.attempts += 1
    try:
        _deliver(settings, _as_email(settings, message))
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= settings.max_attempts:
            message.status = OutboxStatus.FAILED
            log.error(
                "Gave up on mail %s to %s after %s attempts: %s",
                message.id,
                message.to_email,
                message.attempts,
                message.last_error,
            )
        else:
            message.next_attempt_dt = now + backoff(message.attempts, settings.backoff_seconds)
            log.warning(
                "Mail %s to %s failed (attempt %s), retrying at %s: %s",
                message.id,
                message.to_email,
                message.attempts,
                message.next_attempt_dt,
                message.last_error,
            )
    else:
        message.status = OutboxStatus.SENT
        message.sent_dt = utcnow()
        message.last_error = None
    db.session.flush()
    return message


def _as_email(settings: MailSettings, message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_dt.replace(tzinfo=UTC))
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain="mutualaid.invalid")
    email.set_content(message.body)
    return email


def _deliver(settings: MailSettings, email: EmailMessage) -> None:
    if settings.smtp_host:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(email)
        return
    folder = Path(settings.file_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ident = email["Message-ID"].strip("<>").split("@")[0]
    path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{ident}.eml"
    # Mail carries addresses and phone numbers: readable by the service's own user only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(email))
    log.info("Mail to %s (%s) written to %s", email["To"], email["Subject"], path)

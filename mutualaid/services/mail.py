"""Email through the outbox: queued in the caller's transaction, delivered later by the scheduler.

Nothing is lost while the mail server is down: a failed delivery stays in the outbox with its
error and is retried with exponential backoff (1, 2, 4 ... minutes, then hourly), 36 times by
default, which spans about 30 hours, longer than a day-long outage. A message that still fails, or
that the server refuses for good (a 5xx answer), or that cannot be built at all, becomes a dead
letter: status ``failed``, with its error. Dead letters are listed for admins (the *Mail* admin
page, ``mutualaid mail list --failed``) and can be queued again (``mutualaid mail retry``). A dead
letter never blocks the messages behind it.

With no SMTP host configured each mail is written as an ``.eml`` file instead.
"""

from __future__ import annotations

import email.errors
import logging
import os
import re
import smtplib
import unicodedata
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
    max_attempts: int = 36
    backoff_seconds: int = 60
    backoff_cap_seconds: int = 3600
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
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS") or 36),
            backoff_seconds=int(config.get("MAIL_BACKOFF_SECONDS") or 60),
            backoff_cap_seconds=int(config.get("MAIL_BACKOFF_CAP_SECONDS") or 3600),
        )

    def retry_span(self) -> timedelta:
        """From the first attempt to the last: how long an outage the outbox rides out."""
        return sum(
            (
                backoff(n, self.backoff_seconds, self.backoff_cap_seconds)
                for n in range(1, self.max_attempts)
            ),
            timedelta(),
        )


def single_line(text: str) -> str:
    """``text`` fit for a mail header: every line break and control character becomes a space.

    Covers what ``str.splitlines`` breaks on (``\\n``, ``\\r``, ``\\x0b``, ``\\x0c``,
    ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``) and every other control or
    format character.
    """
    cleaned = "".join(
        " "
        if unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
        else ch
        for ch in text
    )
    return re.sub(r"\s+", " ", cleaned).strip()


def queue_mail(to_email: str, subject: str, body: str) -> OutboxMessage:
    """Put a mail in the outbox, in the caller's transaction."""
    message = OutboxMessage(
        to_email=to_email.strip(),
        subject=single_line(subject)[:200],
        body=body,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_dt=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


def backoff(attempts: int, base_seconds: int, cap_seconds: int = 3600) -> timedelta:
    """Wait after ``attempts`` failures: ``base``, ``2 base``, ``4 base`` ... at most ``cap``."""
    return timedelta(seconds=min(base_seconds * 2 ** min(max(0, attempts - 1), 30), cap_seconds))


def _permanent(exc: Exception) -> bool:
    """The server refused for good (5xx): retrying would only repeat the refusal."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _dead_letter(message: OutboxMessage, error: str) -> None:
    message.status = OutboxStatus.FAILED
    message.last_error = error[:2000]
    log.error(
        "Mail %s to %s is a dead letter after %s attempts: %s",
        message.id,
        message.to_email,
        message.attempts,
        message.last_error,
    )


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
        built = _as_email(settings, message)
    except (ValueError, TypeError, LookupError, email.errors.MessageError) as exc:
        # A bad header or address: no retry can fix it, and it must not hold up the queue.
        _dead_letter(message, f"Cannot be built: {type(exc).__name__}: {exc}")
        db.session.flush()
        return message
    try:
        _deliver(settings, built)
    except Exception as exc:  # any failure of one delivery is recorded on it, never raised
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if _permanent(exc):
            _dead_letter(message, f"Refused by the mail server: {message.last_error}")
        elif message.attempts >= settings.max_attempts:
            _dead_letter(message, message.last_error)
        else:
            message.next_attempt_dt = now + backoff(
                message.attempts, settings.backoff_seconds, settings.backoff_cap_seconds
            )
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


def dead_letters(limit: int = 200) -> list[OutboxMessage]:
    """Messages given up on, newest first."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def requeue(ids: list[int] | None = None) -> int:
    """Queue dead letters again (these ``ids``, or every one), due now with fresh attempts.

    Returns how many were queued; ids that are not dead letters are left alone.
    """
    stmt = sa.update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    result = db.session.execute(
        stmt.values(status=OutboxStatus.PENDING, attempts=0, next_attempt_dt=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)

"""Operators' commands for the outbox: ``mutualaid mail list`` and ``mutualaid mail retry``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from mutualaid.extensions import db
from mutualaid.models import OutboxMessage
from mutualaid.services import mail


def _line(message: OutboxMessage) -> str:
    error = (message.last_error or "").splitlines()[0][:120] if message.last_error else ""
    return (
        f"{message.id}\t{message.status}\t{message.attempts} attempts\t{message.to_email}\t"
        f"{message.subject}\t{error}"
    )


def register(app: Flask) -> None:
    group = AppGroup("mail", help="The outbox: list dead letters and queue them again.")

    @group.command("list")
    @click.option("--failed", "failed_only", is_flag=True, help="Dead letters only (the default).")
    @click.option("--limit", default=200, show_default=True, help="At most this many.")
    def list_failed(failed_only: bool, limit: int) -> None:
        """List the dead letters (mail given up on), newest first, with their last error."""
        letters = mail.dead_letters(limit)
        for message in letters:
            click.echo(_line(message))
        click.echo(f"{len(letters)} dead letters.", err=True)

    @group.command("retry")
    @click.argument("ids", nargs=-1, type=click.IntRange(min=1))
    @click.option("--all-failed", is_flag=True, help="Queue every dead letter again.")
    def retry(ids: tuple[int, ...], all_failed: bool) -> None:
        """Queue dead letters IDS (or --all-failed) again, due now with fresh attempts."""
        if bool(ids) == all_failed:
            raise click.UsageError("Give the ids of dead letters, or --all-failed (not both).")
        try:
            count = mail.requeue(None if all_failed else list(ids))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        click.echo(f"Queued {count} dead letters again; they go out with the next delivery.")
        if ids and count < len(ids):
            raise click.ClickException(
                f"{len(ids) - count} of the ids given are not dead letters; "
                "nothing changed for them."
            )

    app.cli.add_command(group)

"""Operators' commands for matching and its jobs.

``run-matching``, ``scheduler``, ``send-mail``, ``expire-needs``.
"""

from __future__ import annotations

import logging

import click
from flask import Flask

from mutualaid import scheduler
from mutualaid.models import RunStatus, RunTrigger
from mutualaid.services.matching_runs import RunRefused


def register(app: Flask) -> None:
    @app.cli.command("run-matching")
    @click.option(
        "--group", "group_slug", metavar="SLUG", help="Only this group (default: every group)."
    )
    def run_matching(group_slug: str | None) -> None:
        """Run the matching engine now and write its proposals."""
        try:
            runs = scheduler.matching_job(app, group_slug, trigger=RunTrigger.COMMAND)
        except LookupError as exc:
            raise click.UsageError(str(exc)) from None
        except RunRefused as exc:
            raise click.ClickException(exc.message) from None
        failed = False
        for run in runs:
            stats = run["stats"]
            if run["status"] == RunStatus.SUCCEEDED:
                click.echo(
                    f"{run['group']}: run {run['id']} proposed {stats.get('proposals', 0)} matches "
                    f"({stats.get('added', 0)} new, {stats.get('kept', 0)} kept, "
                    f"{stats.get('replaced', 0)} replaced) for {stats.get('needs', 0)} needs and "
                    f"{stats.get('offers', 0)} offers in {stats.get('total_s', 0):.2f} s; "
                    f"{stats.get('unmatched', 0)} needs left unmatched"
                )
            else:
                failed = True
                click.echo(f"{run['group']}: run {run['id']} failed: {run['error']}", err=True)
        if not runs:
            click.echo("No groups to match (or every group's run is in progress elsewhere).")
        if failed:
            raise SystemExit(1)

    @app.cli.command("scheduler")
    def run_scheduler() -> None:
        """Run the scheduled jobs (matching, outbox, expiry) in this process until stopped."""
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        scheduler.run_forever(app)

    @app.cli.command("send-mail")
    def send_mail() -> None:
        """Deliver the outbox's due messages now."""
        counts = scheduler.outbox_job(app)
        click.echo(f"Sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}.")

    @app.cli.command("expire-needs")
    def expire_needs() -> None:
        """Expire one-off needs past their date and close their proposals."""
        count = scheduler.expiry_job(app)
        click.echo(f"Expired {count} needs.")

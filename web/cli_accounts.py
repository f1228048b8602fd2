"""Operators' commands on accounts: deactivate and reactivate."""

from __future__ import annotations

import click
from flask import Flask

from mutualaid.services import accounts

from .cli_ops import _one_transaction


@click.command("deactivate-account")
@click.argument("email")
@_one_transaction
def deactivate_account(email: str) -> None:
    """Deactivate the account with EMAIL: it cannot log in, and its sessions and tokens end."""
    person = accounts.set_account_active(accounts.get_person_by_email(email), False)
    click.echo(f"Deactivated {person.email}: it cannot log in; its sessions and tokens ended.")


@click.command("reactivate-account")
@click.argument("email")
@_one_transaction
def reactivate_account(email: str) -> None:
    """Let the account with EMAIL log in again (its old tokens stay revoked)."""
    person = accounts.set_account_active(accounts.get_person_by_email(email), True)
    click.echo(f"Reactivated {person.email}.")


COMMANDS = (deactivate_account, reactivate_account)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)

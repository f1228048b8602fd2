"""Operators' commands on accounts: deactivate and reactivate."""

from __future__ import annotations

import click
from flask import Flask

from mutualaid.models import Person
from mutualaid.services import accounts

from .cli_ops import _account_command


@_account_command("deactivate-account")
def deactivate_account(person: Person) -> None:
    """Deactivate the account with EMAIL: it cannot log in, and its sessions and tokens end."""
    accounts.set_account_active(person, False)
    click.echo(f"Deactivated {person.email}: it cannot log in; its sessions and tokens ended.")


@_account_command("reactivate-account")
def reactivate_account(person: Person) -> None:
    """Let the account with EMAIL log in again (its old tokens stay revoked)."""
    accounts.set_account_active(person, True)
    click.echo(f"Reactivated {person.email}.")


COMMANDS = (deactivate_account, reactivate_account)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)

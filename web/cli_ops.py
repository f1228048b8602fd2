"""Operators' commands: the database, accounts and roles, unit postcodes and demo data.

Each command is one transaction: it commits at the end or rolls back and exits non-zero with a
one-line message (never a traceback) for bad input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from mutualaid import geo
from mutualaid.errors import DomainError
from mutualaid.extensions import db
from mutualaid.models import Group, Membership, Person, Role, utcnow
from mutualaid.services import accounts, postcodes

POSTCODES_ENV = "MUTUALAID_POSTCODES_FILE"
ADMIN_PASSWORD_ENV = "MUTUALAID_ADMIN_PASSWORD"


@contextmanager
def _transaction() -> Iterator[None]:
    """Commit on success; on a domain error roll back and exit with its message."""
    try:
        yield
        db.session.commit()
    except (DomainError, geo.PostcodeError) as exc:
        db.session.rollback()
        raise click.ClickException(_describe(exc)) from None
    except BaseException:
        db.session.rollback()
        raise


def _describe(exc: Exception) -> str:
    """The error's message, followed by its field messages when they add something."""
    message = getattr(exc, "message", str(exc))
    details = [
        f"{field}: {msg}"
        for field, msgs in getattr(exc, "errors", {}).items()
        for msg in msgs
        if msg not in message
    ]
    return " ".join([message, *details])


def _one_transaction(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _transaction():
            return fn(*args, **kwargs)

    return with_appcontext(wrapper)


def _account_command(name: str) -> Callable[[Callable[..., None]], click.Command]:
    """A command in one transaction whose first argument, EMAIL, names an account: the function
    gets the account, then the arguments declared below this decorator."""

    def decorate(fn: Callable[..., None]) -> click.Command:
        @wraps(fn)
        def with_account(email: str, **kwargs: Any) -> None:
            fn(accounts.get_person_by_email(email), **kwargs)

        return click.command(name)(click.argument("email")(_one_transaction(with_account)))

    return decorate


def _group(slug: str) -> Group:
    group = db.session.scalar(sa.select(Group).where(Group.slug == slug.strip().lower()))
    if group is None:
        known = (
            ", ".join(db.session.scalars(sa.select(Group.slug).order_by(Group.slug))) or "none yet"
        )
        raise click.ClickException(f"No group with slug '{slug}' (known groups: {known}).")
    return group


def _admin_password(password: str | None) -> str:
    if password:
        return password
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    raise click.ClickException(
        f"Give --password or set {ADMIN_PASSWORD_ENV} (no terminal to prompt on)."
    )


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (runs the migrations; safe to rerun)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo("Database is up to date.")
    _warm_engine()


def _warm_engine() -> None:
    """Compile the matching engine into its on-disk cache now (the first time only, some
    seconds), so that the first matching run, a coordinator's "Run matching now", is quick."""
    import time

    import matching

    started = time.perf_counter()
    window = {"weekday": 0, "start": "09:00", "end": "10:00"}
    need = {
        "id": "n",
        "lat": 51.5,
        "lon": -0.1,
        "skills": [],
        "windows": [window],
        "volunteers_needed": 1,
        "urgency": 0.5,
        "remote_ok": False,
        "waiting_hours": 0,
    }
    volunteer = {
        "id": "v",
        "lat": 51.5,
        "lon": -0.1,
        "skills": [],
        "max_km": 5,
        "capacity": 1,
        "availability": [window],
        "load": 0,
    }
    matching.solve(matching.parse_instance({"needs": [need], "volunteers": [volunteer]}), True)
    seconds = time.perf_counter() - started
    if seconds > 2:
        click.echo(f"Compiled the matching engine in {seconds:.0f} s (kept for later runs).")


@click.command("create-admin")
@click.option("--email", required=True, help="The admin's email (an existing account is promoted).")
@click.option("--name", required=True, help="The admin's name.")
@click.option(
    "--password",
    envvar=ADMIN_PASSWORD_ENV,
    show_envvar=True,
    help="Password for a new account; prompted for when omitted.",
)
@_one_transaction
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an admin account, or make an existing account an admin."""
    try:
        person = accounts.get_person_by_email(email)
    except DomainError:
        person = None
    if person is None:
        person = accounts.create_account(email, _admin_password(password), name, verified=True)
        verb = "Created"
    else:
        if password:
            accounts.set_password(person, password)
        verb = "Promoted"
    person.is_admin = True
    if person.email_verified_dt is None:  # the operator vouches for the address
        person.email_verified_dt = utcnow()
    db.session.flush()
    click.echo(f"{verb} admin {person.email}.")


@_account_command("grant-coordinator")
@click.argument("group_slug")
def grant_coordinator(person: Person, group_slug: str) -> None:
    """Make the account EMAIL a coordinator of the group GROUP_SLUG."""
    group = _group(group_slug)
    accounts.set_role(person, group, Role.COORDINATOR)
    click.echo(f"{person.email} now coordinates {group.name} ({group.slug}).")


@_account_command("revoke-coordinator")
@click.argument("group_slug")
def revoke_coordinator(person: Person, group_slug: str) -> None:
    """Make a coordinator of GROUP_SLUG an ordinary member again."""
    group = _group(group_slug)
    role = db.session.scalar(
        sa.select(Membership.role).where(
            Membership.person_id == person.id, Membership.group_id == group.id
        )
    )
    if role != Role.COORDINATOR:
        raise click.ClickException(f"{person.email} is not a coordinator of {group.slug}.")
    accounts.set_role(person, group, Role.MEMBER)
    click.echo(f"{person.email} no longer coordinates {group.name} ({group.slug}); still a member.")


@click.command("import-postcodes")
@click.argument("path", required=False, envvar=POSTCODES_ENV, type=click.Path(dir_okay=False))
@click.option(
    "--batch-size", default=postcodes.BATCH_SIZE, show_default=True, type=click.IntRange(1)
)
@_one_transaction
def import_postcodes(path: str | None, batch_size: int) -> None:
    """Load unit postcodes from PATH (gb_postcodes.csv.gz: postcode,latitude,longitude).

    PATH defaults to $MUTUALAID_POSTCODES_FILE. Existing postcodes are updated, so rerunning
    is safe.
    """
    if not path:
        raise click.ClickException(
            f"Give the path to gb_postcodes.csv.gz (or set {POSTCODES_ENV}); see the README."
        )
    click.echo(f"Importing unit postcodes from {os.path.basename(path)} ...")
    result = postcodes.import_postcodes(path, batch_size=batch_size)
    click.echo(
        f"Imported {result.rows:,} rows in {result.seconds:.1f} s; "
        f"{result.total:,} unit postcodes in the database."
    )


@click.command("demo")
@click.option(
    "--reset", is_flag=True, help="Delete ALL groups, people, needs, offers and matches first."
)
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has data."
)
@click.option(
    "--seed", default=2020, show_default=True, help="Random seed: the same seed, the same data."
)
@click.option(
    "--per-group",
    default=None,
    type=click.IntRange(1, 5000),
    help="Needs per group (offers scale with it).",
)
@_one_transaction
def demo(reset: bool, if_empty: bool, seed: int, per_group: int | None) -> None:
    """Load demo groups, people, needs and offers around UK cities, and print logins to try."""
    from mutualaid import demo as demo_data

    if reset and if_empty:
        raise click.ClickException("Use --reset or --if-empty, not both.")
    if if_empty and demo_data.has_data():
        logins = demo_data.existing_logins()
        click.echo("The database already has data; demo data not loaded.")
        if logins:
            click.echo("\n".join(["", *demo_data.describe_logins(logins)]))
            click.echo("(unless the password was changed since)")
        return
    if reset:
        demo_data.wipe()
    elif demo_data.has_data():
        raise click.ClickException(
            "The database already has data (demo loaded before?). "
            "Rerun with --reset to delete everything and load the demo afresh."
        )
    if per_group is None:
        summary = demo_data.load(seed=seed)
    else:
        summary = demo_data.load(seed=seed, needs_per_group=per_group)
    click.echo(summary.describe())


COMMANDS = (init_db, create_admin, grant_coordinator, revoke_coordinator, import_postcodes, demo)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)

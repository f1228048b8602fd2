"""Operators' commands: ``flask --app web ...`` or the ``mutualaid`` console script."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Commands are grouped by area; each module exposes ``register(app)``.
    from . import cli_accounts, cli_mail, cli_matching, cli_ops

    cli_ops.register(app)
    cli_matching.register(app)
    cli_mail.register(app)
    cli_accounts.register(app)


def main() -> None:
    from flask.cli import FlaskGroup

    from . import create_app

    # The console script is the embedded setup: with no MUTUALAID_SECRET_KEY it keeps a random
    # key in the instance folder rather than refusing to start (see web._require_secret_key).
    FlaskGroup(create_app=lambda: create_app({"SECRET_KEY_FROM_INSTANCE": True}))()

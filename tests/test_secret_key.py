"""The signing key: never a guessable default outside debug and tests (forged sessions)."""

from __future__ import annotations

import os
import stat

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from mutualaid.config import TestConfig
from web import InsecureSecretKey, create_app

_BASE = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def _production(tmp_path, monkeypatch, **overrides):
    """An app configured as in production: not testing, not debug; instance folder in tmp_path."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    config = {
        **_BASE,
        "TESTING": False,
        "DEBUG": False,
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        **overrides,
    }
    return create_app(config)


def test_refuses_to_start_without_a_key_and_says_how_to_make_one(tmp_path, monkeypatch):
    with pytest.raises(
        InsecureSecretKey, match=r"MUTUALAID_SECRET_KEY is not set.*secrets\.token_hex"
    ):
        _production(tmp_path, monkeypatch)


@pytest.mark.parametrize("key", ["dev-only-change-me", "short-key"])
def test_refuses_a_guessable_key(tmp_path, monkeypatch, key):
    with pytest.raises(InsecureSecretKey, match="too easy to guess"):
        _production(tmp_path, monkeypatch, SECRET_KEY=key)


def test_a_long_random_key_is_accepted(tmp_path, monkeypatch):
    app = _production(tmp_path, monkeypatch, SECRET_KEY="k" * 16 + os.urandom(16).hex())
    assert app.config["SECRET_KEY"].startswith("k" * 16)


def test_the_embedded_setup_keeps_one_private_random_key(tmp_path, monkeypatch):
    first = _production(tmp_path, monkeypatch, SECRET_KEY_FROM_INSTANCE=True)
    path = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (
        len(first.config["SECRET_KEY"]) == 64 and first.config["SECRET_KEY"] != "dev-only-change-me"
    )
    again = _production(tmp_path, monkeypatch, SECRET_KEY_FROM_INSTANCE=True)
    assert again.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_a_cookie_signed_with_the_old_default_opens_nothing(tmp_path, monkeypatch):
    app = _production(tmp_path, monkeypatch, SECRET_KEY_FROM_INSTANCE=True)
    forger = Flask("forger")
    forger.secret_key = "dev-only-change-me"
    cookie = (
        SecureCookieSessionInterface().get_signing_serializer(forger).dumps({"_user_id": "1:0"})
    )
    client = app.test_client()
    client.set_cookie("session", cookie)
    resp = client.get("/coordinate")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]

"""Hardening: security headers on every response, private files for mail and the database."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from flask import Flask

from mutualaid.config import TestConfig
from mutualaid.extensions import db
from mutualaid.services import mail
from web import create_app

_BASE = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def _directives(csp: str) -> dict[str, str]:
    return {d.split()[0]: d.partition(" ")[2] for d in (p.strip() for p in csp.split(";")) if d}


@pytest.mark.parametrize(
    "path", ["/", "/login", "/api/v1/openapi.json", "/api/v1/needs", "/no-such-page", "/healthz"]
)
def test_every_response_carries_the_security_headers(client, path):
    resp = client.get(path)
    csp = _directives(resp.headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == "'none'"
    assert (
        csp["script-src"] == "'self'"
        and "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    )
    assert csp["object-src"] == "'none'"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers  # secure cookies are not configured


def test_static_files_may_be_cached(client):
    resp = client.get("/static/site.css")
    assert resp.status_code == 200
    assert resp.headers.get("Cache-Control") != "no-store"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp.close()


def test_pages_never_use_inline_script(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html


def test_hsts_when_secure_cookies_are_configured(app):
    secure = create_app({**dict(app.config), "SESSION_COOKIE_SECURE": True})
    resp = secure.test_client().get("/login", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    with secure.app_context():  # its own engine: close its connections (PostgreSQL)
        db.session.remove()
        db.engine.dispose()


def test_mail_files_are_private(app, tmp_path):
    app.config["MAIL_FILE_DIR"] = str(tmp_path / "outbox")
    with app.app_context():
        mail.queue_mail("rita@example.org", "A volunteer is coming", "07700 900123")
        db.session.commit()
        from mutualaid import scheduler

        assert scheduler.outbox_job(app)["sent"] == 1
    files = list((tmp_path / "outbox").iterdir())
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700


def test_the_sqlite_database_is_private(tmp_path, monkeypatch):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    path = tmp_path / "private.sqlite"
    app = create_app({**_BASE, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        db.engine.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("match_id", [9223372036854775807, 9223372036854775808, 10**30])
def test_huge_match_ids_on_the_pages_are_not_found(app, create_person, action, match_id):
    person = create_person()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
    resp = client.post(f"/matches/{match_id}/{action}", data={"reason": "x"})
    assert resp.status_code == 302  # back to the queue, saying there is no such match
    page = client.get(resp.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert f"No match {match_id}." in page

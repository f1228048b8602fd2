"""The engine's compiled code is cached under the instance folder (no compilation per run)."""

from __future__ import annotations

import os

import numba
from flask import Flask

from mutualaid.config import TestConfig
from web import create_app

_BASE = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


def _app(tmp_path, monkeypatch):
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path / "instance"))
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    return create_app(
        {
            **_BASE,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
    )


def test_the_engine_cache_lives_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")  # unset, and restored afterwards
    _app(tmp_path, monkeypatch)
    want = str(tmp_path / "instance" / "numba-cache")
    assert os.environ["NUMBA_CACHE_DIR"] == want and os.path.isdir(want)
    assert want == numba.config.CACHE_DIR


def test_an_explicit_numba_cache_dir_wins(tmp_path, monkeypatch):
    mine = str(tmp_path / "elsewhere")
    monkeypatch.setenv("NUMBA_CACHE_DIR", mine)
    _app(tmp_path, monkeypatch)
    assert os.environ["NUMBA_CACHE_DIR"] == mine
    assert not (tmp_path / "instance" / "numba-cache").exists()

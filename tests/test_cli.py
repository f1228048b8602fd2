"""Operators' commands: accounts and roles, unit postcodes, demo data."""

from __future__ import annotations

import gzip
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from mutualaid import demo
from mutualaid.extensions import db
from mutualaid.models import (
    CATEGORIES,
    Group,
    Membership,
    Need,
    Offer,
    OfferSkill,
    Person,
    Skill,
    UnitPostcode,
)
from mutualaid.services import accounts

ROOT = Path(__file__).resolve().parents[1]


def _role(app, email, slug):
    with app.app_context():
        return db.session.scalar(
            sa.select(Membership.role)
            .join(Person)
            .join(Group)
            .where(Person.email == email, Group.slug == slug)
        )


def test_init_db_is_safe_to_rerun(runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_create_admin_with_password_option(app, runner):
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Ada@Example.org",
            "--name",
            "Ada Lovelace",
            "--password",
            "analytical engine",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        person = accounts.authenticate("ada@example.org", "analytical engine")
        assert person.is_admin and person.name == "Ada Lovelace"


def test_create_admin_reads_the_password_from_the_environment(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "root@example.org", "--name", "Root"],
        env={"MUTUALAID_ADMIN_PASSWORD": "from the environment"},
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert accounts.authenticate("root@example.org", "from the environment").is_admin


def test_create_admin_without_a_password_and_no_terminal_fails_cleanly(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "x@example.org", "--name", "X"],
        env={"MUTUALAID_ADMIN_PASSWORD": None},
    )
    assert result.exit_code == 1
    assert "MUTUALAID_ADMIN_PASSWORD" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("not-an-email", "long enough pw", "email"),
        ("short@example.org", "short", "at least 10"),
    ],
)
def test_create_admin_rejects_bad_input(app, runner, email, password, message):
    result = runner.invoke(
        args=["create-admin", "--email", email, "--name", "N", "--password", password]
    )
    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_create_admin_promotes_an_existing_account(app, runner, create_person):
    person = create_person(email="member@example.org")
    result = runner.invoke(
        args=["create-admin", "--email", "member@example.org", "--name", "ignored"]
    )
    assert result.exit_code == 0, result.output
    assert "Promoted" in result.output
    with app.app_context():
        assert db.session.get(Person, person.id).is_admin


def test_grant_and_revoke_coordinator(app, runner, create_person, create_group):
    person = create_person(email="kim@example.org")
    create_group(slug="hackney")
    result = runner.invoke(args=["grant-coordinator", "KIM@example.org", "hackney"])
    assert result.exit_code == 0, result.output
    assert _role(app, person.email, "hackney") == "coordinator"

    result = runner.invoke(args=["revoke-coordinator", "kim@example.org", "hackney"])
    assert result.exit_code == 0, result.output
    assert _role(app, person.email, "hackney") == "member"

    result = runner.invoke(args=["revoke-coordinator", "kim@example.org", "hackney"])
    assert result.exit_code == 1
    assert "not a coordinator" in result.output


@pytest.mark.parametrize("command", ["grant-coordinator", "revoke-coordinator"])
def test_role_commands_report_unknown_email_and_group(
    app, runner, create_person, create_group, command
):
    create_person(email="kim@example.org")
    create_group(slug="hackney")
    result = runner.invoke(args=[command, "nobody@example.org", "hackney"])
    assert result.exit_code == 1
    assert "No account with email nobody@example.org" in result.output
    result = runner.invoke(args=[command, "kim@example.org", "atlantis"])
    assert result.exit_code == 1
    assert "No group with slug 'atlantis'" in result.output and "hackney" in result.output
    assert "Traceback" not in result.output
    assert _role(app, "kim@example.org", "hackney") is None


def _gz(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(f"{line}\n" for line in lines))
    return str(path)


def _units(app):
    with app.app_context():
        return {u.postcode: (u.lat, u.lon) for u in db.session.scalars(sa.select(UnitPostcode))}


def test_import_postcodes_is_idempotent_and_updates(app, runner, tmp_path):
    first = _gz(
        tmp_path / "a.csv.gz",
        [
            "postcode,latitude,longitude",
            "E8 1AA,51.5,-0.06",
            "M14 5AB,53.45,-2.22",
            "SW1A 1AA,51.501,-0.1416",
        ],
    )
    result = runner.invoke(args=["import-postcodes", first, "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Imported 3 rows" in result.output and "3 unit postcodes" in result.output
    assert _units(app) == {
        "E81AA": (51.5, -0.06),
        "M145AB": (53.45, -2.22),
        "SW1A1AA": (51.501, -0.1416),
    }

    again = _gz(
        tmp_path / "b.csv.gz",
        [
            "postcode,latitude,longitude",
            "E8 1AA,51.51,-0.061",
            "E8 1AA,51.52,-0.062",
            "LS6 1AN,53.82,-1.57",
        ],
    )
    result = runner.invoke(args=["import-postcodes", again])
    assert result.exit_code == 0, result.output
    units = _units(app)
    assert len(units) == 4 and units["E81AA"] == (51.52, -0.062)


def test_import_postcodes_reads_the_path_from_the_environment(app, runner, tmp_path):
    path = _gz(tmp_path / "a.csv.gz", ["postcode,latitude,longitude", "E8 1AA,51.5,-0.06"])
    result = runner.invoke(args=["import-postcodes"], env={"MUTUALAID_POSTCODES_FILE": path})
    assert result.exit_code == 0, result.output
    assert set(_units(app)) == {"E81AA"}


@pytest.mark.parametrize(
    "lines, message",
    [
        (["pc,lat,lng", "E8 1AA,51.5,-0.06"], "expected a header"),
        (["postcode,latitude,longitude", "E8 1AA,51.5,-0.06", "nonsense,51.5,-0.06"], "line 3"),
        (["postcode,latitude,longitude", "E8 1AA,north,-0.06"], "must be numbers"),
        (["postcode,latitude,longitude", "E8 1AA,151.5,-0.06"], "out of range"),
        (["postcode,latitude,longitude", "E8 1AA,51.5"], "expected 3 columns"),
    ],
)
def test_import_postcodes_rejects_a_bad_file_and_writes_nothing(
    app, runner, tmp_path, lines, message
):
    result = runner.invoke(args=["import-postcodes", _gz(tmp_path / "bad.csv.gz", lines)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert _units(app) == {}


def test_import_postcodes_rejects_missing_and_corrupt_files(app, runner, tmp_path):
    result = runner.invoke(args=["import-postcodes"], env={"MUTUALAID_POSTCODES_FILE": None})
    assert result.exit_code == 1 and "Give the path" in result.output
    result = runner.invoke(args=["import-postcodes", str(tmp_path / "missing.csv.gz")])
    assert result.exit_code == 1 and "No such file" in result.output
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress(b"postcode,latitude,longitude\nE8 1AA,51.5,-0.06\n")[:-12])
    result = runner.invoke(args=["import-postcodes", str(corrupt)])
    assert result.exit_code == 1 and "cannot read" in result.output
    assert _units(app) == {}


def _demo_snapshot(app):
    with app.app_context():
        return sorted(
            db.session.execute(
                sa.select(Need.title, Need.postcode, Need.category, Need.windows)
            ).all(),
            key=repr,
        )


def test_demo_loads_every_category_and_prints_logins(app, runner):
    result = runner.invoke(args=["demo", "--per-group", "9", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert f"password: {demo.DEMO_PASSWORD}" in result.output
    with app.app_context():
        groups = db.session.scalars(sa.select(Group)).all()
        assert len(groups) == len(demo.CITIES)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 9 * len(groups)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Offer)) >= 2 * len(groups)
        assert set(db.session.scalars(sa.select(Need.category))) == set(CATEGORIES)
        for group in groups:  # every group has a coordinator, needs and offers near its centre
            assert any(m.role == "coordinator" for m in group.memberships)
            assert (
                db.session.scalar(sa.select(sa.func.count()).where(Need.group_id == group.id)) == 9
            )
        # Credentials: some verified with an expiry date.
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OfferSkill)
                .join(Skill)
                .where(
                    Skill.is_credential,
                    OfferSkill.verified_dt.is_not(None),
                    OfferSkill.expires_on.is_not(None),
                )
            )
            > 0
        )
        phones = set(db.session.scalars(sa.select(Person.phone)))
        assert all(p.startswith("07700 900") for p in phones)
        assert all(e.endswith("@example.org") for e in db.session.scalars(sa.select(Person.email)))

        # Every printed login works with the demo password, and has the role it claims.
        logins = [line.split() for line in result.output.splitlines() if "@example.org" in line]
        roles = {words[0]: words[-3] if words[0] == "coordinator" else words[1] for words in logins}
        assert {"admin", "resident", "volunteer", "coordinator"} <= set(roles)
        for words in logins:
            email = next(w for w in words if w.endswith("@example.org"))
            person = accounts.authenticate(email, demo.DEMO_PASSWORD)
            if words[0] == "admin":
                assert person.is_admin
            if words[0] == "coordinator":
                slug = words[1].strip("()")
                group = db.session.scalar(sa.select(Group).where(Group.slug == slug))
                assert accounts.is_coordinator(person, group.id)
            if words[0] == "resident":
                assert (
                    db.session.scalar(
                        sa.select(sa.func.count()).where(Need.requester_id == person.id)
                    )
                    > 0
                )
            if words[0] == "volunteer":
                assert (
                    db.session.scalar(
                        sa.select(sa.func.count()).where(Offer.volunteer_id == person.id)
                    )
                    > 0
                )


def test_demo_refuses_a_second_run_without_reset_and_is_deterministic(app, runner):
    assert runner.invoke(args=["demo", "--per-group", "8", "--seed", "3"]).exit_code == 0
    first = _demo_snapshot(app)

    again = runner.invoke(args=["demo", "--per-group", "8", "--seed", "3"])
    assert again.exit_code == 1
    assert "--reset" in again.output and "Traceback" not in again.output
    assert _demo_snapshot(app) == first

    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert skipped.exit_code == 0 and "not loaded" in skipped.output
    assert _demo_snapshot(app) == first

    reset = runner.invoke(args=["demo", "--reset", "--per-group", "8", "--seed", "3"])
    assert reset.exit_code == 0, reset.output
    assert _demo_snapshot(app) == first  # same seed, same data

    other = runner.invoke(args=["demo", "--reset", "--per-group", "8", "--seed", "4"])
    assert other.exit_code == 0
    assert _demo_snapshot(app) != first


def test_demo_if_empty_loads_into_an_empty_database(app, runner):
    result = runner.invoke(args=["demo", "--if-empty", "--per-group", "8"])
    assert result.exit_code == 0, result.output
    assert "Loaded demo data" in result.output


def test_demo_rerun_prints_the_logins_again(app, runner):
    loaded = runner.invoke(args=["demo", "--if-empty", "--per-group", "8"])
    logins = [line for line in loaded.output.splitlines() if "@example.org" in line]
    assert len(logins) >= 4  # an admin, a resident, a volunteer, a coordinator per group
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert [line for line in again.output.splitlines() if "@example.org" in line] == logins
    assert "mutualaid-demo" in again.output


def test_a_rerun_on_other_data_prints_no_logins(app, runner, create_person):
    create_person(email="someone@example.net")
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    assert "@example.org" not in again.output and "password" not in again.output


def test_the_mutualaid_console_script_runs_a_command(tmp_path):
    """The one real process: the installed ``mutualaid`` script builds the app and runs init-db.

    Every other test here runs the commands in-process through Flask's CLI runner.
    """
    script = shutil.which("mutualaid", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the mutualaid console script is not installed (pip install -e .)")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this checkout's code, wherever the package was installed from
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MUTUALAID_SECRET_KEY": secrets.token_hex(32),
    }
    proc = subprocess.run(
        [script, "init-db"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "Database is up to date." in proc.stdout

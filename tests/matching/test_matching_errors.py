"""Every bad input gets a one-line message naming the record and the field."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from matching import InstanceError, parse_instance
from matching.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def base() -> dict:
    w = {"weekday": 1, "start": "09:00", "end": "11:00"}
    return {
        "needs": [
            {
                "id": "n1",
                "lat": 51.5,
                "lon": -0.1,
                "skills": ["legal-advice"],
                "windows": [dict(w)],
                "volunteers_needed": 1,
                "urgency": 0.5,
                "remote_ok": False,
            }
        ],
        "volunteers": [
            {
                "id": "v1",
                "lat": 51.5,
                "lon": -0.1,
                "skills": ["legal-advice"],
                "max_km": 5.0,
                "capacity": 2,
                "availability": [dict(w)],
            },
            {
                "id": "v9",
                "lat": 51.5,
                "lon": -0.1,
                "skills": [],
                "max_km": 5.0,
                "capacity": 1,
                "availability": [],
            },
        ],
        "exclude": [["n1", "v9"]],
    }


def mutate(path, value):
    data = base()
    obj = data
    for k in path[:-1]:
        obj = obj[k]
    if value is KeyError:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return data


CASES = [
    (mutate(["needs", 0, "lat"], KeyError), "needs[0] (id 'n1'): missing field 'lat'"),
    (
        mutate(["volunteers", 1, "capacity"], KeyError),
        "volunteers[1] (id 'v9'): missing field 'capacity'",
    ),
    (
        mutate(["needs", 0, "windows", 0, "end"], "09:00"),
        "needs[0] (id 'n1'): windows[0].end must be after start (09:00 to 09:00)",
    ),
    (
        mutate(["volunteers", 0, "availability", 0, "end"], "08:00"),
        "volunteers[0] (id 'v1'): availability[0].end must be after start (09:00 to 08:00)",
    ),
    (
        mutate(["needs", 0, "windows", 0, "weekday"], 7),
        "needs[0] (id 'n1'): windows[0].weekday must be an integer 0..6 (0 = Monday)",
    ),
    (
        mutate(["volunteers", 0, "availability", 0, "weekday"], -1),
        "volunteers[0] (id 'v1'): availability[0].weekday must be an integer 0..6 (0 = Monday)",
    ),
    (
        mutate(["needs", 0, "lat"], 91),
        "needs[0] (id 'n1'): lat must be a number between -90 and 90",
    ),
    (
        mutate(["volunteers", 1, "lat"], -90.5),
        "volunteers[1] (id 'v9'): lat must be a number between -90 and 90",
    ),
    (
        mutate(["volunteers", 0, "capacity"], 0),
        "volunteers[0] (id 'v1'): capacity must be at least 1",
    ),
    (
        mutate(["needs", 0, "volunteers_needed"], 0),
        "needs[0] (id 'n1'): volunteers_needed must be at least 1",
    ),
    (
        mutate(["volunteers", 1, "id"], "v1"),
        "volunteers[1] (id 'v1'): duplicate id 'v1' (also volunteers[0])",
    ),
    (mutate(["exclude", 0], ["n1", "v7"]), "exclude[0]: unknown volunteer id 'v7'"),
    (mutate(["exclude", 0], ["n2", "v1"]), "exclude[0]: unknown need id 'n2'"),
    (
        mutate(["needs", 0, "windows", 0, "start"], "9am"),
        "needs[0] (id 'n1'): windows[0].start must be a time \"HH:MM\" (00:00 to 24:00)",
    ),
    (
        mutate(["needs", 0, "urgency"], 1.5),
        "needs[0] (id 'n1'): urgency must be a number between 0 and 1",
    ),
    (
        mutate(["needs", 0, "remote_ok"], "no"),
        "needs[0] (id 'n1'): remote_ok must be true or false",
    ),
    (
        mutate(["needs", 0, "windows"], []),
        "needs[0] (id 'n1'): windows must hold at least one window",
    ),
    (
        mutate(["volunteers", 0, "max_km"], -1),
        "volunteers[0] (id 'v1'): max_km must be a distance in km, at least 0",
    ),
    (
        mutate(["needs", 0, "skills"], "legal"),
        "needs[0] (id 'n1'): skills must be a list of non-empty strings",
    ),
    (mutate(["needs", 0, "id"], KeyError), "needs[0]: missing field 'id'"),
    (mutate(["volunteers"], KeyError), "instance: missing field 'volunteers'"),
    (
        mutate(["needs", 0, "lon"], float("nan")),
        "needs[0] (id 'n1'): lon must be a number between -180 and 180",
    ),
    (mutate(["volunteers", 0, "load"], -2), "volunteers[0] (id 'v1'): load must be at least 0"),
    (
        mutate(["needs", 0, "waiting_hours"], "long"),
        "needs[0] (id 'n1'): waiting_hours must be a number of hours, at least 0",
    ),
    ([1, 2], "instance: must be a JSON object with needs and volunteers"),
]

PERSON = "must be a non-empty string or an integer"
CASES += [
    (mutate(["volunteers", 0, "person"], bad), f"volunteers[0] (id 'v1'): person {PERSON}")
    for bad in (1.5, True, "", None, ["p1"], {"id": 1})
] + [(mutate(["volunteers", 1, "person"], 2.0), f"volunteers[1] (id 'v9'): person {PERSON}")]


def test_people_are_numbered_in_order_of_first_appearance():
    data = base()
    v = data["volunteers"][0]
    data["volunteers"] = [
        {**v, "id": "a", "person": "p9"},
        {**v, "id": "b"},
        {**v, "id": "c", "person": 12},
        {**v, "id": "d", "person": "p9"},
        {**v, "id": "e", "person": "12"},  # a string, not the integer 12
        {**v, "id": "f", "person": 12},
    ]
    data["exclude"] = []
    assert parse_instance(data).volunteer_person.tolist() == [0, 1, 2, 0, 3, 2]


@pytest.mark.parametrize("data, message", CASES, ids=[m[:40] for _, m in CASES])
def test_bad_input_message(data, message):
    with pytest.raises(InstanceError) as info:
        parse_instance(data)
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_valid_base_and_unknown_fields_ignored():
    data = base()
    data["needs"][0]["colour"] = "red"
    data["extra"] = {"anything": 1}
    inst = parse_instance(copy.deepcopy(data))
    assert inst.n_needs == 1 and inst.n_volunteers == 2


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """``python -m matching ARGS`` run in this process: its exit status and output."""

    def run(*args: str) -> Ran:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.fixture
def bad_files(tmp_path):
    files = {}
    files["malformed"] = tmp_path / "malformed.json"
    files["malformed"].write_text('{"needs": [}')
    files["capacity"] = tmp_path / "cap.json"
    files["capacity"].write_text(json.dumps(CASES[8][0]))
    files["missing"] = tmp_path / "does-not-exist.json"
    files["binary"] = tmp_path / "binary.json"
    files["binary"].write_bytes(b"\xff\xfe\x00garbage")
    return files


@pytest.mark.parametrize("command", ["solve", "candidates"])
@pytest.mark.parametrize("kind", ["malformed", "capacity", "missing", "binary"])
def test_cli_bad_input_exits_2_with_one_line(cli, bad_files, command, kind):
    proc = cli(command, str(bad_files[kind]))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    if kind == "capacity":
        assert "volunteers[0] (id 'v1'): capacity must be at least 1" in proc.stderr


def test_cli_usage_error_is_one_line(cli):
    proc = cli("frobnicate")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_solve_and_candidates(cli, tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(base()))
    out = tmp_path / "out.json"
    proc = cli("solve", str(path), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert [(m["need"], m["volunteer"]) for m in result["matches"]] == [("n1", "v1")]
    assert result["unmatched"] == [] and result["stats"]["filled_slots"] == 1
    proc = cli("solve", str(path))
    assert json.loads(proc.stdout)["matches"] == result["matches"]
    proc = cli("candidates", str(path))
    assert proc.returncode == 0
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert lines == [{"need": "n1", "volunteer": "v1", "score": result["matches"][0]["score"]}]


def test_cli_solve_certify(cli, tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(base()))
    proc = cli("solve", "--certify", str(path))
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    assert stats["certified_optimal"] is True and stats["filled_slots"] == 1
    assert "certified_optimal" not in json.loads(cli("solve", str(path)).stdout)["stats"]


def test_python_dash_m_matching_runs_as_a_program(tmp_path):
    """The one real process: ``python -m matching`` finds its entry point and exits cleanly."""
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(base()))
    proc = subprocess.run(
        [sys.executable, "-m", "matching", "solve", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [(m["need"], m["volunteer"]) for m in json.loads(proc.stdout)["matches"]] == [
        ("n1", "v1")
    ]
    bad = subprocess.run(
        [sys.executable, "-m", "matching", "solve", str(tmp_path / "missing.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr

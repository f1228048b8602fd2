"""Spreadsheets in: needs or offers from a CSV file into one group.

A dry run reads the whole file and reports every row's problems at once, by row and column,
and writes nothing. A real import checks the same way, then writes the valid rows in the
request's one transaction (the caller commits, or rolls everything back). Each row goes through
the API's own schema and the services that post a need or an offer, so the rules are the same.

People are found by email; someone new gets an account with no usable password and an email
inviting them to confirm their address and choose a password (their needs and offers are
published once the address is confirmed, as for anyone).

The columns are those of :mod:`mutualaid.services.exports` (``id``, ``status`` and
``district`` are ignored), so an export imports into another group. A cell escaped against
spreadsheet formulas (a leading apostrophe) is read back without it.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Group, Person
from ..schemas.needs import NeedInSchema
from ..schemas.offers import OfferInSchema
from . import accounts, mail
from . import needs as need_service
from . import offers as offer_service
from .exports import FORMULA_STARTS

#: The most rows one file may hold.
MAX_ROWS = 20_000
#: The largest file taken, in bytes.
MAX_BYTES = 8 * 1024 * 1024
#: Columns every file of each kind must have.
REQUIRED = {
    "needs": ("title", "category", "postcode", "name", "email"),
    "offers": ("postcode", "availability", "name", "email"),
}
#: Other spellings of column names (after lower-casing; spaces and dashes become "_").
ALIASES = {
    "full_name": "name",
    "your_name": "name",
    "email_address": "email",
    "e_mail": "email",
    "phone_number": "phone",
    "telephone": "phone",
    "post_code": "postcode",
    "volunteers": "volunteers_needed",
    "remote": "remote_ok",
    "free": "availability",
    "times": "availability",
}
#: Every column each kind reads, in the order a mapping form lists them.
FIELDS = {
    "needs": (
        "title",
        "category",
        "description",
        "skills",
        "postcode",
        "address",
        "urgency",
        "volunteers_needed",
        "remote_ok",
        "date",
        "start",
        "end",
        "weekly",
        "name",
        "email",
        "phone",
    ),
    "offers": (
        "postcode",
        "availability",
        "skills",
        "max_travel_km",
        "capacity",
        "active",
        "note",
        "name",
        "email",
        "phone",
    ),
}
_WINDOW = re.compile(r"^\s*([A-Za-z]+)\s+(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


@dataclass
class RowProblem:
    line: int  # the row's line in the file, the header being line 1
    column: str
    message: str


@dataclass
class ImportReport:
    """What a dry run found, or what an import did."""

    kind: str
    dry_run: bool
    rows: int = 0
    valid: int = 0
    file_problems: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    imported: int = 0
    new_people: int = 0
    #: The file's column names as written in its first line (empty if it could not be read).
    headers: list[str] = field(default_factory=list)
    #: Whether the file problems are about the column mapping given.
    mapping_refused: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_problems

    def by_line(self) -> dict[int, list[RowProblem]]:
        out: dict[int, list[RowProblem]] = {}
        for problem in self.problems:
            out.setdefault(problem.line, []).append(problem)
        return out


class _FileRefused(Exception):
    pass


class _MappingRefused(_FileRefused):
    pass


def _column(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", (name or "").strip().lower()).lstrip("\ufeff")
    return ALIASES.get(key, key)


def _cell(value: str | None) -> str:
    """A cell's text, with an export's formula escape (a leading apostrophe) undone."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _mapped_columns(
    kind: str, header: list[str], mapping: dict[str, str]
) -> tuple[list[str], list[str]]:
    """The columns a header gives under ``mapping`` (field -> the file's column as written,
    or "" for none), and the mapping's problems. A field the mapping leaves out keeps the
    column whose name matches it; a file column not chosen is ignored."""
    raw = [h.strip().lstrip("\ufeff").strip() for h in header]
    problems: list[str] = []
    chosen: dict[str, str] = {}
    for name, column in mapping.items():
        column = (column or "").strip()
        if name not in FIELDS[kind]:
            problems.append(f"There is no field “{name[:40]}” to map for {kind}.")
        elif column and column not in raw:
            problems.append(f"The file has no column “{column[:60]}” (chosen for {name}).")
        elif column in chosen:
            problems.append(
                f"The column “{column[:60]}” is chosen for both {chosen[column]} and {name}."
            )
        elif column:
            chosen[column] = name
    columns = []
    for index, (text, name) in enumerate(zip(raw, header, strict=True)):
        guessed = _column(name)
        if text in chosen and raw.index(text) == index:
            columns.append(chosen[text])
        elif guessed in mapping:  # its field is mapped elsewhere, or to no column
            columns.append(f"_unused_{index}")
        else:
            columns.append(guessed)
    return columns, problems


def read_rows(
    data: bytes, *, kind: str = "needs", mapping: dict[str, str] | None = None
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header's columns and each row by its line; :class:`_FileRefused` with the reason."""
    if len(data) > MAX_BYTES:
        raise _FileRefused(f"The file is over {MAX_BYTES // (1024 * 1024)} MB: split it in parts.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _FileRefused(
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8” and "
            "upload it again."
        ) from None
    if "\x00" in text:
        raise _FileRefused("The file is not a CSV text file (it holds binary data).")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise _FileRefused("The file is empty: the first line should name the columns.")
        if mapping:
            columns, problems = _mapped_columns(kind, header, mapping)
            if problems:
                raise _MappingRefused(" ".join(problems))
        else:
            columns = [_column(h) for h in header]
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise _FileRefused(
                    f"The file has more than {MAX_ROWS:,} rows: split it into files of at "
                    f"most {MAX_ROWS:,} rows. Nothing was imported."
                )
            if len(values) > len(columns):
                rows.append((reader.line_num, {"_extra": "x"}))
                continue
            rows.append(
                (reader.line_num, {c: _cell(v) for c, v in zip(columns, values, strict=False)})
            )
    except csv.Error as exc:
        raise _FileRefused(
            f"The file is not valid CSV near line {reader.line_num}: {exc}."
        ) from None
    return columns, rows


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, (list, tuple)):
        return [pair for item in messages for pair in _flatten(item, prefix)]
    return [(prefix or "_schema", str(messages))]


def _windows(text: str) -> list[dict[str, str]] | None:
    """``Mon 09:00-11:00; Thu 14:00-15:30`` as windows; ``None`` if it does not read so."""
    out = []
    for part in (p for p in re.split(r"[;\n]", text) if p.strip()):
        found = _WINDOW.match(part)
        if not found:
            return None
        day, start, end = found.groups()
        out.append({"weekday": day.lower(), "start": start.zfill(5), "end": end.zfill(5)})
    return out


def _number(text: str, kind: type[int] | type[float]) -> Any:
    """The cell as a number, or as it is for the schema to refuse by name."""
    try:
        return kind(text)
    except ValueError:
        return text


def _yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    return True if value in _YES else False if value in _NO else None


def _need_payload(row: dict[str, str], group: Group) -> tuple[dict[str, Any], list[RowProblem]]:
    problems: list[tuple[str, str]] = []
    payload: dict[str, Any] = {
        "group": group.slug,
        "title": row.get("title", ""),
        "category": row.get("category", ""),
        "description": row.get("description", ""),
        "skills": row.get("skills", "").replace(",", " ").split(),
        "postcode": row.get("postcode", ""),
        "address": row.get("address") or None,
        "urgency": row.get("urgency") or "normal",
    }
    if row.get("volunteers_needed"):
        payload["volunteers_needed"] = _number(row["volunteers_needed"], int)
    remote = _yes_no(row.get("remote_ok", ""))
    if remote is None:
        problems.append(("remote_ok", "Write yes or no."))
    else:
        payload["remote_ok"] = remote
    if row.get("date"):
        payload["when"] = {
            "date": row["date"],
            "start": row.get("start", ""),
            "end": row.get("end", ""),
        }
    elif row.get("weekly"):
        windows = _windows(row["weekly"])
        if windows is None:
            problems.append(("weekly", "Write the times like “Mon 09:00-11:00; Thu 14:00-15:30”."))
        else:
            payload["when"] = {"weekly": windows}
    else:
        problems.append(("date", "Give a date with start and end, or weekly times."))
    return payload, [RowProblem(0, c, m) for c, m in problems]


def _offer_payload(row: dict[str, str], group: Group) -> tuple[dict[str, Any], list[RowProblem]]:
    problems: list[tuple[str, str]] = []
    payload: dict[str, Any] = {
        "groups": [group.slug],
        "skills": row.get("skills", "").replace(",", " ").split(),
        "postcode": row.get("postcode", ""),
        "note": row.get("note") or None,
    }
    for name, kind in (("max_travel_km", float), ("capacity", int)):
        if row.get(name):
            payload[name] = _number(row[name], kind)
    active = _yes_no(row.get("active", "yes") or "yes")
    if active is None:
        problems.append(("active", "Write yes or no."))
    else:
        payload["active"] = active
    windows = _windows(row.get("availability", ""))
    if not windows:
        problems.append(
            ("availability", "Write the times like “Mon 09:00-11:00; Thu 14:00-15:30”.")
        )
    else:
        payload["availability"] = windows
    return payload, [RowProblem(0, c, m) for c, m in problems]


def _schema_column(path: str) -> str:
    """The CSV column a schema's field path comes from."""
    head, _, rest = path.partition(".")
    if head == "when":
        sub = rest.partition(".")[0]
        return sub if sub in ("date", "start", "end") else "weekly" if sub == "weekly" else "date"
    return {"groups": "group", "group": "group"}.get(head, head)


@dataclass
class _Checked:
    line: int
    person: dict[str, Any]
    data: dict[str, Any]


_KINDS: dict[str, tuple[type[Schema], Callable[..., Any], Callable[..., Any], Callable[..., Any]]]
_KINDS = {
    "needs": (
        NeedInSchema,
        _need_payload,
        need_service.reference_errors,
        need_service.post_need,
    ),
    "offers": (
        OfferInSchema,
        _offer_payload,
        offer_service.reference_errors,
        offer_service.post_offer,
    ),
}


def _check_rows(
    kind: str, group: Group, rows: list[tuple[int, dict[str, str]]], report: ImportReport
) -> list[_Checked]:
    schema_class, payload_of, references, _ = _KINDS[kind]
    schema = schema_class()
    checked: list[_Checked] = []
    seen_people: dict[str, str] = {}
    for line, row in rows:
        if "_extra" in row:
            report.problems.append(
                RowProblem(line, "_row", "This row has more cells than the header has columns.")
            )
            continue
        problems: list[RowProblem] = []
        person: dict[str, Any] = {"name": row.get("name", ""), "phone": row.get("phone") or None}
        if not person["name"]:
            problems.append(RowProblem(line, "name", "Give the person's name."))
        try:
            person["email"] = accounts.normalise_email(row.get("email", ""))
        except ValidationFailed as exc:
            problems.append(RowProblem(line, "email", exc.errors["email"][0]))
        payload, own = payload_of(row, group)
        problems.extend(RowProblem(line, p.column, p.message) for p in own)
        try:
            data = schema.load(payload)
        except ValidationError as exc:
            data = None
            for path, message in _flatten(exc.messages):
                problems.append(RowProblem(line, _schema_column(path), message))
            valid = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        else:
            valid = data
        for path, messages in references(valid).items():
            problems.extend(RowProblem(line, _schema_column(path), m) for m in messages)
        if "email" in person and seen_people.get(person["email"], person["name"]) != person["name"]:
            problems.append(
                RowProblem(line, "name", "Another row gives this email with a different name.")
            )
        if problems or data is None:
            report.problems.extend(problems)
            continue
        seen_people.setdefault(person["email"], person["name"])
        checked.append(_Checked(line, person, data))
    return checked


def file_headers(data: bytes) -> list[str]:
    """The column names in a file's first line, as written ([] if it cannot be read)."""
    try:
        text = data[:65536].decode("utf-8-sig", errors="ignore")
        header = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error:
        return []
    return [h.strip() for h in header or [] if h.strip()]


def guessed_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Each field's column among ``headers`` by its name ("" where none matches)."""
    out = dict.fromkeys(FIELDS[kind], "")
    for header in headers:
        name = _column(header)
        if name in out and not out[name]:
            out[name] = header
    return out


def needs_mapping(kind: str, headers: list[str]) -> bool:
    """Whether some of a file's columns match no field, or a required field has no column."""
    names = [_column(h) for h in headers]
    return any(n not in FIELDS[kind] for n in names) or any(r not in names for r in REQUIRED[kind])


def import_csv(
    kind: str,
    actor: Person,
    group: Group,
    data: bytes,
    *,
    dry_run: bool,
    mapping: dict[str, str] | None = None,
) -> ImportReport:
    """Check a CSV file of needs or offers for ``group`` and, unless ``dry_run``, import its
    valid rows (flushed, never committed here). The group's coordinators only.

    ``mapping`` names the file's column for each field (as written in its first line; ""
    for none); a field it leaves out takes the column named like it."""
    accounts.require_coordinator(actor, group)
    if kind not in _KINDS:
        raise ValueError(f"Unknown import {kind!r}.")
    report = ImportReport(kind=kind, dry_run=dry_run)
    report.headers = file_headers(data)
    try:
        columns, rows = read_rows(data, kind=kind, mapping=mapping)
    except _FileRefused as exc:
        report.file_problems.append(str(exc))
        report.mapping_refused = isinstance(exc, _MappingRefused)
        return report
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        report.file_problems.append(
            f"The file has no column for: {', '.join(missing)}. The first line should name the "
            f"columns, such as {', '.join(REQUIRED[kind])}, or choose which column holds each."
        )
        report.mapping_refused = bool(mapping)
        return report
    report.rows = len(rows)
    checked = _check_rows(kind, group, rows, report)
    report.valid = len(checked)
    if dry_run or not checked:
        return report
    people = _people_for(checked, report)
    post = _KINDS[kind][3]
    options = {"alert": False} if kind == "needs" else {}  # the importer knows what it imports
    for row in checked:
        post(people[row.person["email"]], row.data, **options)
        report.imported += 1
    return report


def _people_for(checked: list[_Checked], report: ImportReport) -> dict[str, Person]:
    """The person of each email: found, or made and invited."""
    emails = sorted({c.person["email"] for c in checked})
    found: dict[str, Person] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        found.update(
            (p.email, p)
            for p in db.session.scalars(sa.select(Person).where(Person.email.in_(chunk)))
        )
    made: list[Person] = []
    for row in checked:
        email = row.person["email"]
        if email in found:
            continue
        person = Person(
            email=email,
            name=row.person["name"],
            phone=row.person["phone"],
            password_hash="!imported:" + secrets.token_hex(16),  # matches no password
        )
        db.session.add(person)
        found[email] = person
        made.append(person)
    db.session.flush()
    for person in made:
        _invite(person)
    report.new_people = len(made)
    return found


def _invite(person: Person) -> None:
    hours = int(current_app.config["VERIFY_EMAIL_HOURS"])
    mail.queue_mail(
        person.email,
        "You have been added to mutualaid",
        f"Hello {person.name},\n\nA coordinator of your local mutual aid group added you to "
        "mutualaid, where residents ask for help and volunteers offer it.\n\n"
        f"Please confirm this email address within {hours} hours:\n\n"
        f"{accounts.link('/verify-email/' + accounts.verification_token(person))}\n\n"
        f"Then choose a password here: {accounts.link('/password/forgot')}\n\n"
        "If you do not know why you were added, you need not do anything.\n",
    )

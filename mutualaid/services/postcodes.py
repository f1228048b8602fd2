"""Full unit postcodes: the import from Code-Point Open and the lookup used by geocoding.

The district and sector tables ship with the code (:mod:`mutualaid.geo`); the 1.7 million unit
postcodes are too big for that and are loaded into ``unit_postcodes`` by ``import-postcodes``.
Services pass :func:`unit_lookup` to :func:`mutualaid.geo.resolve`.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import ValidationFailed
from ..extensions import db
from ..models import UnitPostcode, table_of

#: Rows per INSERT batch: large enough to amortise round trips, small enough for memory.
BATCH_SIZE = 10_000
HEADER = ["postcode", "latitude", "longitude"]
_UNIT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


class PostcodeFileError(ValidationFailed):
    """The postcode file cannot be read or has a bad row."""

    def __init__(self, message: str):
        super().__init__(message, {"path": [message]})


@dataclass(frozen=True)
class ImportResult:
    rows: int  # rows read from the file
    total: int  # unit postcodes in the table afterwards
    seconds: float


def unit_lookup(compact: str) -> tuple[float, float] | None:
    """``(lat, lon)`` of a unit postcode such as ``"E81AA"`` (upper case, no spaces), if
    imported."""
    row = db.session.execute(
        sa.select(UnitPostcode.lat, UnitPostcode.lon).where(UnitPostcode.postcode == compact)
    ).first()
    return (row.lat, row.lon) if row is not None else None


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UnitPostcode)) or 0


def import_postcodes(path: str | Path, batch_size: int = BATCH_SIZE) -> ImportResult:
    """Upsert every row of a ``postcode,latitude,longitude`` CSV (gzipped or plain).

    Rerunning with the same or a newer file is safe: existing postcodes get the new coordinates.
    Runs in the caller's transaction (flushes only); a bad row raises before anything is committed.
    """
    started = time.perf_counter()
    statement = _upsert_statement()
    rows = 0
    for batch in _batches(_read(Path(path)), batch_size):
        db.session.execute(statement, batch)
        rows += len(batch)
    db.session.flush()
    return ImportResult(rows=rows, total=count(), seconds=time.perf_counter() - started)


def _upsert_statement() -> sa.Insert:
    table = table_of(UnitPostcode)
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=[table.c.postcode], set_={"lat": pg.excluded.lat, "lon": pg.excluded.lon}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=[table.c.postcode],
            set_={"lat": lite.excluded.lat, "lon": lite.excluded.lon},
        )
    raise RuntimeError(f"Unsupported database {dialect!r}.")  # pragma: no cover


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Chunks of at most ``size`` rows; a postcode repeated within a chunk keeps its last row
    (one multi-row upsert may not touch a key twice; across chunks the later upsert wins anyway)."""
    batch: dict[str, dict] = {}
    for item in items:
        batch[item["postcode"]] = item
        if len(batch) >= size:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def _open_text(path: Path) -> io.TextIOBase:
    if not path.is_file():
        raise PostcodeFileError(f"No such file: {path}")
    with path.open("rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open("r", encoding="utf-8", newline="")


def _read(path: Path) -> Iterator[dict]:
    """Validated rows ``{"postcode": "E81AA", "lat": .., "lon": ..}``."""
    try:
        with _open_text(path) as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip().lower() for h in header[:3]] != HEADER:
                raise PostcodeFileError(
                    f"{path.name}: expected a header 'postcode,latitude,longitude', got {header!r}."
                )
            for line_no, record in enumerate(reader, start=2):
                if record:
                    yield _parse(record, line_no, path.name)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise PostcodeFileError(f"{path.name}: cannot read the file ({exc}).") from None


def _parse(record: list[str], line_no: int, name: str) -> dict:
    if len(record) < 3:
        raise PostcodeFileError(f"{name} line {line_no}: expected 3 columns, got {len(record)}.")
    postcode = re.sub(r"\s+", "", record[0]).upper()
    if not _UNIT_RE.match(postcode):
        raise PostcodeFileError(f"{name} line {line_no}: '{record[0]}' is not a unit postcode.")
    try:
        lat, lon = float(record[1]), float(record[2])
    except ValueError:
        raise PostcodeFileError(
            f"{name} line {line_no}: latitude and longitude must be numbers."
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise PostcodeFileError(f"{name} line {line_no}: coordinates out of range ({lat}, {lon}).")
    return {"postcode": postcode, "lat": lat, "lon": lon}

"""Offline geocoding of UK postcodes from bundled open data.

A full unit postcode is looked up in the ``unit_postcodes`` table (loaded by the
``import-postcodes`` command); failing that, its sector, then its district, from the CSV
files shipped in ``geo/data`` (Ordnance Survey Code-Point Open, OGL v3; see LICENSE-DATA.md).
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

ATTRIBUTION = (
    "Contains Ordnance Survey data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025. "
    "Contains National Statistics data © Crown copyright and database right 2025. "
    "Contains public sector information licensed under the Open Government Licence v3.0, "
    "including Food Standards Agency Food Hygiene Rating Scheme data (Northern Ireland postcodes, "
    "via osm-uk/NI-Postcodes). Northern Ireland, Channel Islands and Isle of Man place data © "
    "GeoNames (www.geonames.org), CC BY 4.0; modified (averaged and relabelled)."
)

_OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
_UNIT_RE = re.compile(rf"^({_OUTWARD})([0-9][A-Z]{{2}})$")
_SECTOR_RE = re.compile(rf"^({_OUTWARD}) ?([0-9])$")
_DISTRICT_RE = re.compile(rf"^({_OUTWARD})$")


class PostcodeError(ValueError):
    """The text is not a postcode we can place."""


@dataclass(frozen=True)
class Place:
    postcode: str  # normalised: "E8 1AA", "E8 1" or "E8"
    district: str
    sector: str | None
    lat: float
    lon: float
    precision: str  # "unit", "sector" or "district"
    town: str | None = None


@lru_cache(maxsize=1)
def _districts() -> dict[str, tuple[float, float, str]]:
    with resources.files(__package__).joinpath("data/uk_outcodes.csv").open(encoding="utf-8") as f:
        return {
            r["outcode"]: (float(r["latitude"]), float(r["longitude"]), r["town"])
            for r in csv.DictReader(f)
        }


@lru_cache(maxsize=1)
def _sectors() -> dict[str, tuple[float, float]]:
    path = resources.files(__package__).joinpath("data/uk_postcode_sectors.csv")
    with path.open(encoding="utf-8") as f:
        return {
            r["sector"]: (float(r["latitude"]), float(r["longitude"])) for r in csv.DictReader(f)
        }


def district_centre(district: str) -> tuple[float, float] | None:
    row = _districts().get(district.upper())
    return (row[0], row[1]) if row else None


def sectors_near(lat: float, lon: float, radius_km: float) -> list[str]:
    """Postcode sectors (``"E8 1"``) whose centres lie within ``radius_km``, nearest first."""
    found = [
        (haversine_km(lat, lon, s_lat, s_lon), sector)
        for sector, (s_lat, s_lon) in _sectors().items()
    ]
    return [sector for km, sector in sorted(found) if km <= radius_km]


def known_district(district: str) -> bool:
    return district.strip().upper() in _districts()


def normalise(text: str) -> str:
    """``" e81aa "`` -> ``"E81AA"`` (upper case, no spaces); raises on an empty string."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise PostcodeError("Enter a postcode.")
    return compact


def resolve(text: str, unit_lookup=None) -> Place:
    """Place a postcode, sector or district.

    ``unit_lookup(compact) -> (lat, lon) | None`` looks up full unit postcodes (the database);
    without it, or when it does not know the unit, the sector and then the district are used.
    """
    compact = normalise(text)
    districts = _districts()
    m = _UNIT_RE.match(compact)
    if m:
        outward, inward = m.groups()
        if outward not in districts:
            raise PostcodeError(f"Unknown postcode district '{outward}'.")
        pretty = f"{outward} {inward}"
        sector = f"{outward} {inward[0]}"
        town = districts[outward][2]
        if unit_lookup is not None:
            hit = unit_lookup(compact)
            if hit is not None:
                return Place(pretty, outward, sector, hit[0], hit[1], "unit", town)
        sec = _sectors().get(sector)
        if sec is not None:
            return Place(pretty, outward, sector, sec[0], sec[1], "sector", town)
        lat, lon, _ = districts[outward]
        return Place(pretty, outward, sector, lat, lon, "district", town)
    spaced = re.sub(r"\s+", " ", (text or "").strip().upper())
    m = _SECTOR_RE.match(spaced) if " " in spaced else None
    if m:
        outward, digit = m.groups()
        sector = f"{outward} {digit}"
        if outward not in districts:
            raise PostcodeError(f"Unknown postcode district '{outward}'.")
        sec = _sectors().get(sector)
        if sec is not None:
            return Place(sector, outward, sector, sec[0], sec[1], "sector", districts[outward][2])
        lat, lon, town = districts[outward]
        return Place(sector, outward, sector, lat, lon, "district", town)
    m = _DISTRICT_RE.match(compact)
    if m:
        if compact not in districts:
            raise PostcodeError(f"Unknown postcode district '{compact}'.")
        lat, lon, town = districts[compact]
        return Place(compact, compact, None, lat, lon, "district", town)
    raise PostcodeError(f"'{text.strip()}' is not a UK postcode.")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))

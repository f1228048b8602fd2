"""Offline geocoding: spellings, precision, errors, and unit postcodes once imported."""

from __future__ import annotations

import gzip

import pytest

from mutualaid import geo
from mutualaid.extensions import db
from mutualaid.services import postcodes


@pytest.mark.parametrize("text", ["e81aa", "E8 1AA", " e8  1aa ", "E81AA"])
def test_unit_spellings_resolve_to_the_same_place(text):
    place = geo.resolve(text)
    assert (place.postcode, place.district, place.sector) == ("E8 1AA", "E8", "E8 1")
    assert place.precision == "sector"  # no unit table given: the sector's centre
    assert place.town == "London"


def test_district_and_sector():
    district = geo.resolve("e8")
    assert (district.postcode, district.precision, district.sector) == ("E8", "district", None)
    sector = geo.resolve("E8 1")
    assert (sector.postcode, sector.precision, sector.sector) == ("E8 1", "sector", "E8 1")
    assert (sector.lat, sector.lon) != (district.lat, district.lon)
    assert geo.haversine_km(sector.lat, sector.lon, district.lat, district.lon) < 3


def test_unit_in_an_unknown_sector_falls_back_to_its_district():
    place = geo.resolve("E8 7ZZ")  # E8 has no sector 7
    assert place.precision == "district"
    assert (place.lat, place.lon) == (geo.resolve("E8").lat, geo.resolve("E8").lon)


@pytest.mark.parametrize("text", ["ZZ9 9ZZ", "zz99zz", "QQ1", "XX1 2"])
def test_unknown_district_is_an_error(text):
    with pytest.raises(geo.PostcodeError, match="Unknown postcode district"):
        geo.resolve(text)


@pytest.mark.parametrize("text", ["hello", "12345", "E8 1AAA", "E8-1AA!", "SW1A 1AA 1"])
def test_junk_is_an_error(text):
    with pytest.raises(geo.PostcodeError, match="not a UK postcode"):
        geo.resolve(text)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_is_an_error(text):
    with pytest.raises(geo.PostcodeError, match="Enter a postcode"):
        geo.resolve(text)


def test_postcode_error_is_a_value_error():
    assert issubclass(geo.PostcodeError, ValueError)


def test_sectors_near_are_nearest_first_and_within_the_radius():
    centre = geo.resolve("E8 1")
    sectors = geo.sectors_near(centre.lat, centre.lon, 2.0)
    assert sectors[0] == "E8 1"
    assert "E8 2" in sectors
    assert all(s.split()[0] != "M14" for s in sectors)


def _write_units(path, rows):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("postcode,latitude,longitude\n")
        f.writelines(f"{p},{lat},{lon}\n" for p, lat, lon in rows)
    return path


def test_unit_lookup_takes_precedence_after_import(ctx, tmp_path):
    path = _write_units(tmp_path / "units.csv.gz", [("E8 1AA", 51.54321, -0.05678)])
    assert postcodes.unit_lookup("E81AA") is None
    postcodes.import_postcodes(path)
    db.session.commit()

    assert postcodes.unit_lookup("E81AA") == (51.54321, -0.05678)
    place = geo.resolve("e8 1aa", unit_lookup=postcodes.unit_lookup)
    assert (place.precision, place.lat, place.lon, place.postcode) == (
        "unit",
        51.54321,
        -0.05678,
        "E8 1AA",
    )
    # Not imported: the sector, as before; and without the lookup the table is not consulted.
    assert geo.resolve("E8 1AB", unit_lookup=postcodes.unit_lookup).precision == "sector"
    assert geo.resolve("E8 1AA").precision == "sector"

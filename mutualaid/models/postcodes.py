from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import Model


class UnitPostcode(Model):
    """Full unit postcodes, loaded by ``mutualaid import-postcodes``; districts and sectors ship
    with the code."""

    __tablename__ = "unit_postcodes"

    #: Upper case without spaces, e.g. ``E81AA``.
    postcode: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    lat: Mapped[float]
    lon: Mapped[float]

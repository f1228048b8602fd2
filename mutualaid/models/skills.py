from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ._base import Model


class Skill(Model):
    """A skill or a check. A credential (``is_credential``) counts once a coordinator verifies
    it."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_credential: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Skill {self.slug}>"

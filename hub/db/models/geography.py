"""Administrative divisions: region > city > county > township > village, by 12-digit code."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base


class Division(Base):
    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Names from the region down to this division, concatenated (the address mask keeps it).
    full_name: Mapped[str] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("divisions.code"), index=True
    )
    population: Mapped[int | None] = mapped_column(Integer)

"""Assistance standards (救助标准) set after release: per item, component, division and date.

The packaged hub/domain/data/standards.yaml is the baseline; rows here are read together with it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class AssistanceStandard(Base):
    __tablename__ = "assistance_standards"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("service_items.code"))
    component: Mapped[str] = mapped_column(String(16))
    division_code: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    note: Mapped[str | None] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("item_code", "component", "division_code", "effective_from"),
    )

"""Entitlements created by certified money items, and the monthly payments (社会化发放)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class Entitlement(Base):
    __tablename__ = "entitlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), unique=True)
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("households.id"))
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("service_items.code"))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    monthly_amount: Mapped[Decimal]
    start_period: Mapped[str] = mapped_column(String(7))
    end_period: Mapped[str | None] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(12))  # ACTIVE / SUSPENDED / TERMINATED
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_entitlements_division_code_id", "division_code", "id"),)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entitlement_id: Mapped[int] = mapped_column(BigId, ForeignKey("entitlements.id"))
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    period: Mapped[str] = mapped_column(String(7))
    # 1 for the cycle's payment; a re-issue after a failure is the next attempt.
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    amount: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(10))  # SCHEDULED / PAID / FAILED / RETURNED
    bank_account: Mapped[str | None] = mapped_column(String(32))
    batch: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("entitlement_id", "period", "attempt"),
        Index("ix_payments_division_code_period_id", "division_code", "period", "id"),
        Index("ix_payments_entitlement_id_period", "entitlement_id", "period"),
    )

"""Residents and households (户籍): the personal records the field policy guards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    # The village or community of household registration.
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    household_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("households.id"), index=True)
    disability_level: Mapped[int | None] = mapped_column(SmallInteger)
    health_condition: Mapped[str | None] = mapped_column(String(64))
    bank_account: Mapped[str | None] = mapped_column(String(32))
    monthly_income: Mapped[Decimal | None]
    # 生活自理能力: FULL / PARTIAL / NONE, used by the special-hardship care allowance.
    self_care_level: Mapped[str | None] = mapped_column(String(16))
    special_hardship: Mapped[bool] = mapped_column(Boolean, default=False)
    key_special_care: Mapped[bool] = mapped_column(Boolean, default=False)
    left_behind_child: Mapped[bool] = mapped_column(Boolean, default=False)
    left_behind_woman: Mapped[bool] = mapped_column(Boolean, default=False)
    left_behind_elder: Mapped[bool] = mapped_column(Boolean, default=False)
    deceased_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        # Serves the jurisdiction prefix range and keyset pagination in one index scan.
        Index("ix_residents_division_code_id", "division_code", "id"),
        # A township's residents in id order: its first page reads only that page's entries
        # (decision 0063). For the compiled read path, so on PostgreSQL only.
        Index("ix_residents_township_id", func.substr(division_code, 1, 9), "id").ddl_if(
            dialect="postgresql"
        ),
    )


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    # No foreign key: households and residents reference each other; members are authoritative.
    head_id: Mapped[int | None] = mapped_column(BigId)
    registration_type: Mapped[str] = mapped_column(String(8))  # URBAN / RURAL
    declared_monthly_income: Mapped[Decimal | None]
    verified_monthly_income: Mapped[Decimal | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (Index("ix_households_division_code_id", "division_code", "id"),)


class HouseholdMember(Base):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(BigId, ForeignKey("households.id"), index=True)
    resident_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), unique=True)
    # SELF, SPOUSE, CHILD, PARENT, GRANDCHILD, GRANDPARENT, SIBLING, OTHER
    relation: Mapped[str] = mapped_column(String(16))

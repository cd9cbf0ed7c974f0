"""What the plan's supervision targets are measured on: proxy points, staff, training, funding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class ProxyPoint(Base):
    """A village or community's 为民办事全程代办点."""

    __tablename__ = "proxy_points"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    agent_name: Mapped[str] = mapped_column(String(64))
    active_from: Mapped[date] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)


class CivilAffairsAssistant(Base):
    """A village civil-affairs assistant (民政协理员)."""

    __tablename__ = "civil_affairs_assistants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    village_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    appointed_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class StaffPost(Base):
    """A township civil-affairs post (一人一岗), filled or vacant."""

    __tablename__ = "staff_posts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    title: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # ESTABLISHED / PUBLIC_WELFARE


class TrainingRecord(Base):
    """One person's attendance at one training session."""

    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    person_kind: Mapped[str] = mapped_column(String(10))  # STAFF / ASSISTANT
    person_name: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))  # ONBOARDING / ROTATION / MEETING / VISIT

    __table_args__ = (
        Index("ix_training_records_division_code_held_on", "division_code", "held_on"),
    )


class FundingAllocation(Base):
    """A township's civil-affairs working funds for one year (乡镇民政工作经费)."""

    __tablename__ = "funding_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    township_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    year: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal]
    source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("township_code", "year", "source"),)

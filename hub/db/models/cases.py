"""Service items, applications (申请件), their history and the linked-approval tasks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class ServiceItem(Base):
    """The 11 items of the catalogue; the packaged catalogue is the source of their details."""

    __tablename__ = "service_items"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    item_code: Mapped[str] = mapped_column(String(32), ForeignKey("service_items.code"))
    applicant_id: Mapped[int] = mapped_column(BigId, ForeignKey("residents.id"), index=True)
    # Indexed for need to know, which looks up open tasks on a household's cases.
    household_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("households.id"), index=True
    )
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    channel: Mapped[str] = mapped_column(String(8))  # WINDOW / ONLINE / PROXY
    proxy_agent: Mapped[str | None] = mapped_column(String(128))
    submitted_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), index=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    declared_monthly_income: Mapped[Decimal | None]
    submitted_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None]
    notice_ends_at: Mapped[datetime | None]
    in_person_visit_required: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_cases_division_code_id", "division_code", "id"),
        Index("ix_cases_item_code_status", "item_code", "status"),
    )


class CaseEvent(Base):
    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    at: Mapped[datetime]
    actor_subject: Mapped[str] = mapped_column(String(128))
    actor_department: Mapped[str] = mapped_column(String(32))
    actor_division: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    opinion: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (Index("ix_case_events_case_id_id", "case_id", "id"),)


class ApprovalTask(Base):
    """One department's step of a case (联动审批): VERIFY, REVIEW or CERTIFY."""

    __tablename__ = "approval_tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), index=True)
    department: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(10))  # PENDING/APPROVED/REJECTED/RETURNED/CANCELLED
    # Each acceptance (and re-acceptance after 补正) opens a new round; only the latest counts.
    round: Mapped[int] = mapped_column(Integer, default=1)
    # The case's division: the jurisdiction filter applies to it as to the case.
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"))
    # The division whose office decides this step (e.g. the county for CERTIFY).
    assignee_division_code: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    opinion: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_approval_tasks_department_status", "department", "status"),
        Index("ix_approval_tasks_division_code_id", "division_code", "id"),
    )


class IdempotencyRecord(Base):
    """The first result of a mutation sent with an idempotency key, replayed on retries."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(128))
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (UniqueConstraint("subject", "operation", "key"),)

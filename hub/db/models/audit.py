"""The append-only audit log (hash chain) and its signed checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, JSONDocument


class AuditEvent(Base):
    __tablename__ = "audit_events"

    # Assigned by the single chain writer: gap-free, never by a sequence.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_subject: Mapped[str | None] = mapped_column(String(128))
    actor_client_id: Mapped[str | None] = mapped_column(String(64))
    actor_department: Mapped[str | None] = mapped_column(String(32))
    actor_division: Mapped[str | None] = mapped_column(String(12))
    actor_roles: Mapped[str | None] = mapped_column(String(255))
    operation_kind: Mapped[str] = mapped_column(String(24))
    operation_name: Mapped[str | None] = mapped_column(String(200))
    document_hash: Mapped[str | None] = mapped_column(String(64))
    variables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    purpose: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(8))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    resources: Mapped[list[Any]] = mapped_column(JSONDocument)
    # Divisions of the residents/cases touched, so auditors below region see their own.
    resource_divisions: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_actor_division_seq", "actor_division", "seq"),
        Index("ix_audit_events_at", "at"),
    )


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    jws: Mapped[str] = mapped_column(Text)

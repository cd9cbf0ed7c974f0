"""Trusted documents: the operations a client registered and may run (trusted-documents mode)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId


class TrustedDocument(Base):
    __tablename__ = "trusted_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # The OAuth client id, or "*" for a document every caller may run (public portal pages).
    client_id: Mapped[str] = mapped_column(String(64))
    # Hex SHA-256 of the exact UTF-8 text a client sends.
    sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    # Where it came from (file name) and the operations it holds, for `documents list`.
    source: Mapped[str | None] = mapped_column(String(255))
    operations: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("client_id", "sha256"),
        Index("ix_trusted_documents_sha256", "sha256"),
    )

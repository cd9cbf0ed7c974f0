"""OAuth clients of partner departments and revoked access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(12))
    roles: Mapped[str] = mapped_column(String(255))  # space-separated
    scopes: Mapped[str] = mapped_column(String(512))  # space-separated
    # Only a slow hash (argon2id) of the secret is ever stored.
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime]

"""Token revocation without Redis: "not revoked" is remembered briefly, a revocation through this
process takes effect at once, one through another process within the remembered window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.auth import revocations as module
from hub.auth.revocations import DbRevocations
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models.auth import RevokedToken

LATER = datetime.now(UTC) + timedelta(hours=1)


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(Settings(database_url=db_url))
    yield session_factory(engine)
    await engine.dispose()


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_revoked_here_is_refused_at_once(sessions) -> None:
    revocations = DbRevocations(sessions)
    assert await revocations.is_revoked("jti-1") is False  # remembered as not revoked
    await revocations.revoke("jti-1", LATER, "client")
    assert await revocations.is_revoked("jti-1") is True


async def test_revoked_elsewhere_is_refused_once_the_window_passes(sessions, monkeypatch) -> None:
    clock = Monotonic()
    monkeypatch.setattr(module.time, "monotonic", clock)
    here = DbRevocations(sessions, ok_seconds=5)
    assert await here.is_revoked("jti-2") is False
    async with sessions() as session:  # another process revokes it in the shared database
        session.add(
            RevokedToken(jti="jti-2", client_id="c", expires_at=LATER, revoked_at=datetime.now(UTC))
        )
        await session.commit()
    clock.now += 4
    assert await here.is_revoked("jti-2") is False  # still inside the 5 s window
    clock.now += 2
    assert await here.is_revoked("jti-2") is True
    clock.now += 60
    assert await here.is_revoked("jti-2") is True  # revocation is final

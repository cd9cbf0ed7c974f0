"""Token revocation without Redis: "not revoked" is remembered briefly, a revocation through this
process takes effect at once, one through another process within the remembered window."""

from __future__ import annotations

import asyncio
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


class CountingSessions:
    """The session factory, counting the sessions opened."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.opened = 0

    def __call__(self) -> AsyncSession:
        self.opened += 1
        return self.sessions()


async def test_a_crowd_of_requests_shares_one_lookup_when_the_window_lapses(
    sessions, monkeypatch
) -> None:
    clock = Monotonic()
    monkeypatch.setattr(module.time, "monotonic", clock)
    counting = CountingSessions(sessions)
    here = DbRevocations(counting, ok_seconds=5)  # type: ignore[arg-type]
    first = await asyncio.gather(*(here.is_revoked("jti-3") for _ in range(20)))
    assert first == [False] * 20 and counting.opened == 1
    clock.now += 6  # the remembered answer lapses: the next crowd looks up once more
    again = await asyncio.gather(*(here.is_revoked("jti-3") for _ in range(20)))
    assert again == [False] * 20 and counting.opened == 2
    assert await here.is_client_revoked("no-such-client") is True
    crowd = await asyncio.gather(*(here.is_client_revoked("mzc_other") for _ in range(20)))
    assert crowd == [True] * 20 and counting.opened == 4


async def test_a_failed_shared_lookup_fails_every_waiter_and_the_next_one_retries(
    sessions,
) -> None:
    calls = 0

    class Failing:
        def __call__(self) -> AsyncSession:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise ConnectionError("database down")
            return sessions()

    here = DbRevocations(Failing())  # type: ignore[arg-type]
    results = await asyncio.gather(
        *(here.is_revoked("jti-4") for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)  # fail closed, all of them
    assert await here.is_revoked("jti-4") is False  # a new lookup, not the failed one
    assert calls == 2


async def test_a_cancelled_waiter_leaves_the_lookup_to_the_others(sessions) -> None:
    here = DbRevocations(sessions)
    waiters = [asyncio.ensure_future(here.is_revoked("jti-5")) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert results[1:] == [False, False]

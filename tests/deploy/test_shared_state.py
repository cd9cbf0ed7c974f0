"""Redis-backed limits and revocations (shared, degrading to per-replica limits) and the
LISTEN/NOTIFY broker between two brokers standing in for two replicas."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from hub.auth.redis_backends import RedisCostLimiter, RedisRevocations, redis_client
from hub.config import Settings
from hub.db.engine import create_engine
from hub.events.broker import InProcessBroker
from hub.events.postgres import PostgresBroker, asyncpg_dsn, broker_for

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS = "redis://127.0.0.1:1/0"


async def _redis_up() -> bool:
    client = redis_client(REDIS_URL)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def redis() -> Redis:
    if not await _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return redis_client(REDIS_URL)


async def test_two_replicas_share_one_bucket_in_redis(redis: Redis) -> None:
    key = f"client-{uuid.uuid4().hex}"
    a, b = RedisCostLimiter(redis), RedisCostLimiter(redis)
    assert await a.spend(key, 40, 60) is None
    assert await b.spend(key, 15, 60) is None
    wait = await a.spend(key, 10, 60)  # 5 left of the shared minute: refused on either replica
    assert wait is not None and wait >= 1
    await redis.aclose()


async def test_redis_down_degrades_to_per_replica_limits_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisCostLimiter(redis_client(DEAD_REDIS))
    with caplog.at_level(logging.WARNING, logger="hub.redis"):
        assert await limiter.spend("c", 50, 60) is None
        assert await limiter.spend("c", 50, 60) is not None  # still limited, in memory
    assert any("Redis unavailable" in r.message for r in caplog.records)
    assert sum("Redis unavailable" in r.message for r in caplog.records) == 1  # once per outage


class _Db:
    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.asked = 0

    async def is_revoked(self, jti: str) -> bool:
        self.asked += 1
        return jti in self.revoked

    async def revoke(self, jti: str, exp: int | datetime, client_id: str | None) -> None:
        self.revoked.add(jti)

    async def is_client_revoked(self, client_id: str) -> bool:
        return False


async def test_a_token_revoked_on_one_replica_is_refused_on_the_other_at_once(
    redis: Redis,
) -> None:
    db = _Db()
    a, b = RedisRevocations(db, redis), RedisRevocations(db, redis)  # type: ignore[arg-type]
    jti = uuid.uuid4().hex
    assert await b.is_revoked(jti) is False  # caches "ok" for a few seconds
    assert await b.is_revoked(jti) is False and db.asked == 1
    await a.revoke(jti, datetime.now(UTC) + timedelta(minutes=10), "c")
    assert await b.is_revoked(jti) is True
    await redis.aclose()


async def test_revocations_fall_back_to_the_database_when_redis_is_down() -> None:
    db = _Db()
    db.revoked.add("gone")
    revocations = RedisRevocations(db, redis_client(DEAD_REDIS))  # type: ignore[arg-type]
    assert await revocations.is_revoked("gone") is True
    assert await revocations.is_revoked("fine") is False


def test_sqlite_keeps_the_in_process_broker(tmp_path: object) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    broker = broker_for(settings, create_engine(settings))
    assert type(broker) is InProcessBroker


@pytest.mark.postgres
async def test_an_event_published_by_one_broker_reaches_the_others_subscribers(
    pg_url: str,
) -> None:
    settings = Settings(database_url=pg_url)
    engine_a, engine_b = create_engine(settings), create_engine(settings)
    a = broker_for(settings, engine_a)
    b = broker_for(settings, engine_b)
    assert isinstance(a, PostgresBroker) and isinstance(b, PostgresBroker)
    mine, theirs = a.subscribe("case:7"), b.subscribe("case:7")
    try:
        assert await b.wait_listening(5) and await a.wait_listening(5)
        await a.publish("case:7", {"case_id": 7, "event_ids": [1]})
        got_b = await asyncio.wait_for(theirs.__anext__(), 5)
        got_a = await asyncio.wait_for(mine.__anext__(), 5)
        assert got_a == got_b == {"case_id": 7, "event_ids": [1]}
        await asyncio.sleep(0.3)  # A ignores its own notification: no second delivery
        assert mine.queue.empty()
    finally:
        mine.close()
        theirs.close()
        await a.aclose()
        await b.aclose()
        await engine_a.dispose()
        await engine_b.dispose()


def test_the_listen_dsn_is_plain_postgresql() -> None:
    dsn = asyncpg_dsn("postgresql+asyncpg://u:p%40ss@db:5432/hub")
    assert dsn == "postgresql://u:p%40ss@db:5432/hub"

"""Shared state for several replicas when HUB_REDIS_URL is set: rate-limit buckets and a
revocation cache in Redis. Redis down degrades to per-replica limits, never to no limits."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hub.auth.revocations import DbRevocations
from hub.hardening.ratelimit import CostLimiter, MemoryCostLimiter

log = logging.getLogger("hub.redis")

# services.extras keys: the GraphQL cost limiter (read by hub/hardening) and the token endpoint's.
COST_LIMITER_KEY = "hardening.limiter"
SHARED_LIMITER_KEY = "shared.limiter"
RETRY_REDIS_AFTER = 5.0  # seconds on local buckets before Redis is tried again

# The same arithmetic as MemoryCostLimiter, atomically in Redis, on Redis's own clock.
_SPEND = """
local per_minute = tonumber(ARGV[2])
local needed = math.min(tonumber(ARGV[1]), per_minute)
local rate = per_minute / 60.0
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'u', 't')
local units = tonumber(b[1]) or per_minute
local updated = tonumber(b[2]) or now
units = math.min(per_minute, units + math.max(0, now - updated) * rate)
local wait = 0
if needed <= units then units = units - needed else wait = math.ceil((needed - units) / rate) end
redis.call('HSET', KEYS[1], 'u', tostring(units), 't', tostring(now))
redis.call('EXPIRE', KEYS[1], 61)
return wait
"""


class _Degraded:
    """Remembers that Redis failed, warns once per outage, and says when to try again."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def trip(self, exc: Exception) -> None:
        if self.until == 0.0 or not self.active():
            log.warning("Redis unavailable (%s): %s falls back to this replica", exc, self.what)
        self.until = time.monotonic() + RETRY_REDIS_AFTER

    def recover(self) -> None:
        if self.until:
            log.warning("Redis reachable again: %s shared across replicas", self.what)
        self.until = 0.0


class RedisCostLimiter:
    """`CostLimiter` over Redis: one bucket per key shared by every replica."""

    def __init__(self, redis: Redis, *, prefix: str = "mzhub:rl:") -> None:
        self.redis = redis
        self.prefix = prefix
        self.fallback = MemoryCostLimiter()
        self.degraded = _Degraded("rate limiting")
        self._script = redis.register_script(_SPEND)

    async def spend(self, key: str, units: int, per_minute: int) -> float | None:
        if per_minute <= 0:
            return None
        if self.degraded.active():
            return await self.fallback.spend(key, units, per_minute)
        try:
            wait = await self._script(keys=[self.prefix + key], args=[units, per_minute])
        except (RedisError, OSError) as exc:
            self.degraded.trip(exc)
            return await self.fallback.spend(key, units, per_minute)
        self.degraded.recover()
        return float(wait) if int(wait) > 0 else None


class RedisRevocations:
    """The database stays the record; Redis tells every replica at once about a token revoked
    on any of them, and caches "not revoked" briefly so a request costs no database query."""

    def __init__(
        self, db: DbRevocations, redis: Redis, *, ok_seconds: int = 5, prefix: str = "mzhub:rv:"
    ) -> None:
        self.db = db
        self.redis = redis
        self.ok_seconds = ok_seconds
        self.prefix = prefix
        self.degraded = _Degraded("revocation checks (database only)")

    async def is_revoked(self, jti: str) -> bool:
        key = f"{self.prefix}jti:{jti}"
        cached = await self._get(key)
        if cached is not None:
            return cached == b"revoked"
        revoked = await self.db.is_revoked(jti)
        await self._set(key, b"revoked" if revoked else b"ok", None if revoked else self.ok_seconds)
        return revoked

    async def revoke(self, jti: str, exp: int | datetime, client_id: str | None) -> None:
        await self.db.revoke(jti, exp, client_id)
        expires = exp if isinstance(exp, datetime) else datetime.fromtimestamp(int(exp), UTC)
        ttl = max(1, int((expires - datetime.now(UTC)).total_seconds()) + 60)
        await self._set(f"{self.prefix}jti:{jti}", b"revoked", ttl)

    async def is_client_revoked(self, client_id: str) -> bool:
        key = f"{self.prefix}client:{client_id}"
        cached = await self._get(key)
        if cached is not None:
            return cached == b"revoked"
        revoked = await self.db.is_client_revoked(client_id)
        await self._set(key, b"revoked" if revoked else b"ok", self.ok_seconds)
        return revoked

    async def _get(self, key: str) -> bytes | None:
        if self.degraded.active():
            return None
        try:
            found: Any = await self.redis.get(key)
        except (RedisError, OSError) as exc:
            self.degraded.trip(exc)
            return None
        self.degraded.recover()
        return bytes(found) if found is not None else None

    async def _set(self, key: str, value: bytes, ttl: int | None) -> None:
        if self.degraded.active():
            return
        try:
            await self.redis.set(key, value, ex=ttl)
        except (RedisError, OSError) as exc:
            self.degraded.trip(exc)


def redis_client(url: str) -> Redis:
    """Short timeouts: a slow Redis must cost a request milliseconds, not seconds."""
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def install_redis_backends(
    extras: dict[str, Any], db: DbRevocations, redis_url: str | None
) -> DbRevocations | RedisRevocations:
    """With a Redis URL: shared limiters in `extras` and the Redis-backed revocations; without
    one, the in-memory limiters (installed lazily) and the database revocations as they are."""
    if not redis_url:
        return db
    redis = redis_client(redis_url)
    limiter: CostLimiter = RedisCostLimiter(redis)
    extras[COST_LIMITER_KEY] = limiter
    extras[SHARED_LIMITER_KEY] = limiter
    extras["redis"] = redis
    return RedisRevocations(db, redis)

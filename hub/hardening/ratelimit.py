"""Per-client rate limit in cost units per minute: a token bucket per client, in memory.

`CostLimiter` is the interface; several replicas need a shared store: with HUB_REDIS_URL,
`hub.auth.redis_backends` installs a Redis-backed limiter (the same arithmetic in one Lua
script) under `services.extras[LIMITER_KEY]`, which the GraphQL rules then use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hub.config import Hardening

LIMITER_KEY = "hardening.limiter"


class CostLimiter(Protocol):
    async def spend(self, key: str, units: int, per_minute: int) -> float | None:
        """Spend `units` of `key`'s `per_minute` allowance: None if allowed, else the seconds
        to wait before the same request would be."""
        ...


@dataclass
class _Bucket:
    units: float
    updated: float


class MemoryCostLimiter:
    """Buckets hold up to one minute's allowance and refill continuously; an operation that
    costs more than is left is refused whole (and spends nothing)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    async def spend(self, key: str, units: int, per_minute: int) -> float | None:
        if per_minute <= 0:
            return None  # rate limit switched off for this client
        now = self.clock()
        rate = per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now, rate, per_minute)
            bucket = self._buckets[key] = _Bucket(float(per_minute), now)
        else:
            bucket.units = min(per_minute, bucket.units + (now - bucket.updated) * rate)
            bucket.updated = now
        # An operation dearer than a whole minute's allowance runs on a full bucket and empties it.
        needed = min(units, per_minute)
        if needed <= bucket.units:
            bucket.units -= needed
            return None
        return float(max(1, math.ceil((needed - bucket.units) / rate)))

    def _prune(self, now: float, rate: float, per_minute: int) -> None:
        """Forget full buckets (they equal new ones); under attack drop the stalest half."""
        full = [
            k for k, b in self._buckets.items() if b.units + (now - b.updated) * rate >= per_minute
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            stale = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in stale[: len(stale) // 2]:
                del self._buckets[key]


def build_limiter(settings: Hardening) -> CostLimiter:
    """The in-process limiter, used when no shared one was installed: each replica then limits
    on its own, which multiplies a client's allowance by the number of replicas."""
    return MemoryCostLimiter()

"""A client that spends its cost units for the minute is refused with RATE_LIMITED, HTTP 429 and
`Retry-After`, while other clients go on; the allowance refills with time."""

from __future__ import annotations

from pathlib import Path

from hub.auth.tokens import issue_access_token
from hub.config import ClientLimits
from hub.hardening.ratelimit import MemoryCostLimiter
from tests.factories import Hub, World
from tests.security.hardening_support import app_with

# 1 + 10 (totalCount) + 100 × (node 1 + household 1 + 5 members × 1) = 711 units.
PAGE = "{ residents(first: 100) { totalCount edges { node { household { members { relation } } } } } }"


def token_for(hub: Hub, client_id: str) -> str:
    token, _ = issue_access_token(
        hub.services.keys, hub.settings, hub.services.clock, subject=client_id,
        client_id=client_id, department="civil_affairs", division="640104000000",
        roles=["clerk"], scopes=[],
    )
    return token


async def test_spent_allowance_is_429_with_retry_after(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    async with app_with(db_url, keys_dir, cost_per_minute=2000) as (other, client):
        greedy = {"Authorization": f"Bearer {token_for(other, 'greedy')}"}
        polite = {"Authorization": f"Bearer {token_for(other, 'polite')}"}
        for _ in range(2):
            ok = await client.post("/graphql", json={"query": PAGE}, headers=greedy)
            assert ok.status_code == 200 and "errors" not in ok.json()
        refused = await client.post("/graphql", json={"query": PAGE}, headers=greedy)
        assert refused.status_code == 429
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        retry = int(refused.headers["retry-after"])
        assert 1 <= retry <= 60 and error["extensions"]["retryAfter"] == retry
        assert refused.json()["data"] is None
        # Another client is not affected.
        other_client = await client.post("/graphql", json={"query": PAGE}, headers=polite)
        assert other_client.status_code == 200
        # After the wait, the greedy client may go on.
        limiter = other.services.extras["hardening.limiter"]
        assert isinstance(limiter, MemoryCostLimiter)
        for bucket in limiter._buckets.values():
            bucket.updated -= retry
        again = await client.post("/graphql", json={"query": PAGE}, headers=greedy)
        assert again.status_code == 200


async def test_per_client_rate_override_and_switch_off(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    clients = {"finance-batch": ClientLimits(cost_per_minute=0)}
    async with app_with(db_url, keys_dir, cost_per_minute=800, clients=clients) as (other, c):
        batch = {"Authorization": f"Bearer {token_for(other, 'finance-batch')}"}
        portal = {"Authorization": f"Bearer {token_for(other, 'portal')}"}
        for _ in range(5):
            assert (await c.post("/graphql", json={"query": PAGE}, headers=batch)).status_code == 200
        assert (await c.post("/graphql", json={"query": PAGE}, headers=portal)).status_code == 200
        assert (await c.post("/graphql", json={"query": PAGE}, headers=portal)).status_code == 429


async def test_memory_limiter_refills_continuously() -> None:
    now = [0.0]
    limiter = MemoryCostLimiter(clock=lambda: now[0])
    assert await limiter.spend("a", 600, 600) is None
    wait = await limiter.spend("a", 60, 600)
    assert wait == 6.0  # 600 a minute = 10 a second
    now[0] = 6.0
    assert await limiter.spend("a", 60, 600) is None
    # An operation dearer than the whole minute runs on a full bucket and empties it.
    now[0] = 100.0
    assert await limiter.spend("a", 5000, 600) is None
    assert await limiter.spend("a", 1, 600) == 1.0
    assert await limiter.spend("b", 10, 0) is None  # 0 = no limit

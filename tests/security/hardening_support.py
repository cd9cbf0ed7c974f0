"""Shared by the hardening attack tests: a second app on the same database with other settings
(production mode, tighter limits), and small HTTP helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from hub.config import Hardening
from tests.factories import Hub

COUNTY = "640104000000"  # 兴庆区
OTHER_COUNTY = "640105000000"  # 西夏区
VILLAGE = "640104001001"  # 新华社区


@asynccontextmanager
async def app_with(
    db_url: str, keys_dir: Path, *, env: str = "development", **limits: Any
) -> AsyncIterator[tuple[Hub, httpx.AsyncClient]]:
    """Another app on the test's database and keys (create the `hub` fixture first: production
    does not create signing keys), with `limits` overriding the hardening defaults."""
    hub = Hub(db_url, keys_dir, env=env, hardening=replace(Hardening(), **limits))
    transport = httpx.ASGITransport(app=hub.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            yield hub, client
    finally:
        await hub.services.engine.dispose()


def poster(client: httpx.AsyncClient) -> Callable[..., Any]:
    """`await post(query, token, **variables)` → the JSON body (any status)."""

    async def post(query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        return dict(response.json())

    return post


def clerk(hub: Hub, division: str = COUNTY, *scopes: str) -> str:
    return hub.token("civil_affairs", division, ("clerk", "reviewer"), tuple(scopes))


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def messages(result: dict[str, Any]) -> str:
    return " ".join(e["message"] for e in result.get("errors", []))


def nested(field: str, levels: int, leaf: str = "code") -> str:
    """`field { field { ... leaf } }`, `levels` fields deep (the leaf not counted)."""
    return "".join(f"{field} {{ " for _ in range(levels)) + leaf + " }" * levels

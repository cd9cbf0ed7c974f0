"""Revoked access tokens and revoked clients, as the verifier asks about them.

`Revocations` is the interface (a Redis-backed one can replace the database one for several
replicas); `DbRevocations` keeps them in the `revoked_tokens` and `oauth_clients` tables.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.db.models.auth import OAuthClient, RevokedToken
from hub.domain.clock import Clock, SystemClock

# Registered clients' ids start with this; other hub-signed client ids are development tokens.
CLIENT_ID_PREFIX = "mzc_"


@runtime_checkable
class Revocations(Protocol):
    async def is_revoked(self, jti: str) -> bool: ...

    async def revoke(self, jti: str, exp: int | datetime, client_id: str | None) -> None: ...

    async def is_client_revoked(self, client_id: str) -> bool:
        """True when the client is unknown or revoked: none of its tokens may be used."""
        ...


class DbRevocations:
    """Revocations in the database, with an in-process cache.

    Revoked jtis are cached until they expire (revocation is final); "not revoked" is cached
    for `ok_seconds`, as the Redis backend does, so a request costs no database query. A token
    revoked through this process is refused at once; one revoked through another process
    without Redis, within `ok_seconds`. A client's standing is cached for
    `client_cache_seconds` (by the hub clock); revoked clients stay cached for good.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
        *,
        client_cache_seconds: float = 5.0,
        ok_seconds: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.client_cache_seconds = client_cache_seconds
        self._revoked_jtis: dict[str, datetime] = {}  # jti -> expiry
        self._clients: dict[str, tuple[bool, datetime]] = {}
        self.ok_seconds = ok_seconds
        self._ok: dict[str, float] = {}  # jti -> monotonic time it was last found not revoked
        # Lookups in flight, by key: when a cached answer lapses, the requests that arrive
        # meanwhile wait for the one lookup instead of each opening a connection (under load,
        # a crowd of sessions at once pushed the pool into overflow connections).
        self._lookups: dict[tuple[str, str], asyncio.Future[bool]] = {}

    async def is_revoked(self, jti: str) -> bool:
        if jti in self._revoked_jtis:
            return True
        checked = self._ok.get(jti)
        if checked is not None and time.monotonic() - checked < self.ok_seconds:
            return False
        return await self._once(("jti", jti), lambda: self._look_up_jti(jti))

    async def _look_up_jti(self, jti: str) -> bool:
        async with self.sessions() as session:
            found = await session.get(RevokedToken, jti)
        if found is not None:
            self._remember(jti, found.expires_at)
            return True
        if len(self._ok) >= 10_000:
            self._ok.clear()
        self._ok[jti] = time.monotonic()
        return False

    async def revoke(self, jti: str, exp: int | datetime, client_id: str | None) -> None:
        now = self.clock.now()
        expires_at = exp if isinstance(exp, datetime) else datetime.fromtimestamp(int(exp), UTC)
        async with self.sessions() as session:
            # Rows of tokens that expired a day ago can go: expiry refuses them anyway.
            await session.execute(
                delete(RevokedToken).where(RevokedToken.expires_at < now - timedelta(days=1))
            )
            if await session.get(RevokedToken, jti) is None:
                session.add(
                    RevokedToken(
                        jti=jti, client_id=client_id, expires_at=expires_at, revoked_at=now
                    )
                )
            try:
                await session.commit()
            except IntegrityError:  # revoked concurrently by another request: same outcome
                await session.rollback()
        self._remember(jti, expires_at)
        self._ok.pop(jti, None)

    def _remember(self, jti: str, expires_at: datetime) -> None:
        if len(self._revoked_jtis) >= 10_000:  # expired tokens are refused anyway: forget them
            now = self.clock.now()
            self._revoked_jtis = {j: e for j, e in self._revoked_jtis.items() if e > now}
        self._revoked_jtis[jti] = expires_at

    async def is_client_revoked(self, client_id: str) -> bool:
        now = self.clock.now()
        cached = self._clients.get(client_id)
        if cached is not None:
            revoked, checked_at = cached
            if revoked or (now - checked_at).total_seconds() < self.client_cache_seconds:
                return revoked
        return await self._once(("client", client_id), lambda: self._look_up_client(client_id))

    async def _look_up_client(self, client_id: str) -> bool:
        now = self.clock.now()
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(OAuthClient.revoked_at).where(OAuthClient.client_id == client_id)
                )
            ).first()
        revoked = row is None or row.revoked_at is not None
        self._clients[client_id] = (revoked, now)
        return revoked

    async def _once(self, key: tuple[str, str], lookup: Callable[[], Awaitable[bool]]) -> bool:
        """The answer of the lookup in flight for `key`, or of a new one. A waiter that is
        cancelled leaves the lookup running for the others; its failure reaches them all."""
        pending = self._lookups.get(key)
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            started = pending = asyncio.ensure_future(lookup())
            self._lookups[key] = started
            started.add_done_callback(lambda done: self._forget_lookup(key, done))
        return await asyncio.shield(pending)

    def _forget_lookup(self, key: tuple[str, str], done: asyncio.Future[bool]) -> None:
        if self._lookups.get(key) is done:
            del self._lookups[key]

    def forget_client(self, client_id: str) -> None:
        """Drop a cached standing (after this process revoked or changed the client)."""
        self._clients.pop(client_id, None)

"""A broker across replicas: PostgreSQL LISTEN/NOTIFY on one channel, fanned out locally.

Each process keeps one dedicated asyncpg connection for LISTEN while it has subscribers, and
reconnects with backoff when the database restarts or kills it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config import Settings
from hub.events.broker import Broker, InProcessBroker, _Subscription

log = logging.getLogger("hub.events")

# One PostgreSQL channel for every hub channel: replicas filter locally, so LISTEN never changes.
PG_CHANNEL = "mzhub_events"
NOTIFY_LIMIT = 7900  # PostgreSQL refuses payloads of 8000 bytes or more


def asyncpg_dsn(database_url: str) -> str:
    """`postgresql+asyncpg://...` as the plain DSN asyncpg takes."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresBroker(InProcessBroker):
    """`publish` delivers to this process's subscribers at once and sends `pg_notify` right
    after the commit (as `run_command` publishes); notifications from other replicas are handed
    to local subscribers. A replica ignores its own notifications (tagged with its origin)."""

    def __init__(
        self,
        engine: AsyncEngine,
        dsn: str,
        *,
        backoff: tuple[float, float] = (0.2, 5.0),
        idle_seconds: float = 5.0,
        ping_seconds: float = 10.0,
    ) -> None:
        super().__init__()
        self.engine = engine
        self.dsn = dsn
        self.backoff = backoff
        self.idle_seconds = idle_seconds
        self.ping_seconds = ping_seconds
        self.origin = uuid.uuid4().hex
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def publish(self, channel: str, payload: Mapping[str, Any]) -> None:
        await super().publish(channel, payload)
        message = json.dumps({"o": self.origin, "c": channel, "p": dict(payload)})
        if len(message.encode()) > NOTIFY_LIMIT:
            raise ValueError(f"event for {channel} is too large for NOTIFY ({len(message)} bytes)")
        async with self.engine.begin() as conn:
            await conn.execute(
                text("SELECT pg_notify(:ch, :msg)"), {"ch": PG_CHANNEL, "msg": message}
            )

    def subscribe(self, channel: str) -> _Subscription:
        sub = super().subscribe(channel)
        self._ensure_listener()
        return sub

    async def wait_listening(self, within: float = 5.0) -> bool:
        """True once LISTEN is in place (tests and readiness use it)."""
        self._ensure_listener()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), within)
        return self.listening.is_set()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _ensure_listener(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self.listening = asyncio.Event()
        self._task = loop.create_task(self._listen_forever(), name="mzhub-listen")

    async def _listen_forever(self) -> None:
        delay = self.backoff[0]
        while self.subscriber_count() > 0:
            try:
                await self._listen_once()
                delay = self.backoff[0]
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down or connection killed: try again later
                self.listening.clear()
                log.warning("LISTEN %s lost (%s); reconnecting in %.1f s", PG_CHANNEL, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff[1])
        self.listening.clear()

    async def _listen_once(self) -> None:
        """Listen until the connection is lost (raises) or no subscriber is left (returns)."""
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn, timeout=5)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _c: lost.set())
        try:
            await conn.add_listener(PG_CHANNEL, self._on_notify)
            self.listening.set()
            log.info("listening on %s", PG_CHANNEL)
            idle_for = 0.0
            while idle_for < self.idle_seconds:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), min(self.ping_seconds, 1.0))
                if lost.is_set() or conn.is_closed():
                    raise ConnectionError("listener connection closed")
                idle_for = idle_for + 1.0 if self.subscriber_count() == 0 else 0.0
                await self._maybe_ping(conn)
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()

    _last_ping = 0.0

    async def _maybe_ping(self, conn: asyncpg.Connection) -> None:
        # A half-open TCP connection does not report itself: ask now and then.
        now = asyncio.get_running_loop().time()
        if now - self._last_ping >= self.ping_seconds:
            self._last_ping = now
            await asyncio.wait_for(conn.fetchval("SELECT 1"), 5)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, raw: str) -> None:
        try:
            message = json.loads(raw)
            if message.get("o") == self.origin:
                return
            channel, payload = str(message["c"]), dict(message["p"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed notification on %s", PG_CHANNEL)
            return
        task = asyncio.get_running_loop().create_task(super().publish(channel, payload))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


def broker_for(settings: Settings, engine: AsyncEngine) -> Broker:
    """LISTEN/NOTIFY on PostgreSQL (replicas share events); in-process on SQLite."""
    if settings.is_sqlite:
        return InProcessBroker()
    return PostgresBroker(engine, asyncpg_dsn(settings.database_url))

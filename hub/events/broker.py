"""The broker: `publish(channel, payload)` after commit, `subscribe(channel)` per stream.

`InProcessBroker` serves one process (any event loop or thread); several replicas need a
shared one (PostgreSQL LISTEN/NOTIFY or Redis) behind the same `Broker` protocol, installed as
`services.extras["broker"]`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol, runtime_checkable

from hub.services import Services

Payload = dict[str, Any]
DEFAULT_BACKLOG = 1000


class BrokerOverflow(Exception):
    """A subscriber fell more than its backlog behind; its stream ends instead of losing events
    silently."""


@runtime_checkable
class Broker(Protocol):
    async def publish(self, channel: str, payload: Mapping[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> BrokerSubscription: ...


class BrokerSubscription(Protocol):
    """Registered from the moment `subscribe` returns; iterate it, then `close` it."""

    def __aiter__(self) -> AsyncIterator[Payload]: ...

    async def __anext__(self) -> Payload: ...

    def close(self) -> None: ...


class _Subscription:
    def __init__(self, broker: InProcessBroker, channel: str, backlog: int) -> None:
        self.broker = broker
        self.channel = channel
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Payload | None] = asyncio.Queue(backlog)
        self.overflowed = False

    def deliver(self, payload: Payload) -> None:
        """Runs on the subscriber's own loop."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()
            self.queue.put_nowait(None)

    def __aiter__(self) -> _Subscription:
        return self

    async def __anext__(self) -> Payload:
        payload = await self.queue.get()
        if payload is None:
            raise BrokerOverflow(f"subscriber of {self.channel} fell too far behind")
        return payload

    def close(self) -> None:
        self.broker._remove(self)


class InProcessBroker:
    """Fan-out to the subscribers of this process, each on its own event loop."""

    def __init__(self, backlog: int = DEFAULT_BACKLOG) -> None:
        self.backlog = backlog
        self._subscribers: dict[str, set[_Subscription]] = defaultdict(set)
        self._lock = threading.Lock()

    async def publish(self, channel: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        current = asyncio.get_running_loop()
        for sub in targets:
            message = dict(payload)
            if sub.loop is current:
                sub.deliver(message)
            elif not sub.loop.is_closed():
                sub.loop.call_soon_threadsafe(sub.deliver, message)

    def subscribe(self, channel: str) -> _Subscription:
        sub = _Subscription(self, channel, self.backlog)
        with self._lock:
            self._subscribers[channel].add(sub)
        return sub

    def subscriber_count(self, channel: str | None = None) -> int:
        """Subscribers of `channel`, or of every channel."""
        with self._lock:
            if channel is None:
                return sum(len(subs) for subs in self._subscribers.values())
            return len(self._subscribers.get(channel, ()))

    def _remove(self, sub: _Subscription) -> None:
        with self._lock:
            found = self._subscribers.get(sub.channel)
            if found is not None:
                found.discard(sub)
                if not found:
                    del self._subscribers[sub.channel]


_install_lock = threading.Lock()


def broker_of(services: Services) -> Broker:
    """The process's broker (`services.extras["broker"]`), an in-process one unless installed."""
    found = services.extras.get("broker")
    if found is None:
        with _install_lock:
            found = services.extras.setdefault("broker", InProcessBroker())
    return found  # type: ignore[no-any-return]

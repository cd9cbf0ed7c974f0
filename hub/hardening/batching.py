"""Array batching (off unless HUB_MAX_OPERATIONS > 1): each operation of the array runs as a
request of its own — own context, audit event, cost and rate limit — one after the other."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]
Single = Callable[[Scope, Any, "bytes | None", Send], Awaitable[None]]


class _Captured:
    """Collects one sub-request's response instead of sending it."""

    def __init__(self) -> None:
        self.status = 500
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def result(self) -> Any:
        try:
            return json.loads(b"".join(self.chunks))
        except ValueError:
            message = f"the operation failed with HTTP {self.status}"
            return {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}


async def run_batch(scope: Scope, payloads: list[Any], single: Single, send: Send) -> None:
    results = []
    for payload in payloads:
        captured = _Captured()
        await single(dict(scope), payload, None, captured)
        results.append(captured.result())
    body = json.dumps(results).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""Pure-ASGI transport rules for the HTTP side of the hub: body size (413), content types (415),
array batching, operation names, trusted-document ids, security headers and `Retry-After`."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from hub.config import Hardening
from hub.hardening import documents
from hub.hardening.batching import run_batch
from hub.hardening.headers import header, route_path, with_headers

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

GRAPHQL_PATH = "/graphql"
# The JSON object of a POST /graphql body, as parsed from the body the app receives.
PARSED_BODY_KEY = "hub.graphql_payload"
JSON_TYPES = ("application/json",)
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,127}")


class BodyTooLarge(Exception):
    pass


# orjson reads an integer past 64 bits as a float; 19 digits in a row may be one.
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


def parse_body(body: bytes) -> Any:
    """The JSON of a request body, as the standard library reads it, several times faster:
    orjson, unless it fails (NaN, lone surrogates, UTF-16 bodies, ...) or the body holds a run
    of 19 digits (an integer orjson would turn into a float): then the standard library."""
    if not _LONG_NUMBER.search(body):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    return json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()


async def refuse(send: Send, status: int, message: str, code: str, **extensions: Any) -> None:
    body = error_body(message, code, **extensions)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TransportRules:
    """`services_getter` gives the sessions used to look up trusted-document ids."""

    def __init__(self, app: ASGIApp, settings: Hardening, services_getter: Callable[[], Any]):
        self.app = app
        self.settings = settings
        self.services_getter = services_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = with_headers(scope, send)
        if _content_length(scope) > self.settings.max_body_bytes:
            await refuse(send, 413, "the request body is too large", "QUERY_TOO_COMPLEX")
            return
        on_graphql = route_path(scope) == GRAPHQL_PATH
        try:
            if on_graphql and scope["method"] == "POST":
                await self._graphql_post(scope, receive, send)
            elif on_graphql and scope["method"] == "GET":
                await self._graphql_get(scope, receive, send)
            else:
                await self.app(scope, self._counted(receive), send)
        except BodyTooLarge:
            if not scope.get("hub.response_started"):
                await refuse(send, 413, "the request body is too large", "QUERY_TOO_COMPLEX")

    # -- POST /graphql ----------------------------------------------------------------------

    async def _graphql_post(self, scope: Scope, receive: Receive, send: Send) -> None:
        media = header(scope, b"content-type").split(";")[0].strip().lower()
        if media not in JSON_TYPES:
            await refuse(send, 415, "POST /graphql takes application/json", "BAD_USER_INPUT")
            return
        body = await self._read(receive)
        try:
            payload = parse_body(body)
        except (ValueError, RecursionError):  # nesting past the parser's stack is not JSON either
            payload = None
        if not isinstance(payload, dict | list):
            await refuse(send, 400, "the body must be a JSON object", "BAD_USER_INPUT")
            return
        if isinstance(payload, list):
            if self.settings.max_operations <= 1:
                await refuse(send, 400, "batched requests are not enabled", "QUERY_TOO_COMPLEX")
            elif len(payload) > self.settings.max_operations:
                await refuse(send, 400, "too many operations in one request", "QUERY_TOO_COMPLEX")
            else:
                await run_batch(scope, payload, self._single, send)
            return
        await self._single(scope, payload, body, send, receive)

    async def _single(
        self,
        scope: Scope,
        payload: Any,
        body: bytes | None,
        send: Send,
        receive: Receive | None = None,
    ) -> None:
        """One operation; `body` is the raw request body when it need not be re-encoded."""
        if not isinstance(payload, dict):
            await refuse(send, 400, "each operation must be a JSON object", "BAD_USER_INPUT")
            return
        name = payload.get("operationName")
        if name is not None and not _valid_name(name):
            await refuse(send, 400, "`operationName` must be a GraphQL name", "BAD_USER_INPUT")
            return
        if "documentId" in payload and payload.get("query") is None:
            text = await self._document(payload["documentId"])
            if text is None:
                message = "unknown documentId; register the document first"
                await refuse(send, 400, message, "FORBIDDEN", reason=documents.REASON)
                return
            payload = {**payload, "query": text}
            body = None
        if body is None:
            body = json.dumps(payload).encode()
        else:
            # The GraphQL view takes the object parsed here rather than parse the body again.
            scope[PARSED_BODY_KEY] = payload
        await self.app(scope, _replay(body, receive), send)

    async def _document(self, document_id: object) -> str | None:
        digest = documents.hash_of_document_id(document_id)
        if digest is None:
            return None
        async with self.services_getter().sessions() as session:
            return await documents.body_of(session, digest)

    # -- GET /graphql -----------------------------------------------------------------------

    async def _graphql_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        names = query.get("operationName", [])
        if any(not _valid_name(n) for n in names):
            await refuse(send, 400, "`operationName` must be a GraphQL name", "BAD_USER_INPUT")
            return
        await self.app(scope, self._counted(receive), send)

    # -- bodies -----------------------------------------------------------------------------

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _counted(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.settings.max_body_bytes

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            return message

        return counted


def _valid_name(value: object) -> bool:
    return isinstance(value, str) and _OPERATION_NAME.fullmatch(value) is not None


def _content_length(scope: Scope) -> int:
    raw = header(scope, b"content-length")
    return int(raw) if raw.isdigit() else 0


def _replay(body: bytes, then: Receive | None) -> Receive:
    """The body, read already, once; then the client's own messages (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then() if then is not None else {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive

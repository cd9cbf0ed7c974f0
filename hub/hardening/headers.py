"""Response headers of every HTTP answer: nosniff, no framing, no referrer; on /graphql also
no-store and a content-security policy (GraphiQL's, in development only, allows its CDN)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Send = Callable[[Message], Awaitable[None]]

# Set on the request scope by the rate limit; turns the answer into 429 + Retry-After.
RETRY_AFTER_KEY = "hub.retry_after"
GRAPHQL_RESPONSE = "application/graphql-response+json"
COMMON_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# GraphiQL (development only) is a page from unpkg.com with inline bootstrap code.
GRAPHIQL_CSP = (
    b"default-src 'none'; script-src 'unsafe-inline' https://unpkg.com; "
    b"style-src 'unsafe-inline' https://unpkg.com; font-src https://unpkg.com data:; "
    b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    b"form-action 'none'"
)


def with_headers(scope: Scope, send: Send) -> Send:
    """`send`, adding the security headers (and 429 + Retry-After when rate limited)."""
    on_graphql = route_path(scope) == "/graphql"
    wants_graphql_response = GRAPHQL_RESPONSE in header(scope, b"accept")

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope["hub.response_started"] = True
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            extra = dict(COMMON_HEADERS)
            status = message["status"]
            if on_graphql:
                media = _value(headers, b"content-type")
                extra[b"cache-control"] = b"no-store"
                extra[b"content-security-policy"] = (
                    GRAPHIQL_CSP if media.startswith(b"text/html") else API_CSP
                )
                if wants_graphql_response and media.startswith(b"application/json"):
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                    present.discard(b"content-type")
                    extra[b"content-type"] = GRAPHQL_RESPONSE.encode() + b"; charset=utf-8"
                if RETRY_AFTER_KEY in scope:
                    status = 429
                    extra[b"retry-after"] = str(scope[RETRY_AFTER_KEY]).encode()
            headers += [(k, v) for k, v in extra.items() if k not in present]
            message = {**message, "headers": headers, "status": status}
        await send(message)

    return sending


def route_path(scope: Scope) -> str:
    """The path the app routes on (without a `root_path` the hub may be mounted under)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _value(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")

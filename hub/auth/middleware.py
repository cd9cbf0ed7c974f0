"""Pure-ASGI middleware: a bearer token on /graphql becomes `scope["principal"]`, or a 401.

Identity never comes from request headers: `X-Department` and friends are ignored (and logged).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from hub.errors import Unauthenticated

if TYPE_CHECKING:
    from hub.auth.principal import Principal
    from hub.auth.verify import TokenVerifier

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

# RFC 6750 §2.1 b64token.
_BEARER = re.compile(r"Bearer ([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_IDENTITY_HEADERS = frozenset(
    b"x-" + name
    for name in (
        b"department", b"division", b"division-code", b"roles", b"role", b"scope", b"scopes",
        b"subject", b"sub", b"user", b"user-id", b"principal", b"client-id", b"id-number",
        b"auth-user", b"remote-user", b"forwarded-user",
    )
) | {b"remote-user"}  # fmt: skip


class AuthMiddleware:
    """Sets `scope["principal"]` (None without a token) and `scope["verifier"]` for the app.

    HTTP under the protected paths: a malformed Authorization header or an invalid token ends
    the request with 401. Elsewhere (OAuth endpoints, health, metrics) tokens are ignored.
    WebSocket: never refused at the upgrade; the GraphQL layer authenticates `connection_init`
    with `scope["verifier"]` (an upgrade header that verifies is offered as `scope["principal"]`).
    """

    def __init__(
        self,
        app: ASGIApp,
        verifier_getter: Callable[[], TokenVerifier],
        *,
        protected_paths: Iterable[str] = ("/graphql",),
    ) -> None:
        self.app = app
        self.verifier_getter = verifier_getter
        self.protected_paths = tuple(protected_paths)
        self._protected_prefixes = tuple(p.rstrip("/") + "/" for p in self.protected_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        authorizations: list[bytes] = []
        identity: list[bytes] = []
        for key, value in scope.get("headers", []):
            key = key.lower()
            if key == b"authorization":
                authorizations.append(value)
            elif key in _IDENTITY_HEADERS:
                identity.append(key)
        if identity:
            _warn_identity_headers(identity, scope)
        verifier = self.verifier_getter()
        scope["verifier"] = verifier
        scope["principal"] = None
        if scope["type"] == "websocket":
            if authorizations:
                try:
                    scope["principal"] = await _authenticate(verifier, authorizations)
                except Unauthenticated as exc:
                    scope["auth_error"] = exc.message
            await self.app(scope, receive, send)
            return
        if not self._is_protected(scope.get("path", "")) or not authorizations:
            await self.app(scope, receive, send)
            return
        try:
            scope["principal"] = await _authenticate(verifier, authorizations)
        except Unauthenticated as exc:
            await _unauthorized(send, exc.message)
            return
        except StoreUnavailable:
            await _unavailable(send)
            return
        await self.app(scope, receive, send)

    def _is_protected(self, path: str) -> bool:
        return path in self.protected_paths or path.startswith(self._protected_prefixes)


async def _authenticate(verifier: TokenVerifier, authorizations: list[bytes]) -> Principal:
    if len(authorizations) != 1:
        raise Unauthenticated("more than one Authorization header")
    try:
        value = authorizations[0].decode("ascii")
    except UnicodeDecodeError:
        raise Unauthenticated("malformed Authorization header") from None
    match = _BEARER.fullmatch(value.strip())
    if match is None:
        raise Unauthenticated("malformed Authorization header; expected 'Bearer <token>'")
    try:
        return await verifier.verify(match.group(1))
    except Unauthenticated:
        raise
    except (SQLAlchemyError, OSError) as exc:
        # The revocation store cannot be read: not the caller's fault, and not a pass either.
        log.warning("token check needs the database, which is unavailable: %s", exc)
        raise StoreUnavailable() from exc
    except Exception:  # fail closed: whatever went wrong, the caller is not authenticated
        log.exception("token verification failed unexpectedly")
        raise Unauthenticated("token could not be verified") from None


class StoreUnavailable(Exception):
    """The token could not be checked against revocations because the store is down."""


async def _unavailable(send: Send) -> None:
    message = "the hub's database is unavailable; retry shortly"
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "INTERNAL"}}]})
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body.encode())).encode()),
                (b"retry-after", b"5"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


async def _unauthorized(send: Send, message: str) -> None:
    body = json.dumps(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    ).encode()
    challenge = f'Bearer error="invalid_token", error_description="{_quote(message)}"'
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", challenge.encode("latin-1", "replace")),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _quote(message: str) -> str:
    return "".join(c for c in message if c.isprintable() and c not in '"\\')


def _warn_identity_headers(names: list[bytes], scope: Scope) -> None:
    client = scope.get("client") or ("?", 0)
    log.warning(
        "ignored identity header(s) %s from %s on %s (identity comes from the token only)",
        ", ".join(sorted({n.decode("latin-1") for n in names})),
        client[0],
        scope.get("path", ""),
    )

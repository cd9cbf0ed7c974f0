"""OAuth 2.0 endpoints: client-credentials token (RFC 6749 §4.4), revocation (RFC 7009),
introspection (RFC 7662), server metadata (RFC 8414) and the JWKS. See decision 0002.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.auth.client_auth import OAuthError, client_credentials, read_form
from hub.auth.clients import authenticate_client
from hub.auth.ratelimit import TokenBucket
from hub.auth.tokens import issue_access_token
from hub.db.models.auth import OAuthClient
from hub.errors import Unauthenticated
from hub.types import SCOPES

if TYPE_CHECKING:
    from hub.services import Services

log = logging.getLogger(__name__)

GRANT_TYPE = "client_credentials"
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
JWKS_MAX_AGE_SECONDS = 300
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_routes(
    get_services: Callable[[], Services],
    *,
    client_rate_per_minute: int = 30,
    address_rate_per_minute: int = 60,
) -> list[BaseRoute]:
    """The OAuth routes; rate limits are per process (token buckets in memory)."""
    per_client = TokenBucket(client_rate_per_minute)
    per_address = TokenBucket(address_rate_per_minute)

    async def token(request: Request) -> Response:
        services = get_services()
        address = request.client.host if request.client else "unknown"
        shared = services.extras.get("shared.limiter")  # Redis across replicas (redis_backends)
        if shared is not None:
            wait = await shared.spend(f"oauth-address:{address}", 1, address_rate_per_minute)
        else:
            wait = per_address.take(address)
        if wait is not None:
            return _slow_down(wait, f"address {address}")
        async with services.sessions() as session:
            client_id: str | None = None
            try:
                form = await read_form(request)
                client_id, secret = client_credentials(request, form)
                if shared is not None:
                    key = f"oauth-client:{client_id}"
                    wait = await shared.spend(key, 1, client_rate_per_minute)
                else:
                    wait = per_client.take(client_id)
                if wait is not None:
                    return _slow_down(wait, f"client {client_id}")
                grant_type = form.get("grant_type")
                if not grant_type:
                    raise OAuthError("invalid_request", "grant_type is required")
                if grant_type != GRANT_TYPE:
                    raise OAuthError("unsupported_grant_type", "only client_credentials")
                client = await authenticate_client(session, client_id, secret)
                if client is None:
                    raise OAuthError("invalid_client", "client authentication failed", 401)
                scopes = _granted_scopes(client, form.get("scope"))
                access_token, claims = issue_access_token(
                    services.keys,
                    services.settings,
                    services.clock,
                    subject=client.client_id,
                    client_id=client.client_id,
                    department=client.department,
                    division=client.division_code,
                    roles=client.roles.split(),
                    scopes=scopes,
                )
            except OAuthError as exc:
                if not await _report(services, session, "refused", client_id, exc.description):
                    return _server_error()
                return exc.response()
            if not await _report(services, session, "issued", client_id, None):
                return _server_error()  # nothing leaves unrecorded
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": claims["exp"] - claims["iat"],
            "scope": claims["scope"],
        }
        return JSONResponse(body, headers=_NO_STORE)

    async def revoke(request: Request) -> Response:
        services = get_services()
        try:
            form, client = await _authenticated(services, request)
            value = _required(form, "token")
        except OAuthError as exc:
            return exc.response()
        try:
            principal = await services.verifier.verify(value)
        except Unauthenticated:
            return Response(status_code=200, headers=_NO_STORE)  # RFC 7009 §2.2: nothing to do
        if principal.client_id != client.client_id or principal.token_id is None:
            log.warning("client %s asked to revoke another client's token", client.client_id)
            return Response(status_code=200, headers=_NO_STORE)
        exp = principal.expires_at or 0
        await services.verifier.revocations.revoke(principal.token_id, exp, client.client_id)
        return Response(status_code=200, headers=_NO_STORE)

    async def introspect(request: Request) -> Response:
        services = get_services()
        try:
            form, client = await _authenticated(services, request)
            value = _required(form, "token")
        except OAuthError as exc:
            return exc.response()
        try:
            p = await services.verifier.verify(value)
        except Unauthenticated:
            return JSONResponse({"active": False}, headers=_NO_STORE)
        # A client may introspect its own tokens; an `admin`-scoped client any hub token.
        if p.client_id != client.client_id and "admin" not in client.scopes.split():
            return JSONResponse({"active": False}, headers=_NO_STORE)
        body = {
            "active": True,
            "token_type": "Bearer",
            "scope": " ".join(sorted(p.scopes)),
            "client_id": p.client_id,
            "sub": p.subject,
            "iss": p.issuer,
            "exp": p.expires_at,
            "jti": p.token_id,
            "department": p.department.value,
            "division": p.division_code,
            "roles": sorted(p.roles),
        }
        return JSONResponse(body, headers=_NO_STORE)

    async def metadata(request: Request) -> Response:
        issuer = get_services().settings.issuer.rstrip("/")
        body = {
            "issuer": get_services().settings.issuer,
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "grant_types_supported": [GRANT_TYPE],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
            "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
            "scopes_supported": sorted(SCOPES),
        }
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=3600"})

    async def jwks(request: Request) -> Response:
        cache = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
        return JSONResponse(get_services().keys.jwks(), headers={"Cache-Control": cache})

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/oauth/introspect", introspect, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", metadata, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    ]


def _granted_scopes(client: OAuthClient, requested: str | None) -> list[str]:
    """Requested scopes narrowed to the client's; none requested means all it is allowed."""
    allowed = client.scopes.split()
    if requested is None or not requested.strip():
        return allowed
    wanted = requested.split()
    extra = sorted(set(wanted) - set(allowed))
    if extra:
        raise OAuthError("invalid_scope", f"scope not allowed for this client: {' '.join(extra)}")
    return sorted(set(wanted))


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


async def _authenticated(
    services: Services, request: Request
) -> tuple[dict[str, str], OAuthClient]:
    form = await read_form(request)
    client_id, secret = client_credentials(request, form)
    async with services.sessions() as session:
        client = await authenticate_client(session, client_id, secret)
    if client is None:
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return form, client


async def _report(
    services: Services,
    session: AsyncSession,
    outcome: str,
    client_id: str | None,
    reason: str | None,
) -> bool:
    """Hand a token issued or refused to the audit recorder (it writes in our transaction).

    False when recording failed: the caller then answers with an error, not a token.
    """
    hook = services.extras.get("audit_token_event")
    if hook is None:
        log.info("token %s client=%s reason=%s", outcome, client_id, reason)
        return True
    try:
        await hook(session, outcome=outcome, client_id=client_id, reason=reason)
        await session.commit()
    except Exception:
        log.exception("audit of a token %s event failed", outcome)
        await session.rollback()
        return False
    return True


def _server_error() -> Response:
    body = {"error": "server_error", "error_description": "the request could not be recorded"}
    return JSONResponse(body, status_code=500, headers=_NO_STORE)


def _slow_down(wait: float, who: str) -> Response:
    log.warning("token requests rate-limited for %s", who)
    retry = max(1, math.ceil(wait))
    body = {"error": "slow_down", "error_description": f"too many requests; retry in {retry} s"}
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(retry), **_NO_STORE})

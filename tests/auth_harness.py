"""A small stand-in for the hub app for the OAuth and token tests: the OAuth routes, the auth
middleware and a `/graphql` endpoint echoing the principal. `make_app` is the one place to swap
for the real application factory.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth.clients import create_client
from hub.auth.jwks import JwksCache
from hub.auth.keys import KeyStore
from hub.auth.middleware import AuthMiddleware
from hub.auth.oauth import oauth_routes
from hub.auth.revocations import DbRevocations
from hub.auth.verify import TokenVerifier
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.domain.clock import FixedClock
from hub.services import Services

ISSUER = "http://hub.test"
AUDIENCE = "mzhub"


@dataclass
class Harness:
    services: Services
    client: httpx.AsyncClient
    clock: FixedClock
    audit_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def keys(self) -> KeyStore:
        return self.services.keys

    @property
    def verifier(self) -> TokenVerifier:
        return self.services.verifier

    async def register(
        self,
        *,
        department: str = "public_security",
        division: str = "640104000000",
        roles: tuple[str, ...] = ("partner",),
        scopes: tuple[str, ...] = ("approvals:decide",),
        name: str = "partner system",
    ) -> tuple[str, str]:
        """A client registered through the registry; returns (client_id, secret)."""
        async with self.services.sessions() as session:
            client, secret = await create_client(
                session,
                self.clock,
                name=name,
                department=department,
                division=division,
                roles=roles,
                scopes=scopes,
            )
            await session.commit()
        return client.client_id, secret

    async def token(self, client_id: str, secret: str, **form: str) -> httpx.Response:
        data = {"grant_type": "client_credentials", **form}
        return await self.client.post("/oauth/token", data=data, auth=(client_id, secret))

    async def access_token(self, client_id: str, secret: str, **form: str) -> str:
        response = await self.token(client_id, secret, **form)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def graphql(self, token: str | None, **headers: str) -> httpx.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.client.post(
            "/graphql", json={"query": "{ me { subject } }"}, headers=headers
        )


def make_settings(keys_dir: Path, db_url: str, **overrides: Any) -> Settings:
    base = Settings(database_url=db_url, keys_dir=keys_dir, issuer=ISSUER, audience=AUDIENCE)
    return replace(base, **overrides)


def make_services(settings: Settings, clock: FixedClock, **verifier_options: Any) -> Services:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    keys = KeyStore.load(settings.keys_dir, create_if_missing=True, clock=clock)
    revocations = DbRevocations(sessions, clock)
    verifier = TokenVerifier(settings, keys, clock, revocations, **verifier_options)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        keys=keys,
        verifier=verifier,
        policy=None,  # type: ignore[arg-type]  # not needed by the auth layer
    )


async def _echo_principal(request: Request) -> Response:
    principal = request.scope.get("principal")
    if principal is None:
        return JSONResponse({"data": {"me": None}})
    me = {
        "subject": principal.subject,
        "clientId": principal.client_id,
        "department": principal.department.value,
        "division": principal.division_code,
        "roles": sorted(principal.roles),
        "scopes": sorted(principal.scopes),
        "idNumber": principal.id_number,
        "issuer": principal.issuer,
    }
    return JSONResponse({"data": {"me": me}})


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def make_app(services: Services, **rate_limits: int) -> Starlette:
    """The app under test (swap for the real factory once it exists)."""
    routes = [
        *oauth_routes(lambda: services, **rate_limits),
        Route("/graphql", _echo_principal, methods=["GET", "POST"]),
        Route("/healthz", _healthz, methods=["GET"]),
    ]
    middleware = [Middleware(AuthMiddleware, verifier_getter=lambda: services.verifier)]
    return Starlette(routes=routes, middleware=middleware)


@asynccontextmanager
async def harness(
    db_url: str,
    keys_dir: Path,
    *,
    settings_overrides: dict[str, Any] | None = None,
    rate_limits: dict[str, int] | None = None,
    jwks_cache: JwksCache | None = None,
) -> AsyncIterator[Harness]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    settings = make_settings(keys_dir, db_url, **(settings_overrides or {}))
    services = make_services(settings, clock, jwks_cache=jwks_cache)
    events: list[dict[str, Any]] = []

    async def audit_token_event(session: Any, **event: Any) -> None:
        events.append(event)

    services.extras["audit_token_event"] = audit_token_event
    app = make_app(services, **(rate_limits or {}))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
            yield Harness(services=services, client=http, clock=clock, audit_events=events)
    finally:
        await services.engine.dispose()


def b64url(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Header, claims and signature segment of a compact JWS (no verification)."""
    head, body, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
        signature,
    )

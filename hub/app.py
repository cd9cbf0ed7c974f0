"""Starlette app factory: routes, middleware, lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from hub.audit.auth_events import token_hook
from hub.auth.keys import KeyStore
from hub.auth.middleware import AuthMiddleware
from hub.auth.oauth import oauth_routes
from hub.auth.redis_backends import install_redis_backends
from hub.auth.revocations import DbRevocations
from hub.auth.verify import TokenVerifier
from hub.compiled.reader import CompiledReads
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.domain.clock import Clock, SystemClock
from hub.events.postgres import broker_for
from hub.graphql_view import HubGraphQL
from hub.hardening.transport import TransportRules
from hub.metrics import HubMetrics, MetricsMiddleware
from hub.policy.evaluator import PolicyEvaluator
from hub.policy.loader import load_policy
from hub.schema.build import build_schema, schema_fields
from hub.services import Services
from hub.web import dashboard_routes

log = logging.getLogger("hub")


class HubCORS(CORSMiddleware):
    """Starlette's CORS middleware, with a shortcut for requests without `Origin` (partners'
    servers, not browsers): their answers only get `Vary: Origin`, as Starlette adds it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(k == b"origin" for k, _ in scope["headers"]):
            await super().__call__(scope, receive, send)
            return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _vary_origin(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_varying)


def _vary_origin(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`Origin` appended to the `Vary` values, merged into the first `Vary` header."""
    found = [i for i, (key, _) in enumerate(headers) if key == b"vary"]
    if not found:
        headers.append((b"vary", b"Origin"))
        return headers
    value = b", ".join([*(headers[i][1] for i in found), b"Origin"])
    for i in reversed(found[1:]):
        del headers[i]
    headers[found[0]] = (b"vary", value)
    return headers


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    engine = create_engine(settings)
    sessions = session_factory(engine)
    keys = KeyStore.load(
        settings.keys_dir, create_if_missing=not settings.is_production, clock=clock
    )
    # Replicas share revocations and rate limits through Redis (HUB_REDIS_URL) and events
    # through LISTEN/NOTIFY on PostgreSQL (docs/decisions/0050, 0051).
    extras: dict[str, Any] = {"broker": broker_for(settings, engine)}
    revocations = install_redis_backends(extras, DbRevocations(sessions, clock), settings.redis_url)
    verifier = TokenVerifier(settings, keys, clock, revocations)
    policy = PolicyEvaluator(load_policy(settings.policy_file))
    services = Services(settings, engine, sessions, clock, keys, verifier, policy, extras=extras)
    # The compiled SQL builds JSON with PostgreSQL's functions; SQLite keeps the resolvers.
    if settings.compiled_reads and engine.dialect.name == "postgresql":
        services.compiled_reads = CompiledReads(policy)
    return services


GC_YOUNG_THRESHOLD = 10_000


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    services: Services | None = None,
) -> Starlette:
    settings = settings or Settings.from_env()
    services = services or build_services(settings, clock)
    schema = build_schema(
        services.policy, production=settings.is_production, prepared=settings.prepared_reads
    )
    fields = schema_fields(schema)
    # The policy must name only fields the schema has: a typo stops start-up.
    load_policy(settings.policy_file, known_fields=fields)
    services.extras["schema_fields"] = fields
    services.extras["audit_token_event"] = token_hook(services)
    services.extras["schema"] = schema
    metrics = HubMetrics()
    metrics.watch_read_paths(services.read_paths)
    graphql = HubGraphQL(schema, services, metrics)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with services.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # readiness reports, it never raises
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "reachable"})

    routes: list[BaseRoute] = [
        # First: nearly every request is for /graphql, and the router tries routes in order.
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        *oauth_routes(lambda: services),
        *dashboard_routes(),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # What exists now (schema, policy, ORM mappings, the libraries) lives as long as the
        # process. Frozen, it is left out of the collector's full collections, which would
        # otherwise traverse those ~170,000 objects each time (tens of ms, under load).
        gc.collect()
        gc.freeze()
        # A request's objects are freed as it ends (no reference cycles on the read path:
        # `HubExecutionContext.build_response`), so young-generation passes, by default every
        # 700 net allocations, only traversed the requests in flight: ~25 microseconds of CPU
        # per page read. Every 10,000 they do not come round while serving pages at all.
        thresholds = gc.get_threshold()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
        await services.engine.dispose()

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(
                HubCORS,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-purpose"],
                max_age=600,
            ),
            Middleware(
                TransportRules, settings=settings.hardening, services_getter=lambda: services
            ),
            Middleware(AuthMiddleware, verifier_getter=lambda: services.verifier),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.schema = schema
    return app

"""The `/graphql` endpoint: strawberry's ASGI view with the hub's context per operation."""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import MutableMapping
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from hub.errors import Unauthenticated
from hub.hardening.transport import PARSED_BODY_KEY
from hub.metrics import HubMetrics
from hub.resolvers.context import HubContext
from hub.resolvers.live import LiveContext
from hub.services import Services

log = logging.getLogger(__name__)

MAX_PURPOSE = 200
# graphql-transport-ws close code for a connection_init without a valid token (like HTTP 401).
CLOSE_UNAUTHORIZED = 4401
_BEARER = re.compile(r"Bearer ([A-Za-z0-9\-._~+/]+=*)", re.IGNORECASE)
_operation_context: contextvars.ContextVar[LiveContext | None] = contextvars.ContextVar(
    "hub_ws_operation_context", default=None
)


def _encode(data: object) -> bytes:
    # orjson writes prebuilt JSON (`orjson.Fragment`, from the compiled read path) as is.
    try:
        return orjson.dumps(data)
    except TypeError:
        # Beyond 64-bit integers (a client's variables echoed by the audit log's JSON fields):
        # the standard library writes them exactly.
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def purpose_of(request: Request | WebSocket) -> str | None:
    """The caller's stated purpose (X-Purpose), kept as data and cut to 200 characters."""
    raw = request.headers.get("x-purpose")
    return raw[:MAX_PURPOSE] if raw else None


class HubTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with the hub's rules: `connection_init` must carry a valid token
    (else close 4401), and each operation runs with a context of its own (own loaders)."""

    @property  # type: ignore[override]
    def context(self) -> Any:
        return _operation_context.get() or self._connection_context

    @context.setter
    def context(self, value: Any) -> None:
        self._connection_context = value

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Unauthenticated as exc:
            reason = f"Unauthorized: {exc.message}"[:100]
            await self.websocket.close(code=CLOSE_UNAUTHORIZED, reason=reason)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        """Each operation re-verifies the connection's token (a revoked or expired token
        closes the connection with 4401) and gets a context seen by its own task only."""
        context = self._connection_context.for_operation()
        try:
            await context.renew()
        except Unauthenticated as exc:
            reason = f"Unauthorized: {exc.message}"[:100]
            await self.websocket.close(code=CLOSE_UNAUTHORIZED, reason=reason)
            return
        _operation_context.set(context)
        await super().run_operation(operation)


class _RequestAdapter(StarletteRequestAdapter):
    @property
    def scope(self) -> MutableMapping[str, Any]:
        return self._request.scope


class HubGraphQL(GraphQL):  # type: ignore[type-arg]
    graphql_transport_ws_handler_class = HubTransportWSHandler
    request_adapter_class = _RequestAdapter

    def __init__(self, schema: Any, services: Services, metrics: HubMetrics) -> None:
        super().__init__(
            schema,
            graphql_ide=None if services.settings.is_production else "graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.services = services
        self.metrics = metrics

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        # As strawberry's (no status yet, no headers), without editing the headers it built.
        sub_response = Response()
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.raw_headers.clear()  # its only one: `content-length: 0`
        return sub_response

    async def get_context(  # type: ignore[override]  # the hub's context, not strawberry's default
        self, request: Request | WebSocket, response: Any
    ) -> HubContext:
        purpose = purpose_of(request)
        context: HubContext
        if isinstance(request, WebSocket):
            # Authenticated by connection_init (on_ws_connect), not by the upgrade alone.
            context = LiveContext(self.services, None, purpose=purpose, request=request)
        else:
            principal = request.scope.get("principal")
            context = HubContext(self.services, principal, purpose=purpose, request=request)
            context.embeds_json = True  # responses are written by `encode_json` below
        if not self.services.directory.loaded:
            async with context.db() as session:
                await self.services.directory.ensure(session)
            # A WebSocket lives long and each operation opens its own session; an HTTP request
            # may never reach an operation (GraphiQL, a refused body): hold no connection.
            await context.close()
        return context

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """As strawberry's, reusing the JSON object TransportRules parsed from a POST body
        (an object, sent as application/json); strawberry would parse the body again."""
        data = getattr(request, "scope", {}).get(PARSED_BODY_KEY)
        if not isinstance(data, dict) or request.method != "POST" or self._stream_transport_map:
            return await super().parse_http_body(request)
        query, variables, extensions = (data.get(k) for k in ("query", "variables", "extensions"))
        if not isinstance(query, str | None):
            raise HTTPException(
                400, "The GraphQL operation's `query` must be a string or null, if provided."
            )
        if not isinstance(variables, dict | None):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        if not isinstance(extensions, dict | None):
            raise HTTPException(
                400,
                "The GraphQL operation's `extensions` must be an object or null, if provided.",
            )
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
        )

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Authenticate `connection_init`: payload `{"Authorization": "Bearer <token>"}`, else
        the upgrade request's Authorization header. Any failure closes with 4401."""
        params = context.connection_params or {}
        raw = params.get("Authorization") or params.get("authorization")
        request = context.request
        if raw is None:
            if request.scope.get("auth_error"):
                raise Unauthenticated(str(request.scope["auth_error"]))
            raw = request.headers.get("authorization")
        if not raw:
            raise Unauthenticated('connection_init needs {"Authorization": "Bearer <token>"}')
        match = _BEARER.fullmatch(str(raw).strip())
        if match is None:
            raise Unauthenticated("malformed Authorization; expected 'Bearer <token>'")
        verifier = request.scope.get("verifier") or self.services.verifier
        try:
            principal = await verifier.verify(match.group(1))
        except Unauthenticated:
            raise
        except Exception:  # fail closed, as the HTTP middleware does
            log.exception("token verification failed unexpectedly")
            raise Unauthenticated("token could not be verified") from None
        context.token = match.group(1)
        context.principal = principal
        return UNSET

    def encode_json(self, data: object) -> str:
        # Text, not bytes: the WebSocket transport sends bytes as binary frames.
        return _encode(data).decode()

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        # As strawberry's, with orjson's bytes as the body (not text the response re-encodes).
        response = Response(_encode(response_data), media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        for error in cast("dict[str, Any]", response).get("errors", []) or []:
            code = (error.get("extensions") or {}).get("code", "INTERNAL")
            self.metrics.graphql_errors.labels(code).inc()
        return response

    async def render_graphql_ide(self, request: Request) -> Response:
        return await super().render_graphql_ide(request)

"""Prometheus metrics: requests, latency histogram, GraphQL errors by code."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mzhub_http_requests_total",
            "HTTP requests",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mzhub_http_request_duration_seconds",
            "HTTP request latency",
            ["path"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.graphql_errors = Counter(
            "mzhub_graphql_errors_total",
            "GraphQL errors by extensions.code",
            ["code"],
            registry=self.registry,
        )

    def watch_read_paths(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Export how root query fields were served: compiled to SQL or resolved."""
        self.registry.register(_ReadPaths(counts))

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _ReadPaths(Collector):
    def __init__(self, counts: Mapping[tuple[str, str], int]) -> None:
        self.counts = counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "mzhub_graphql_root_fields",
            "Root query fields served, by strategy (compiled: one SQL statement; resolved)",
            labels=["strategy", "field"],
        )
        for (strategy, field), count in sorted(self.counts.items()):
            family.add_metric([strategy, field], count)
        yield family


KNOWN_PATHS = (
    "/graphql",
    "/oauth/token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
    "/dashboard",
)


class MetricsMiddleware:
    """Counts and times every HTTP request (paths folded to known routes, no label explosion)."""

    def __init__(self, app: ASGIApp, metrics: HubMetrics) -> None:
        self.app = app
        self.metrics = metrics
        # The labelled series, looked up once each (`labels()` costs a lock and a dict build).
        self._latency: dict[str, Any] = {}
        self._requests: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        label = next((p for p in KNOWN_PATHS if path == p or path.startswith(p + "/")), "other")
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            latency = self._latency.get(label)
            if latency is None:
                latency = self._latency[label] = self.metrics.latency.labels(label)
            latency.observe(elapsed)
            key = (scope.get("method", ""), label, status)
            counter = self._requests.get(key)
            if counter is None:
                # Methods are the client's to choose: only a bounded set of series is cached.
                counter = self.metrics.requests.labels(key[0], label, str(status))
                if len(self._requests) < _MAX_CACHED_SERIES:
                    self._requests[key] = counter
            counter.inc()


_MAX_CACHED_SERIES = 256

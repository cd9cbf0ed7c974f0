"""The shortcuts of the request path answer exactly as the general code they stand in for:
CORS without `Origin`, the view reusing the body TransportRules parsed, the cached metric
series, and the heap frozen for the app's lifetime."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from starlette.middleware.cors import CORSMiddleware

from hub.app import GC_YOUNG_THRESHOLD, HubCORS
from tests.factories import Hub, World
from tests.security.hardening_support import clerk

PORTAL = "https://portal.mz.nx.gov.cn"


async def _answer(
    middleware: type[CORSMiddleware], request_headers: list[Any], response_headers: list[Any]
) -> list[dict[str, Any]]:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": list(response_headers)}
        )
        await send({"type": "http.response.body", "body": b"{}"})

    app = middleware(
        inner,
        allow_origins=[PORTAL],
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type"],
        max_age=600,
    )
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": request_headers}
    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    "response_headers",
    [
        [(b"content-type", b"application/json")],
        [(b"vary", b"Accept"), (b"content-type", b"application/json")],
        [(b"vary", b"Accept"), (b"x-a", b"1"), (b"vary", b"Accept-Encoding")],
    ],
)
@pytest.mark.parametrize(
    "request_headers",
    [
        [(b"content-type", b"application/json")],
        [(b"origin", PORTAL.encode())],
        [(b"origin", b"https://evil.example")],
    ],
)
async def test_cors_answers_as_starlette(
    request_headers: list[Any], response_headers: list[Any]
) -> None:
    ours = await _answer(HubCORS, request_headers, response_headers)
    theirs = await _answer(CORSMiddleware, request_headers, response_headers)
    assert ours == theirs


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": 1}, "The GraphQL operation's `query` must be a string or null, if provided."),
        (
            {"query": "{ me { subject } }", "variables": []},
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
        (
            {"query": "{ me { subject } }", "extensions": "x"},
            "The GraphQL operation's `extensions` must be an object or null, if provided.",
        ),
        ({"variables": {}}, "No GraphQL query found in the request"),
    ],
)
async def test_view_refuses_malformed_operations_as_strawberry(
    hub: Hub, world: World, client: Any, payload: dict[str, Any], message: str
) -> None:
    response = await client.post(
        "/graphql", json=payload, headers={"Authorization": f"Bearer {clerk(hub)}"}
    )
    assert response.status_code == 400
    assert response.text == message


async def test_request_metrics_count_each_answer(hub: Hub, world: World, client: Any) -> None:
    headers = {"Authorization": f"Bearer {clerk(hub)}"}
    for _ in range(3):
        await client.post("/graphql", json={"query": "{ me { subject } }"}, headers=headers)
    await client.post(
        "/graphql", json={"query": "{ me { subject } }"}, headers={"Authorization": "Bearer nope"}
    )
    text = (await client.get("/metrics")).text
    assert 'mzhub_http_requests_total{method="POST",path="/graphql",status="200"} 3.0' in text
    assert 'mzhub_http_requests_total{method="POST",path="/graphql",status="401"} 1.0' in text
    assert 'mzhub_http_request_duration_seconds_count{path="/graphql"} 4.0' in text


async def test_the_heap_is_frozen_while_the_app_runs(hub: Hub) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    async with hub.app.router.lifespan_context(hub.app):
        assert gc.get_freeze_count() > 0
        # Young-generation passes are rarer while serving; the older generations' as before.
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before

"""Attacks on the HTTP side: oversized bodies (413 without reading them whole), mutations by GET
and by `text/plain` or form posts (CSRF), other content types (415), array batching brute
force, forged operation names, cross-origin reads, and the security headers on every answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.db.models import AuditEvent
from tests.factories import Hub, World
from tests.security.hardening_support import app_with, clerk, codes

ACCEPT_MUTATION = """mutation($id: ID!) { acceptCase(input: {caseId: $id, expectedVersion: 1}) {
  case { status } } }"""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def audit_count(hub: Hub) -> int:
    async with hub.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(AuditEvent))).scalar())


async def test_oversized_body_is_413_by_declared_length(hub: Hub, world: World, client: Any) -> None:
    body = json.dumps({"query": "{ me { subject } }", "x": "a" * (1024 * 1024)})
    response = await client.post("/graphql", content=body, headers={
        **auth(clerk(hub)), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # Other paths too (the token endpoint reads form bodies).
    token = await client.post("/oauth/token", content=b"a" * (1024 * 1024 + 1),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert token.status_code == 413


async def test_oversized_streamed_body_is_413_without_reading_it_all(
    hub: Hub, world: World
) -> None:
    """No Content-Length (chunked): reading stops at the first chunk past the limit."""
    chunks_read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": chunks_read < 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json"),
                                     (b"host", b"hub.test")],
        "client": ("127.0.0.1", 1), "server": ("hub.test", 80),
    }
    await hub.app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert chunks_read == 17  # 16 × 64 KiB = 1 MiB is allowed; the 17th chunk is one too many


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", json.dumps({"query": ACCEPT_MUTATION})),
        ("application/x-www-form-urlencoded", "query=" + ACCEPT_MUTATION),
        ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=query"
                                            "\r\n\r\n{ me { subject } }\r\n--x--\r\n"),
        ("application/graphql", ACCEPT_MUTATION),
        ("", json.dumps({"query": ACCEPT_MUTATION})),
    ],
)
async def test_other_content_types_are_415_and_run_nothing(
    hub: Hub, world: World, client: Any, content_type: str, body: str
) -> None:
    before = await audit_count(hub)
    headers = {**auth(clerk(hub)), "Content-Type": content_type}
    response = await client.post("/graphql", content=body.encode(), headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await audit_count(hub) == before  # never reached an operation


async def test_mutation_by_get_is_refused_and_a_query_by_get_works(
    hub: Hub, world: World, client: Any
) -> None:
    from hub.schema.ids import to_global_id

    case_id = to_global_id("Case", world.cases["zhang_db"])
    refused = await client.get("/graphql", params={
        "query": ACCEPT_MUTATION, "variables": json.dumps({"id": case_id})},
        headers=auth(clerk(hub)))
    assert refused.status_code in (400, 405)
    assert "mutations are not allowed" in refused.text.lower()
    fine = await client.get("/graphql", params={"query": "{ me { subject } }"},
                            headers=auth(clerk(hub)))
    assert fine.status_code == 200 and fine.json()["data"]["me"]["subject"] == "tester"


async def test_array_batching_is_refused_by_default(hub: Hub, world: World, client: Any) -> None:
    """The brute force of 100 guesses in one request is one refusal, not 100 answers."""
    guesses = [{"query": "query($n: String!) { caseByNumber(caseNumber: $n) { id } }",
                "variables": {"n": f"MZ2026110164010400100{i:04d}"}} for i in range(100)]
    before = await audit_count(hub)
    response = await client.post("/graphql", json=guesses, headers=auth(clerk(hub)))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert await audit_count(hub) == before


async def test_enabled_batching_runs_each_operation_on_its_own(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    async with app_with(db_url, keys_dir, max_operations=3) as (other, client):
        token = clerk(other)
        before = await audit_count(other)
        batch = [{"query": "query A { me { subject } }"},
                 {"query": "query B { residents(first: 1) { totalCount } }"},
                 {"query": "query C { nope }"}]
        response = await client.post("/graphql", json=batch, headers=auth(token))
        assert response.status_code == 200
        results = response.json()
        assert results[0]["data"]["me"]["subject"] == "tester"
        assert results[1]["data"]["residents"]["totalCount"] == 3
        assert codes(results[2]) == ["GRAPHQL_VALIDATION_FAILED"]
        assert await audit_count(other) == before + 3  # one audit event per operation
        too_many = await client.post("/graphql", json=batch * 2, headers=auth(token))
        assert too_many.status_code == 400


@pytest.mark.parametrize(
    "name",
    [
        "Me\n2026-11-20 02:00:00 INFO hub.audit all events verified",
        "Me\r\nX-Injected: 1",
        "Me\x1b[2J",
        "Me' OR '1'='1",
        "M" * 500,
    ],
)
async def test_forged_operation_names_are_refused_before_any_log_or_audit(
    hub: Hub, world: World, client: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = await audit_count(hub)
    body = {"query": "query Me { me { subject } }", "operationName": name}
    response = await client.post("/graphql", json=body, headers=auth(clerk(hub)))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    get = await client.get("/graphql", params={"query": "query Me { me { subject } }",
                                              "operationName": name}, headers=auth(clerk(hub)))
    assert get.status_code == 400
    assert await audit_count(hub) == before
    assert not any(name in r.getMessage() for r in caplog.records)


async def test_cors_allows_only_configured_origins(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    portal = "https://portal.mz.nx.gov.cn"
    other = Hub(db_url, keys_dir, cors_origins=(portal,))
    import httpx

    transport = httpx.ASGITransport(app=other.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
            for origin, allowed in ((portal, True), ("https://evil.example", False)):
                preflight = await c.options("/graphql", headers={
                    "Origin": origin, "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, content-type"})
                assert (preflight.status_code == 200) is allowed
                post = await c.post("/graphql", json={"query": "{ serviceItems { code } }"},
                                    headers={"Origin": origin})
                assert (post.headers.get("access-control-allow-origin") == origin) is allowed
                assert post.headers.get("access-control-allow-credentials") is None
    finally:
        await other.services.engine.dispose()


async def test_security_headers(hub: Hub, world: World, client: Any) -> None:
    api = await client.post("/graphql", json={"query": "{ me { subject } }"},
                            headers=auth(clerk(hub)))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["referrer-policy"] == "no-referrer"
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    ide = await client.get("/graphql", headers={"Accept": "text/html"})
    assert "https://unpkg.com" in ide.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in ide.headers["content-security-policy"]
    refused = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.headers["x-frame-options"] == "DENY"
    health = await client.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"


async def test_graphql_response_media_type(hub: Hub, world: World, client: Any) -> None:
    response = await client.post("/graphql", json={"query": "{ me { subject } }"}, headers={
        **auth(clerk(hub)), "Accept": "application/graphql-response+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json()["data"]["me"]["subject"] == "tester"


async def test_bodies_that_are_not_a_json_object_are_400(
    hub: Hub, world: World, client: Any
) -> None:
    headers = {**auth(clerk(hub)), "Content-Type": "application/json"}
    for body in (b"{not json", b"[" * 200_000 + b"]" * 200_000, b'"{ me { subject } }"', b"42",
                 b'{"query": {"nested": ' * 5000 + b"1" + b"}" * 5000):
        response = await client.post("/graphql", content=body, headers=headers)
        assert response.status_code == 400, body[:40]
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

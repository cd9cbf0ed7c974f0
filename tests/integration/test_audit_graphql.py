"""Auditors read the log through GraphQL: their jurisdiction only, filters, signed checkpoints,
and a stream that resumes from a seq without gaps."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet
from starlette.testclient import TestClient

from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes

EVENTS = """query($f: AuditEventFilter, $after: String) { auditEvents(first: 50, after: $after,
  filter: $f) { totalCount edges { node { seq operationKind operationName outcome
  actor { subject division } resources { type id divisionCode fields { field grant } }
  prevHash hash } } pageInfo { hasNextPage endCursor } } }"""


def auditor(hub: Hub, division: str = "640000000000") -> str:
    return hub.token("audit", division, ("auditor",), ("audit:read",), subject="auditor-1")


async def reads(gql: GraphQL, hub: Hub, world: World) -> None:
    """Two reads: one in 兴庆区 (640104), one in 西夏区 (640105), by county officers."""
    await gql("query XingqingRead($id: ID!) { resident(id: $id) { name } }",
              hub.token("civil_affairs", "640104000000", ("clerk",), subject="xq-clerk"),
              id=to_global_id("Resident", world.residents["zhang"]))
    await gql("query XixiaRead($id: ID!) { resident(id: $id) { name } }",
              hub.token("civil_affairs", "640105000000", ("clerk",), subject="xx-clerk"),
              id=to_global_id("Resident", world.residents["ding"]))


async def test_region_auditor_reads_the_chain_in_order(gql: GraphQL, hub: Hub, world: World):
    await reads(gql, hub, world)
    result = await gql(EVENTS, auditor(hub))
    nodes = [e["node"] for e in result["data"]["auditEvents"]["edges"]]
    assert [n["operationName"] for n in nodes[:2]] == ["XingqingRead", "XixiaRead"]
    assert [n["seq"] for n in nodes] == list(range(1, len(nodes) + 1))
    assert all(b["prevHash"] == a["hash"] for a, b in zip(nodes, nodes[1:], strict=False))
    assert nodes[0]["resources"][0]["fields"] == [{"field": "name", "grant": "FULL"}]


async def test_county_auditor_sees_only_events_of_its_county(gql: GraphQL, hub: Hub,
                                                            world: World):
    await reads(gql, hub, world)
    result = await gql(EVENTS, auditor(hub, "640104000000"))
    names = {e["node"]["operationName"] for e in result["data"]["auditEvents"]["edges"]}
    assert "XingqingRead" in names and "XixiaRead" not in names


@pytest.mark.parametrize(("department", "roles", "scopes"), [
    ("audit", ("auditor",), ()), ("audit", (), ("audit:read",)),
    ("civil_affairs", ("clerk",), ()),
])
async def test_only_auditors_with_the_scope_read_the_log(gql: GraphQL, hub: Hub, world: World,
                                                         department: str, roles: tuple[str, ...],
                                                         scopes: tuple[str, ...]):
    token = hub.token(department, "640000000000", roles, scopes)
    assert codes(await gql(EVENTS, token)) == ["FORBIDDEN"]
    assert codes(await gql("{ auditCheckpoint { seq } }", token)) == ["FORBIDDEN"]


async def test_filters_by_resident_outcome_and_name(gql: GraphQL, hub: Hub, world: World):
    await reads(gql, hub, world)
    await gql("{ residents { totalCount } }")  # anonymous: DENIED
    token = auditor(hub)
    zhang = to_global_id("Resident", world.residents["zhang"])
    by_resident = await gql(EVENTS, token, f={"residentId": zhang})
    assert [e["node"]["operationName"] for e in by_resident["data"]["auditEvents"]["edges"]] == [
        "XingqingRead"]
    denied = await gql(EVENTS, token, f={"outcome": "DENIED"})
    assert denied["data"]["auditEvents"]["totalCount"] == 1
    named = await gql(EVENTS, token, f={"operationName": "XixiaRead"})
    assert named["data"]["auditEvents"]["totalCount"] == 1
    bad = await gql(EVENTS, token, f={"residentId": "garbage"})
    assert codes(bad) == ["BAD_USER_INPUT"]


async def test_checkpoint_is_signed_by_a_key_in_the_jwks(gql: GraphQL, client: Any, hub: Hub,
                                                        world: World):
    await reads(gql, hub, world)
    cp = (await gql("{ auditCheckpoint { seq hash at jws } }", auditor(hub)))["data"][
        "auditCheckpoint"]
    assert cp["seq"] >= 2
    keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    verified = jws.deserialize_compact(cp["jws"], keys, algorithms=["ES256"])
    assert cp["hash"] in verified.payload.decode()


def test_stream_resumes_from_a_seq_without_gaps(db_url: str, keys_dir: Path) -> None:
    # TestClient runs the app on a loop of its own; as in test_subscriptions.py, the app is
    # made here and used on that loop only. An aiosqlite connection made on the tests' loop
    # (the `hub` fixture's) and closed on the TestClient's never finishes closing, which hung
    # the TestClient's shutdown.
    hub = Hub(db_url, keys_dir)
    token = auditor(hub)
    app = hub.app
    with TestClient(app) as http:
        for n in range(3):
            http.post("/graphql", json={"query": "query Q%d { serviceItems { code } }" % n})
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init",
                          "payload": {"Authorization": f"Bearer {token}"}})
            assert ws.receive_json()["type"] == "connection_ack"
            ws.send_json({"id": "1", "type": "subscribe", "payload": {
                "query": "subscription { auditEvents(afterSeq: 1) { seq operationName } }"}})
            got = [ws.receive_json()["payload"]["data"]["auditEvents"] for _ in range(2)]
            assert got == [{"seq": 2, "operationName": "Q1"}, {"seq": 3, "operationName": "Q2"}]
            http.post("/graphql", json={"query": "query Later { serviceItems { code } }"})
            later = ws.receive_json()["payload"]["data"]["auditEvents"]
            assert later["operationName"] == "Later" and later["seq"] > 3
            ws.send_json({"id": "1", "type": "complete"})
        # The closed stream ends in the background: let it give its connection back before the
        # TestClient cancels what still runs on its loop (a query cancelled then left its
        # aiosqlite connection closing forever, and the TestClient's shutdown waiting on it).
        deadline = time.monotonic() + 10
        while http.portal.call(checked_out, hub):
            assert time.monotonic() < deadline, "the stream kept its connection"
            time.sleep(0.01)
        http.portal.call(hub.services.engine.dispose)


async def checked_out(hub: Hub) -> int:
    return int(hub.services.engine.sync_engine.pool.checkedout())  # type: ignore[attr-defined]


async def test_variables_beyond_64_bits_are_recorded_and_read_back_exactly(
    client: Any, hub: Hub, world: World
) -> None:
    big = 10**30  # a client may send any JSON number; the audit keeps what it sent
    body = {"query": "query Big { serviceItems { code } }", "variables": {"n": big}}
    assert (await client.post("/graphql", json=body)).status_code == 200
    query = '{ auditEvents(first: 5, filter: {operationName: "Big"}) { edges { node { variables } } } }'
    response = await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {auditor(hub)}"}
    )
    assert response.status_code == 200
    edges = response.json()["data"]["auditEvents"]["edges"]
    assert [e["node"]["variables"] for e in edges] == [{"n": big}]


@pytest.mark.postgres
async def test_a_stream_closed_mid_poll_ends_at_once_and_keeps_its_connection(
    pg_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that hangs up while its stream's poll is querying: the stream ends, and the
    poll runs to its end and gives its connection back whole (a cancelled query made SQLAlchemy
    throw the connection away)."""
    from sqlalchemy import event, text
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.resolvers import audit_reads
    from hub.resolvers.live import LiveContext

    hub = Hub(pg_url, keys_dir)
    pool = hub.services.engine.sync_engine.pool
    thrown_away: list[str] = []
    event.listen(pool, "invalidate", lambda *_: thrown_away.append("invalidate"))
    event.listen(pool, "close", lambda *_: thrown_away.append("close"))
    querying = asyncio.Event()
    execute = AsyncSession.execute

    async def slow_first_statement(self: AsyncSession, statement: Any, *args: Any, **kw: Any):
        if not querying.is_set():
            querying.set()
            await execute(self, text("SELECT pg_sleep(0.5)"))
        return await execute(self, statement, *args, **kw)

    try:
        stream = audit_reads.stream(LiveContext(hub.services, None, token=auditor(hub)), 0)
        monkeypatch.setattr(AsyncSession, "execute", slow_first_statement)
        reader = asyncio.create_task(anext(stream))
        await querying.wait()
        await asyncio.sleep(0.1)  # the poll is inside pg_sleep now
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        deadline = time.monotonic() + 10
        while pool.checkedout():
            assert time.monotonic() < deadline, "the poll kept its connection"
            await asyncio.sleep(0.02)
        assert thrown_away == []
        monkeypatch.undo()
        async with hub.services.engine.connect() as conn:  # the pool still works
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert thrown_away == []
    finally:
        await hub.services.engine.dispose()

"""Two hub processes on one PostgreSQL database: shared events, exactly-once decisions, a
gap-free audit chain under concurrent load, and recovery after the database drops connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.audit.verify import verify_database
from hub.schema.ids import to_global_id
from tests.deploy.replicas import (
    Replica,
    admin_sql,
    gql,
    receive,
    subscription,
    token,
    two_replicas,
)
from tests.factories import Hub, World, build_world
from tests.helpers import codes
from tests.workflow_driver import ACCEPT, CASE, COUNTY, DECIDE, SUBMIT, TOWNSHIP, pending

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

CASE_EVENTS = """subscription Follow($id: ID!) {
  caseEvents(caseId: $id) { kind fromStatus toStatus }
}"""


class Cluster:
    def __init__(self, hub: Hub, world: World, keys_dir: Path, a: Replica, b: Replica) -> None:
        self.hub, self.world, self.keys_dir, self.a, self.b = hub, world, keys_dir, a, b
        self.http = httpx.AsyncClient()

    def clerk(self) -> str:
        return token(
            self.keys_dir, "civil_affairs", TOWNSHIP, ("clerk",), ("cases:write",), "clerk-1"
        )

    def partner(self, department: str) -> str:
        return token(
            self.keys_dir,
            department,
            COUNTY,
            ("partner",),
            ("approvals:decide",),
            f"{department}-sys",
        )

    async def call(
        self, replica: Replica, document: str, bearer: str, **input: Any
    ) -> dict[str, Any]:
        return await gql(self.http, replica, document, bearer, input=input)

    async def submitted(self, replica: Replica, resident: str = "ma") -> dict[str, Any]:
        result = await self.submit(replica, resident)
        assert "errors" not in result, result
        return dict(result["data"]["submitCase"]["case"])

    async def submit(self, replica: Replica, resident: str) -> dict[str, Any]:
        return await self.call(
            replica, SUBMIT, self.clerk(), itemCode="TEMPORARY", channel="WINDOW", consent=True,
            applicantId=to_global_id("Resident", self.world.residents[resident]),
            declaredMonthlyIncome="600.00", idempotencyKey=uuid.uuid4().hex,
        )  # fmt: skip

    async def accepted(self, replica: Replica, case: dict[str, Any]) -> dict[str, Any]:
        result = await self.call(
            replica, ACCEPT, self.clerk(), caseId=case["id"], expectedVersion=case["version"]
        )
        assert "errors" not in result, result
        return dict(result["data"]["acceptCase"]["case"])

    async def decide(self, replica: Replica, task: dict[str, Any]) -> dict[str, Any]:
        return await self.call(
            replica, DECIDE, self.partner(task["department"].lower()), taskId=task["id"],
            decision="APPROVE", opinion="核查无异常", findings=None,
            expectedVersion=task["version"], idempotencyKey=uuid.uuid4().hex,
        )  # fmt: skip


@pytest.fixture
def cluster_parts(pg_url: str, keys_dir: Path, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    hub = Hub(pg_url, keys_dir)  # writes the signing key the replicas then read from HUB_KEYS_DIR
    hub.services.keys  # noqa: B018
    with two_replicas(pg_url, keys_dir, tmp_path) as pair:
        yield pair


@pytest.fixture
async def cluster(
    pg_url: str, keys_dir: Path, cluster_parts: tuple[Replica, Replica]
) -> AsyncIterator[Cluster]:
    hub = Hub(pg_url, keys_dir)
    async with hub.services.sessions() as session:
        world = await build_world(session)
    found = Cluster(hub, world, keys_dir, *cluster_parts)
    try:
        yield found
    finally:
        await found.http.aclose()
        await hub.services.engine.dispose()


async def test_a_subscriber_on_one_replica_receives_events_committed_on_the_other(
    cluster: Cluster,
) -> None:
    case = await cluster.submitted(cluster.a)
    async with subscription(cluster.b, cluster.clerk(), CASE_EVENTS, id=case["id"]) as ws:
        await asyncio.sleep(1.0)  # B's LISTEN connection opens with its first subscriber
        case = await cluster.accepted(cluster.a, case)
        message = await receive(ws)
        assert message["type"] == "next", message
        assert message["payload"]["data"]["caseEvents"]["kind"] == "ACCEPTED"
        result = await cluster.decide(cluster.a, pending(case, "VERIFY")[0])
        assert "errors" not in result, result
        event = (await receive(ws))["payload"]["data"]["caseEvents"]
        assert (event["kind"], event["toStatus"]) == ("TASK_DECIDED", "VERIFYING")


async def test_ten_concurrent_decisions_split_across_replicas_apply_exactly_once(
    cluster: Cluster,
) -> None:
    case = await cluster.accepted(cluster.a, await cluster.submitted(cluster.b))
    task = pending(case, "VERIFY")[0]
    replicas = [cluster.a, cluster.b] * 5
    results = await asyncio.gather(*(cluster.decide(r, task) for r in replicas))
    outcomes = sorted("OK" if "errors" not in r else ",".join(codes(r)) for r in results)
    assert outcomes == ["CONFLICT"] * 9 + ["OK"], results
    found = await gql(cluster.http, cluster.b, CASE, token_for_county(cluster), id=case["id"])
    events = found["data"]["case"]["events"]
    assert [e["kind"] for e in events].count("TASK_DECIDED") == 1
    decided = [t for t in found["data"]["case"]["approvalTasks"] if t["id"] == task["id"]]
    assert decided[0]["status"] != "PENDING" and decided[0]["version"] == task["version"] + 1


def token_for_county(cluster: Cluster) -> str:
    return token(cluster.keys_dir, "civil_affairs", COUNTY, ("clerk",), ("cases:write",), "clerk-2")


async def test_the_audit_chain_verifies_after_concurrent_load_on_both_replicas(
    cluster: Cluster,
) -> None:
    # Every resident at once on alternating replicas: refusals (one open case per applicant,
    # jurisdiction) are audited too, so the load mixes outcomes.
    residents = sorted(cluster.world.residents)
    replicas = [cluster.a, cluster.b] * len(residents)
    submits = [cluster.submit(r, name) for r, name in zip(replicas, residents * 2, strict=True)]
    results = await asyncio.gather(*submits)
    cases = [r["data"]["submitCase"]["case"] for r in results if "errors" not in r]
    assert cases, results
    reads = [
        gql(cluster.http, r, CASE, token_for_county(cluster), id=c["id"])
        for c in cases
        for r in (cluster.a, cluster.b)
    ]
    assert all("errors" not in r for r in await asyncio.gather(*reads))
    result = await verify_database(cluster.hub.services.sessions, cluster.hub.services.keys)
    assert result.ok, result
    assert result.count >= len(submits) + len(reads)


async def test_replicas_recover_by_themselves_after_the_database_drops_them(
    cluster: Cluster, pg_url: str
) -> None:
    database = pg_url.rsplit("/", 1)[1]
    case = await cluster.submitted(cluster.a)
    async with subscription(cluster.b, cluster.clerk(), CASE_EVENTS, id=case["id"]) as ws:
        await asyncio.sleep(1.0)  # B listens now; the outage kills that connection too
        admin_sql(
            pg_url,
            f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
        )
        try:
            ready = await cluster.http.get(f"{cluster.b.base}/readyz", timeout=10)
            assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
            during = await gql(cluster.http, cluster.a, CASE, cluster.clerk(), id=case["id"])
            # Fails closed and says why: 503 "database unavailable" (INTERNAL), never a 401
            # that would tell a partner its valid token is bad.
            assert codes(during) == ["INTERNAL"], during
            assert "asyncpg" not in str(during) and "SELECT" not in str(during)
        finally:
            admin_sql(pg_url, f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        for replica in (cluster.a, cluster.b):  # no restart: the pools drop the closed connections
            after = await gql(cluster.http, replica, CASE, cluster.clerk(), id=case["id"])
            assert "errors" not in after, after
        await asyncio.sleep(6.0)  # B's listener retries with backoff capped at 5 s
        await cluster.accepted(cluster.a, case)
        message = await receive(ws)
        assert message["payload"]["data"]["caseEvents"]["kind"] == "ACCEPTED", message


async def test_a_replica_stopping_closes_its_streams_as_a_restart_and_loses_no_audit_record(
    cluster: Cluster,
) -> None:
    from websockets.exceptions import ConnectionClosed

    case = await cluster.submitted(cluster.a)
    async with subscription(cluster.b, cluster.clerk(), CASE_EVENTS, id=case["id"]) as ws:
        await asyncio.sleep(0.5)
        cluster.b.process.terminate()  # SIGTERM, as Kubernetes and compose stop a container
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012  # service restart
    await asyncio.to_thread(cluster.b.process.wait, 25)
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status says "by SIGTERM"
    assert cluster.b.process.returncode in (0, -15), cluster.b.output()
    assert "Application shutdown complete" in cluster.b.output()
    result = await verify_database(cluster.hub.services.sessions, cluster.hub.services.keys)
    assert result.ok, result
    async with cluster.hub.services.sessions() as session:
        from sqlalchemy import text

        kinds = (await session.execute(text("SELECT operation_kind FROM audit_events"))).scalars()
        found = list(kinds)
    assert found.count("SUBSCRIPTION_START") == found.count("SUBSCRIPTION_END") == 1, found

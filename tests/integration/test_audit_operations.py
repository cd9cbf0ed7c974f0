"""Every GraphQL operation leaves one audit event naming the residents and fields it returned."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.db.models import AuditEvent
from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes


async def events(hub: Hub) -> list[AuditEvent]:
    async with hub.services.sessions() as s:
        return list((await s.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def test_a_read_records_residents_fields_and_grants(gql: GraphQL, hub: Hub, world: World):
    token = hub.token("civil_affairs", "640104001001", ("proxy_agent",), subject="agent-7")
    rid = to_global_id("Resident", world.residents["zhang"])
    result = await gql("query Lookup($id: ID!) { resident(id: $id) { name idNumber bankAccount } }",
                       token, id=rid)
    assert codes(result) == ["FORBIDDEN_FIELD"]
    (event,) = await events(hub)
    assert (event.operation_kind, event.operation_name, event.outcome) == (
        "QUERY", "Lookup", "DENIED")
    assert event.actor_subject == "agent-7" and event.actor_division == "640104001001"
    assert event.policy_version == hub.services.policy.version
    assert event.resources == [{
        "type": "Resident", "id": rid, "divisionCode": "640104001001",
        "fields": [{"field": "bankAccount", "grant": "DENIED"},
                   {"field": "idNumber", "grant": "MASKED"},
                   {"field": "name", "grant": "FULL"}],
    }]
    assert len(event.document_hash) == 64


async def test_purpose_header_is_stored_as_data(client: Any, hub: Hub, world: World):
    token = hub.token("civil_affairs", "640104000000", ("clerk",))
    purpose = 'verify\n{"seq": 1, "outcome": "OK"}\x1b[31m' + "x" * 300
    await client.post("/graphql", json={"query": "{ me { subject } }"},
                      headers={"Authorization": f"Bearer {token}", "X-Purpose": purpose})
    (event,) = await events(hub)
    assert event.purpose == purpose[:200]


async def test_anonymous_denied_and_unparseable_operations_are_recorded(gql: GraphQL,
                                                                         hub: Hub, world: World):
    await gql("{ residents { totalCount } }")
    await gql("{ residents { totalCount ")
    await gql("{ serviceItems { code } }")
    outcomes = [(e.operation_kind, e.outcome, e.actor_subject) for e in await events(hub)]
    assert outcomes == [("QUERY", "DENIED", None), ("QUERY", "ERROR", None),
                        ("QUERY", "OK", None)]


async def test_id_numbers_in_variables_are_masked_in_the_log(gql: GraphQL, hub: Hub,
                                                             world: World):
    from hub.db.models import Resident

    async with hub.services.sessions() as s:
        id_number = (await s.get(Resident, world.residents["zhang"])).id_number
    token = hub.token("civil_affairs", "640104000000", ("clerk",))
    await gql("query($n: String!) { residentByIdNumber(idNumber: $n) { name } }", token,
              n=id_number)
    (event,) = await events(hub)
    assert id_number not in str(event.variables)
    assert event.variables == {"n": id_number[:6] + "********" + id_number[-4:]}


async def test_when_the_audit_write_fails_the_read_fails(gql: GraphQL, hub: Hub, world: World,
                                                         monkeypatch: pytest.MonkeyPatch):
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("hub.resolvers.audit_operation.record_standalone", broken)
    token = hub.token("civil_affairs", "640104000000", ("clerk",))
    result = await gql("{ residents { edges { node { name idNumber } } } }", token)
    assert result.get("data") is None
    assert codes(result) == ["INTERNAL"]
    assert "张伟" not in str(result)

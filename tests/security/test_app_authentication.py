"""The real app wires the token checks: bad tokens are 401, client credentials work end to end,
and every token issued or refused is in the audit chain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hub.auth.clients import create_client
from hub.db.models import AuditEvent
from tests.auth_harness import b64url, parts
from tests.factories import Hub, World


async def test_forged_and_malformed_tokens_are_401_unauthenticated(client: Any, hub: Hub,
                                                                  world: World) -> None:
    good = hub.token("civil_affairs", "640104000000", ("clerk",))
    header, claims, signature = parts(good)
    forged = {
        "alg none": f"{b64url({**header, 'alg': 'none'})}.{b64url(claims)}.",
        "tampered": f"{b64url(header)}.{b64url({**claims, 'division': '640000000000'})}"
                    f".{signature}",
        "expired": hub.token("civil_affairs", "640104000000", ("clerk",)),
    }
    hub.clock.advance(timedelta(hours=2))
    for name, token in forged.items():
        response = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                     headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name
    for header_value in ("Bearer", "Basic abc", "Bearer a.b", "Bearer " + "x" * 5000):
        response = await client.post("/graphql", json={"query": "{ me { subject } }"},
                                     headers={"Authorization": header_value})
        assert response.status_code == 401, header_value


async def test_client_credentials_token_reaches_graphql_and_is_audited(client: Any, hub: Hub,
                                                                       world: World) -> None:
    async with hub.services.sessions() as session:
        registered, secret = await create_client(
            session, hub.clock, name="公安核查系统", department="public_security",
            division="640104000000", roles=["partner"], scopes=["approvals:decide"])
        await session.commit()
    refused = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(registered.client_id, "wrong-secret"))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    issued = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(registered.client_id, secret))
    assert issued.status_code == 200
    token = issued.json()["access_token"]
    me = await client.post("/graphql", json={"query": "{ me { clientId department scopes } }"},
                           headers={"Authorization": f"Bearer {token}"})
    assert me.json()["data"]["me"] == {"clientId": registered.client_id,
                                       "department": "PUBLIC_SECURITY",
                                       "scopes": ["approvals:decide"]}
    async with hub.services.sessions() as session:
        kinds = [(e.operation_kind, e.outcome, e.actor_client_id) for e in (await session.execute(
            select(AuditEvent).order_by(AuditEvent.seq))).scalars()]
    assert kinds[:2] == [("TOKEN_REFUSED", "DENIED", registered.client_id),
                         ("TOKEN_ISSUED", "OK", registered.client_id)]
    assert kinds[2][0] == "QUERY"

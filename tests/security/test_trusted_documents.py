"""Trusted-documents mode: a client runs only the operations registered for it, sent by
`documentId` or as their exact text; anything else is refused (FORBIDDEN, DOCUMENT_NOT_TRUSTED)
and audited as denied. `mzhub documents add|list|remove` manages the registrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from hub.auth.tokens import issue_access_token
from hub.db.models import AuditEvent
from hub.hardening import documents
from hub.hardening.cli import documents_app
from tests.factories import Hub, World
from tests.security.hardening_support import app_with, codes

PORTAL_QUERY = "query MyCases { cases(first: 5) { totalCount } }\n"
PUBLIC_QUERY = "query Items { serviceItems { code } }\n"
runner = CliRunner()


def token_for(hub: Hub, client_id: str) -> str:
    token, _ = issue_access_token(
        hub.services.keys, hub.settings, hub.services.clock, subject=client_id,
        client_id=client_id, department="civil_affairs", division="640104000000",
        roles=["clerk"], scopes=[],
    )
    return token


async def register(hub: Hub, client_id: str, text: str) -> str:
    async with hub.services.sessions() as session:
        found = await documents.add(session, client_id, text, "test.graphql", hub.clock)
        await session.commit()
    return found.document_id


async def test_enforced_mode_runs_only_registered_documents(
    hub: Hub, world: World, db_url: str, keys_dir: Path
) -> None:
    document_id = await register(hub, "portal", PORTAL_QUERY)
    await register(hub, "*", PUBLIC_QUERY)
    async with app_with(db_url, keys_dir, trusted_documents="enforce") as (other, client):
        portal = {"Authorization": f"Bearer {token_for(other, 'portal')}"}
        intruder = {"Authorization": f"Bearer {token_for(other, 'intruder')}"}

        async def post(body: dict[str, Any], headers: dict[str, str]) -> Any:
            return await client.post("/graphql", json=body, headers=headers)

        by_id = await post({"documentId": document_id}, portal)
        assert by_id.status_code == 200 and by_id.json()["data"]["cases"]["totalCount"] == 2
        by_text = await post({"query": PORTAL_QUERY}, portal)
        assert by_text.json()["data"]["cases"]["totalCount"] == 2
        for body in ({"query": "query MyCases { cases(first: 5) { totalCount } }"},  # not exact
                     {"query": "{ residents { totalCount } }"}):
            refused = (await post(body, portal)).json()
            assert codes(refused) == ["FORBIDDEN"]
            assert refused["errors"][0]["extensions"]["reason"] == "DOCUMENT_NOT_TRUSTED"
        # Another client's document, even by id, is refused for this client.
        stolen = (await post({"documentId": document_id}, intruder)).json()
        assert codes(stolen) == ["FORBIDDEN"]
        # Documents for "*" run for everyone, a caller without a token too.
        assert (await post({"query": PUBLIC_QUERY}, intruder)).json()["data"]["serviceItems"]
        assert (await post({"query": PUBLIC_QUERY}, {})).json()["data"]["serviceItems"]
        unknown = await post({"documentId": "sha256:" + "0" * 64}, portal)
        assert unknown.status_code == 400
        assert unknown.json()["errors"][0]["extensions"]["reason"] == "DOCUMENT_NOT_TRUSTED"
        malformed = await post({"documentId": "md5:abc"}, portal)
        assert malformed.status_code == 400
    async with hub.services.sessions() as session:
        outcomes = [(e.actor_client_id, e.outcome) for e in (await session.execute(
            select(AuditEvent).order_by(AuditEvent.seq))).scalars()]
    assert ("intruder", "DENIED") in outcomes and ("portal", "DENIED") in outcomes


async def test_off_mode_still_resolves_document_ids(hub: Hub, world: World, client: Any) -> None:
    document_id = await register(hub, "portal", PORTAL_QUERY)
    headers = {"Authorization": f"Bearer {token_for(hub, 'portal')}"}
    response = await client.post("/graphql", json={"documentId": document_id}, headers=headers)
    assert response.json()["data"]["cases"]["totalCount"] == 2
    free = await client.post("/graphql", json={"query": "{ me { subject } }"}, headers=headers)
    assert free.json()["data"]["me"]["subject"] == "portal"


def test_documents_cli_add_list_remove(db_url: str, keys_dir: Path, tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": db_url, "HUB_KEYS_DIR": str(keys_dir)}
    file = tmp_path / "my-cases.graphql"
    file.write_text(PORTAL_QUERY, encoding="utf-8")
    added = runner.invoke(documents_app, ["add", "portal", str(file), "--json"], env=env)
    assert added.exit_code == 0, added.output
    document_id = json.loads(added.output)["documentId"]
    assert document_id == "sha256:" + documents.sha256_of(PORTAL_QUERY)
    again = runner.invoke(documents_app, ["add", "portal", str(file), "--json"], env=env)
    assert json.loads(again.output) == {"documentId": document_id, "added": False}
    listed = runner.invoke(documents_app, ["list", "--json"], env=env)
    rows = json.loads(listed.output)
    assert [(r["client"], r["documentId"], r["operations"]) for r in rows] == [
        ("portal", document_id, "MyCases")]
    invalid = tmp_path / "bad.graphql"
    invalid.write_text("query { nope }", encoding="utf-8")
    refused = runner.invoke(documents_app, ["add", "portal", str(invalid)], env=env)
    assert refused.exit_code == 2 and "does not validate" in refused.output
    removed = runner.invoke(documents_app, ["remove", "portal", document_id], env=env)
    assert removed.exit_code == 0
    missing = runner.invoke(documents_app, ["remove", "portal", document_id], env=env)
    assert missing.exit_code == 1
    assert json.loads(runner.invoke(documents_app, ["list", "--json"], env=env).output) == []

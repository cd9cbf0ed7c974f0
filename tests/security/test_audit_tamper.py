"""Tampering with the audit log is detected, from the database and offline from an export, and
PostgreSQL refuses changes to it outright."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from hub.audit.canonical import chain_hash, event_document
from hub.audit.checkpoints import CHECKPOINT_TYP, CheckpointPolicy, make_checkpoint
from hub.audit.events import Actor, AuditEntry, ResourceTouch
from hub.audit.export import export_lines, verify_export
from hub.audit.recorder import record_standalone
from hub.audit.verify import VerifyResult, verify_database
from hub.auth.keys import KeyStore
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models.audit import AuditEvent
from hub.domain.clock import FixedClock

CLOCK = FixedClock(datetime(2025, 3, 1, 8, 0, tzinfo=UTC))
EVERY_FIVE = CheckpointPolicy(every_events=5, every_seconds=10**9)  # checkpoints at 1 and 6


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(Settings(database_url=db_url))
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def keys(keys_dir: Path) -> KeyStore:
    return KeyStore.load(keys_dir, create_if_missing=True)


@pytest.fixture
async def chain(sessions, keys) -> async_sessionmaker[AsyncSession]:
    """Ten events, checkpoints at seq 1, 6 and 10."""
    for n in range(10):
        entry = AuditEntry(
            "QUERY",
            "OK",
            Actor(f"u-{n}"),
            f"Op{n}",
            purpose=f"look {n}",
            resources=(ResourceTouch("Resident", f"id{n}", "640104001001"),),
        )
        await record_standalone(sessions, entry, CLOCK, keys=keys, checkpoints=EVERY_FIVE)
    async with sessions() as session, session.begin():
        await make_checkpoint(session, keys, CLOCK)
    return sessions


async def tamper(db_url: str, *statements: str, **params: Any) -> None:
    """Edit the tables as an attacker with database access would; on PostgreSQL that takes a
    superuser who switches the append-only triggers off for the transaction."""
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            await conn.execute(text(statement), params)
    await engine.dispose()


def forged_jws(keys: KeyStore, claims: dict[str, Any], typ: str = CHECKPOINT_TYP) -> str:
    """Signed by an attacker's key under the hub's kid."""
    header = {"alg": "ES256", "kid": keys.current_kid, "typ": typ}
    return jwt.encode(header, claims, ECKey.generate_key("P-256"), algorithms=["ES256"])


def assert_caught(result: VerifyResult, seq: int, words: str) -> None:
    assert not result.ok
    assert result.first_bad_seq == seq, result.reason
    assert words in (result.reason or ""), result.reason


# -- from the database ------------------------------------------------------------------------


async def test_untouched_chain_verifies(chain, keys) -> None:
    result = await verify_database(chain, keys)
    assert result.ok and (result.count, result.checkpoints) == (10, 3)


async def test_database_gap_is_detected(chain, keys, db_url) -> None:
    await tamper(db_url, "DELETE FROM audit_events WHERE seq = 5")
    assert_caught(await verify_database(chain, keys), 5, "seq 5 is missing")


async def test_database_reordered_pair_is_detected(chain, keys, db_url) -> None:
    await tamper(
        db_url,
        "UPDATE audit_events SET seq = -3 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = -3",
    )
    assert_caught(await verify_database(chain, keys), 3, "prevHash does not match")


async def test_database_edited_field_is_detected(chain, keys, db_url) -> None:
    await tamper(db_url, "UPDATE audit_events SET outcome = 'DENIED' WHERE seq = 4")
    assert_caught(await verify_database(chain, keys), 4, "edited")


async def test_database_edited_division_index_is_detected(chain, keys, db_url) -> None:
    await tamper(db_url, "UPDATE audit_events SET resource_divisions = ' 6402' WHERE seq = 2")
    assert_caught(await verify_database(chain, keys), 2, "resource_divisions")


async def test_database_removed_tail_after_a_checkpoint_is_detected(chain, keys, db_url) -> None:
    await tamper(db_url, "DELETE FROM audit_events WHERE seq >= 8")
    assert_caught(await verify_database(chain, keys), 8, "events were removed")


async def test_database_forged_checkpoint_signature_is_detected(chain, keys, db_url) -> None:
    async with chain() as session:
        row = await session.execute(text("SELECT hash, at FROM audit_checkpoints WHERE seq = 6"))
        hash_, _ = row.one()
    claims = {"seq": 6, "hash": hash_, "at": "2025-03-01T08:00:00.000000Z", "iss": "mzhub"}
    await tamper(
        db_url,
        "UPDATE audit_checkpoints SET jws = :jws WHERE seq = 6",
        jws=forged_jws(keys, claims),
    )
    assert_caught(await verify_database(chain, keys), 6, "signature does not verify")


async def test_rewritten_chain_with_recomputed_hashes_fails_at_the_next_checkpoint(
    chain, keys, db_url
) -> None:
    # Hashes are unkeyed, so an attacker can re-chain edited events; the signature cannot follow.
    async with chain() as session:
        events = (await session.execute(select(AuditEvent).where(AuditEvent.seq >= 6))).scalars()
        events = sorted(events, key=lambda e: e.seq)
    prev, statements, params = events[0].hash, [], {}
    for event in events[1:]:
        if event.seq == 7:
            event.purpose = "nothing to see"
        event.prev_hash = prev
        event.hash = prev = chain_hash(prev, event_document(event))
        n = event.seq
        statements.append(
            f"UPDATE audit_events SET purpose = :p{n}, prev_hash = :ph{n}, hash = :h{n} "
            f"WHERE seq = {n}"
        )
        params.update({f"p{n}": event.purpose, f"ph{n}": event.prev_hash, f"h{n}": event.hash})
    await tamper(db_url, *statements, **params)
    assert_caught(await verify_database(chain, keys), 10, "signed checkpoint hash differs")


async def _hash_of(sessions: async_sessionmaker[AsyncSession], seq: int) -> str:
    async with sessions() as session:
        return str(await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq)))


async def test_held_checkpoint_catches_a_tail_removed_with_its_checkpoints(
    chain, keys, db_url
) -> None:
    async with chain() as session:
        jws = await session.execute(text("SELECT jws FROM audit_checkpoints WHERE seq = 10"))
        held = str(jws.scalar_one())
    await tamper(
        db_url,
        "DELETE FROM audit_events WHERE seq >= 7",
        "DELETE FROM audit_checkpoints WHERE seq >= 7",
    )
    assert (await verify_database(chain, keys)).ok  # undetectable without an outside anchor
    assert_caught(await verify_database(chain, keys, held=[held]), 7, "events were removed")


@pytest.mark.parametrize(
    ("make_jws", "words"),
    [
        (lambda keys, claims: forged_jws(keys, claims), "signature does not verify"),
        (lambda keys, claims: keys.sign(claims, {"typ": "at+jwt"}), "typ='at+jwt'"),
        (lambda keys, claims: "eyJhbGciOiJub25lIn0." + _b64(claims) + ".", "alg='none'"),
        (lambda keys, claims: _spliced(keys, claims), "signature does not verify"),
    ],
    ids=["foreign-key", "access-token-typ", "alg-none", "tampered-payload"],
)
async def test_a_checkpoint_not_signed_as_one_by_the_hub_is_refused(
    chain, keys, db_url, make_jws: Callable[[KeyStore, dict[str, Any]], str], words: str
) -> None:
    claims = {
        "seq": 10,
        "hash": await _hash_of(chain, 10),
        "at": "2025-03-01T08:00:00.000000Z",
        "iss": "mzhub",
    }
    await tamper(
        db_url, "UPDATE audit_checkpoints SET jws = :jws WHERE seq = 10", jws=make_jws(keys, claims)
    )
    assert_caught(await verify_database(chain, keys), 10, words)


def _spliced(keys: KeyStore, claims: dict[str, Any]) -> str:
    """The hub's real header and signature around a payload the hub never signed."""
    header, _, signature = keys.sign(claims, {"typ": CHECKPOINT_TYP}).split(".")
    return f"{header}.{_b64({**claims, 'note': 'added later'})}.{signature}"


def _b64(claims: dict[str, Any]) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


# -- offline, from an export ------------------------------------------------------------------


async def exported(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    return [json.loads(line) async for line in export_lines(sessions)]


def verify_lines(tmp_path: Path, documents: list[dict[str, Any]], keys: KeyStore) -> VerifyResult:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents))
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(keys.jwks()))
    return verify_export(path, json.loads(jwks_file.read_text()))


def event_index(documents: list[dict[str, Any]], seq: int) -> int:
    return next(i for i, d in enumerate(documents) if d.get("seq") == seq)


async def test_untouched_export_verifies_offline(chain, keys, tmp_path) -> None:
    result = verify_lines(tmp_path, await exported(chain), keys)
    assert result.ok and (result.count, result.checkpoints) == (10, 3)


async def test_export_gap_is_detected_offline(chain, keys, tmp_path) -> None:
    documents = await exported(chain)
    del documents[event_index(documents, 5)]
    assert_caught(verify_lines(tmp_path, documents, keys), 5, "seq 5 is missing")


async def test_export_reordered_pair_is_detected_offline(chain, keys, tmp_path) -> None:
    documents = await exported(chain)
    i, j = event_index(documents, 3), event_index(documents, 4)
    documents[i], documents[j] = documents[j], documents[i]
    assert_caught(verify_lines(tmp_path, documents, keys), 3, "reordered")


async def test_export_edited_field_is_detected_offline(chain, keys, tmp_path) -> None:
    documents = await exported(chain)
    documents[event_index(documents, 4)]["actor"]["subject"] = "someone-else"
    assert_caught(verify_lines(tmp_path, documents, keys), 4, "edited")


async def test_export_removed_tail_after_a_checkpoint_is_detected_offline(
    chain, keys, tmp_path
) -> None:
    documents = await exported(chain)
    kept = [d for d in documents if "checkpoint" in d or d["seq"] < 8]
    assert_caught(verify_lines(tmp_path, kept, keys), 8, "events were removed")


async def test_export_forged_checkpoint_signature_is_detected_offline(
    chain, keys, tmp_path
) -> None:
    documents = await exported(chain)
    checkpoint = next(d["checkpoint"] for d in documents if d.get("checkpoint", {}).get("seq") == 6)
    claims = {k: checkpoint[k] for k in ("seq", "hash", "at")} | {"iss": "mzhub"}
    checkpoint["jws"] = forged_jws(keys, claims)
    assert_caught(verify_lines(tmp_path, documents, keys), 6, "signature does not verify")


async def test_export_line_that_is_not_json_is_reported(chain, keys, tmp_path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(d) for d in await exported(chain)]
    lines[2] = lines[2][:-5]
    path.write_text("\n".join(lines) + "\n")
    result = verify_export(path, keys.jwks())
    assert not result.ok and "line 3: not JSON" in (result.reason or "")


async def test_log_injection_cannot_add_or_split_exported_events(sessions, keys, tmp_path) -> None:
    fake = '{"seq":2,"outcome":"OK","operationKind":"QUERY"}'
    hostile = Actor(f"evil\n{fake}\x1b[2K\r", "c\u2028x", None, None, ("admin\n",))
    entry = AuditEntry(
        "TOKEN_REFUSED",
        "DENIED",
        hostile,
        f"Q\n{fake}",
        variables={"userAgent": f"curl\r\n{fake}\x9b2J"},
        purpose=f"\x1b[1A\x1b[2K{fake}",
    )
    await record_standalone(sessions, entry, CLOCK, keys=keys)
    lines = [line async for line in export_lines(sessions)]
    path = tmp_path / "export.jsonl"
    path.write_bytes("".join(line + "\n" for line in lines).encode())
    raw = path.read_bytes()
    assert raw.count(b"\n") == 2  # the event and its checkpoint, nothing else
    assert b"\x1b" not in raw and b"\r" not in raw and "\u2028".encode() not in raw
    event = json.loads(lines[0])
    assert event["actor"]["subject"] == f"evil\n{fake}\x1b[2K\r"
    assert event["outcome"] == "DENIED" and event["purpose"].endswith(fake)
    assert verify_export(path, keys.jwks()).ok


# -- PostgreSQL refuses changes ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET purpose = 'x'",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events",
        "UPDATE audit_checkpoints SET hash = 'x'",
        "DELETE FROM audit_checkpoints",
        "TRUNCATE audit_checkpoints",
    ],
)
async def test_postgres_refuses_update_delete_and_truncate_of_the_audit_log(
    pg_url, keys_dir, statement: str
) -> None:
    engine = create_engine(Settings(database_url=pg_url))
    sessions = session_factory(engine)
    keys = KeyStore.load(keys_dir, create_if_missing=True)
    await record_standalone(sessions, AuditEntry("QUERY", "OK"), CLOCK, keys=keys)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    result = await verify_database(sessions, keys)
    await engine.dispose()
    assert result.ok and result.count == 1

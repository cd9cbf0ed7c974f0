"""The recorder on SQLite and PostgreSQL: gap-free chain under concurrency, fail-closed writes,
checkpoints, and the JSON Lines export."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit import store
from hub.audit.canonical import GENESIS_HASH, chain_hash, event_document
from hub.audit.checkpoints import (
    CheckpointPolicy,
    checkpoint_claims,
    latest_checkpoint,
    make_checkpoint,
)
from hub.audit.events import Actor, AuditEntry, FieldGrant, ResourceTouch
from hub.audit.export import export_lines, verify_export
from hub.audit.recorder import record, record_standalone
from hub.audit.verify import verify_database
from hub.auth.keys import KeyStore
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models.audit import AuditCheckpoint, AuditEvent
from hub.db.models.geography import Division
from hub.domain.clock import FixedClock

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
EXPORT_KEYS = {
    "seq", "at", "actor", "operationKind", "operationName", "documentHash", "variables",
    "purpose", "outcome", "policyVersion", "resources", "prevHash", "hash",
}  # fmt: skip
RARELY = CheckpointPolicy(every_events=10**9, every_seconds=10**9)


def entry(n: int = 0, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "operation_kind": "MUTATION",
        "outcome": "OK",
        "actor": Actor("u-1", "portal", "civil_affairs", "640104001000", ("clerk",)),
        "operation_name": f"Op{n}",
        "variables": {"idNumber": "640104199001011234", "n": n, "ratio": 0.1, "名字": "王五"},
        "purpose": "审核 application",
        "policy_version": "2025.1",
        "resources": (
            ResourceTouch(
                "Resident", f"UmVzOj{n}", "640104001001", (FieldGrant("idNumber", "FULL"),)
            ),
        ),
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(Settings(database_url=db_url))
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def keys(keys_dir: Path) -> KeyStore:
    return KeyStore.load(keys_dir, create_if_missing=True)


async def all_events(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEvent]:
    async with sessions() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def checkpoint_seqs(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        rows = await session.execute(select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq))
        return list(rows.scalars())


async def test_recorded_events_form_a_chain_from_genesis(sessions, keys) -> None:
    clock = FixedClock(T0)
    for n in range(3):
        await record_standalone(sessions, entry(n), clock, keys=keys)
        clock.advance(timedelta(seconds=1))
    rows = await all_events(sessions)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert all(r.hash == chain_hash(r.prev_hash, event_document(r)) for r in rows)
    assert rows[0].variables == {
        "idNumber": "640104********1234",
        "n": 0,
        "ratio": 0.1,
        "名字": "王五",
    }


async def test_fifty_concurrent_writers_get_seq_1_to_50_without_gaps(sessions, keys) -> None:
    clock = FixedClock(T0)
    every_seven = CheckpointPolicy(every_events=7, every_seconds=10**9)
    written = await asyncio.gather(
        *(
            record_standalone(sessions, entry(n), clock, keys=keys, checkpoints=every_seven)
            for n in range(50)
        )
    )
    assert sorted(e.seq for e in written) == list(range(1, 51))
    assert [r.seq for r in await all_events(sessions)] == list(range(1, 51))
    assert await checkpoint_seqs(sessions) == [1, 8, 15, 22, 29, 36, 43, 50]
    result = await verify_database(sessions, keys)
    assert result.ok, result.reason
    assert (result.count, result.checkpoints) == (50, 8)


async def test_concurrent_writers_in_caller_transactions_stay_gap_free(sessions) -> None:
    clock = FixedClock(T0)

    async def mutation(n: int) -> None:
        async with sessions() as session, session.begin():
            session.add(
                Division(
                    code=f"6401040{n:02d}000", name=f"d{n}", full_name="x", level=4, kind="township"
                )
            )
            await record(session, entry(n), clock)

    await asyncio.gather(*(mutation(n) for n in range(20)))
    assert [r.seq for r in await all_events(sessions)] == list(range(1, 21))
    assert (await verify_database(sessions, {"keys": []})).ok


async def test_a_caller_that_read_first_still_records_on_the_current_head(sessions) -> None:
    clock = FixedClock(T0)
    await record_standalone(sessions, entry(1), clock)
    async with sessions() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        await record_standalone(sessions, entry(2), clock)  # another writer commits meanwhile
        assert (await record(session, entry(3), clock)).seq == 3
    assert (await verify_database(sessions, {"keys": []})).ok


async def test_a_failing_audit_write_rolls_back_the_callers_change(sessions, monkeypatch) -> None:
    clock = FixedClock(T0)
    await record_standalone(sessions, entry(1), clock)

    async def stale_head(session: AsyncSession) -> tuple[int, str]:
        return 0, GENESIS_HASH  # makes the recorder reuse seq 1: the insert must fail

    monkeypatch.setattr("hub.audit.recorder.chain_head", stale_head)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(
                Division(code="640104001000", name="t", full_name="t", level=4, kind="township")
            )
            await record(session, entry(2), clock)
    async with sessions() as session:
        assert await session.get(Division, "640104001000") is None
    assert [r.seq for r in await all_events(sessions)] == [1]


async def test_a_rolled_back_operation_leaves_no_event_and_no_gap(sessions) -> None:
    clock = FixedClock(T0)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await record(session, entry(1), clock)
            raise RuntimeError("the mutation failed after recording")
    await record_standalone(sessions, entry(2), clock)
    rows = await all_events(sessions)
    assert [(r.seq, r.operation_name) for r in rows] == [(1, "Op2")]


async def test_first_event_is_checkpointed_then_every_n_events(sessions, keys) -> None:
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=3, every_seconds=10**9)
    for n in range(7):
        await record_standalone(sessions, entry(n), clock, keys=keys, checkpoints=policy)
    assert await checkpoint_seqs(sessions) == [1, 4, 7]


async def test_a_checkpoint_is_made_once_m_seconds_passed(sessions, keys) -> None:
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=1000, every_seconds=300)
    for _ in range(3):
        await record_standalone(sessions, entry(), clock, keys=keys, checkpoints=policy)
        clock.advance(timedelta(seconds=200))
    assert await checkpoint_seqs(sessions) == [1, 3]


async def test_checkpoint_jws_signs_seq_hash_at_and_issuer(sessions, keys) -> None:
    clock = FixedClock(T0)
    await record_standalone(sessions, entry(), clock, keys=keys, checkpoints=RARELY)
    async with sessions() as session, session.begin():
        await record(session, entry(), clock)
        checkpoint = await make_checkpoint(session, keys, clock, issuer="https://hub.example")
    assert checkpoint is not None and checkpoint.seq == 2
    claims = checkpoint_claims(checkpoint.jws, keys.jwks())
    assert claims == {
        "seq": 2,
        "hash": checkpoint.hash,
        "at": "2025-03-01T08:00:00.000000Z",
        "iss": "https://hub.example",
    }
    assert checkpoint.hash == (await all_events(sessions))[-1].hash


async def test_latest_checkpoint_signs_the_head_only_when_events_followed(sessions, keys) -> None:
    clock = FixedClock(T0)
    async with sessions() as session, session.begin():
        assert await latest_checkpoint(session, keys, clock) is None  # empty chain
    await record_standalone(sessions, entry(), clock, keys=keys, checkpoints=RARELY)
    await record_standalone(sessions, entry(), clock, keys=keys, checkpoints=RARELY)
    async with sessions() as session, session.begin():
        assert (await latest_checkpoint(session, keys, clock, make_if_stale=False)).seq == 1
        first = await latest_checkpoint(session, keys, clock)
    async with sessions() as session, session.begin():
        again = await latest_checkpoint(session, keys, clock)
    assert first.seq == again.seq == 2 and first.jws == again.jws
    assert await checkpoint_seqs(sessions) == [1, 2]


async def test_auditors_find_events_by_actor_or_resource_division(sessions) -> None:
    clock = FixedClock(T0)
    await record_standalone(sessions, entry(1), clock)  # resource in 640104001001
    elsewhere = Actor("u-2", None, "finance", "640200000000", ("finance",))
    await record_standalone(sessions, entry(2, actor=elsewhere, resources=()), clock)
    async with sessions() as session:
        seqs = await session.execute(
            select(AuditEvent.seq).where(store.touches_division("640104")).order_by(AuditEvent.seq)
        )
        assert list(seqs.scalars()) == [1]


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


async def export_to(sessions, path: Path, after: int = 0, batch_size: int = 1000) -> list[str]:
    lines = [line async for line in export_lines(sessions, after, batch_size=batch_size)]
    write_lines(path, lines)
    return lines


async def test_export_writes_one_event_a_line_with_graphql_keys(sessions, keys, tmp_path) -> None:
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=2, every_seconds=10**9)
    for n in range(4):
        await record_standalone(sessions, entry(n), clock, keys=keys, checkpoints=policy)
    lines = await export_to(sessions, tmp_path / "audit.jsonl", batch_size=3)
    documents = [json.loads(line) for line in lines]
    kinds = [
        ("cp", d["checkpoint"]["seq"]) if "checkpoint" in d else ("ev", d["seq"]) for d in documents
    ]
    assert kinds == [("ev", 1), ("cp", 1), ("ev", 2), ("ev", 3), ("cp", 3), ("ev", 4)]
    event = documents[0]
    assert set(event) == EXPORT_KEYS
    assert set(event["actor"]) == {"subject", "clientId", "department", "division", "roles"}
    assert set(event["resources"][0]) == {"type", "id", "divisionCode", "fields"}
    assert set(documents[1]["checkpoint"]) == {"seq", "hash", "at", "jws"}
    assert verify_export(tmp_path / "audit.jsonl", keys.jwks()).ok


async def test_export_after_seq_starts_there_and_verifies_offline(sessions, keys, tmp_path) -> None:
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=5, every_seconds=10**9)
    for n in range(12):
        await record_standalone(sessions, entry(n), clock, keys=keys, checkpoints=policy)
    lines = await export_to(sessions, tmp_path / "tail.jsonl", after=6, batch_size=4)
    assert json.loads(lines[0])["checkpoint"]["seq"] == 6  # anchors the first prevHash
    assert json.loads(lines[1])["seq"] == 7
    result = verify_export(tmp_path / "tail.jsonl", keys.jwks())
    assert result.ok, result.reason
    assert (result.first_seq, result.last_seq, result.checkpoints) == (7, 12, 2)


async def test_export_and_database_verify_agree_on_an_empty_chain(sessions, keys, tmp_path) -> None:
    assert await export_to(sessions, tmp_path / "empty.jsonl") == []
    assert verify_export(tmp_path / "empty.jsonl", keys.jwks()).ok
    result = await verify_database(sessions, keys)
    assert result.ok and result.count == 0


async def test_verify_reads_in_batches_and_counts_all_events(sessions, keys) -> None:
    clock = FixedClock(T0)
    for n in range(9):
        await record_standalone(sessions, entry(n), clock, keys=keys)
    result = await verify_database(sessions, keys, batch_size=2)
    assert result.ok and (result.first_seq, result.last_seq, result.count) == (1, 9, 9)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 9

"""Group commit of standalone audit events: shared transactions, yet each caller's own outcome."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from hub.audit.canonical import chain_hash, event_document
from hub.audit.checkpoints import CheckpointPolicy
from hub.audit.events import BuiltEvent, ResourceDocuments
from hub.audit.recorder import record, record_standalone
from hub.audit.verify import verify_database
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models.audit import AuditEvent
from hub.domain.clock import FixedClock
from tests.integration.test_audit_chain import (  # noqa: F401
    T0,
    all_events,
    checkpoint_seqs,
    entry,
    keys,
    sessions,
)


async def test_concurrent_callers_share_transactions_and_each_gets_its_own_event(
    sessions,  # noqa: F811
) -> None:
    clock = FixedClock(T0)
    written = await asyncio.gather(
        *(record_standalone(sessions, entry(n), clock) for n in range(30))
    )
    # Every caller got the event holding its own entry, committed, in one gap-free chain.
    assert [e.operation_name for e in written] == [f"Op{n}" for n in range(30)]
    rows = await all_events(sessions)
    assert [r.seq for r in rows] == list(range(1, 31))
    assert all(r.hash == chain_hash(r.prev_hash, event_document(r)) for r in rows)
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


async def test_one_bad_entry_fails_only_its_own_caller(sessions) -> None:  # noqa: F811
    clock = FixedClock(T0)
    unwritable = entry(99, operation_name=123)  # not text: building its event fails
    calls = [record_standalone(sessions, entry(n), clock) for n in range(5)]
    calls.insert(2, record_standalone(sessions, unwritable, clock))
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(results[2], AttributeError), results
    async with sessions() as session:
        names = list((await session.execute(select(AuditEvent.operation_name))).scalars())
    assert sorted(names) == [f"Op{n}" for n in range(5)]
    assert [r.seq for r in await all_events(sessions)] == [1, 2, 3, 4, 5]


async def test_a_cancelled_writer_leaves_nobody_waiting(sessions) -> None:  # noqa: F811
    clock = FixedClock(T0)
    first = asyncio.create_task(record_standalone(sessions, entry(0), clock))
    await asyncio.sleep(0)  # the first caller has become the writer
    others = [asyncio.create_task(record_standalone(sessions, entry(n), clock)) for n in (1, 2)]
    first.cancel()
    done = await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), timeout=30)
    # The queued callers were written by a new writer (or failed cleanly); none hangs.
    assert all(isinstance(r, BuiltEvent | Exception) for r in done)
    later = await record_standalone(sessions, entry(3), clock)
    rows = await all_events(sessions)
    assert rows[-1].seq == later.seq and [r.seq for r in rows] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize("count", [1, 70])
async def test_batches_larger_than_the_limit_are_split(sessions, count: int) -> None:  # noqa: F811
    clock = FixedClock(T0)
    written = await asyncio.gather(
        *(record_standalone(sessions, entry(n), clock) for n in range(count))
    )
    assert sorted(e.seq for e in written) == list(range(1, count + 1))


async def test_concurrent_callers_get_checkpoints_where_one_by_one_would(sessions, keys) -> None:  # noqa: F811
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=4, every_seconds=10**9)
    await asyncio.gather(
        *(
            record_standalone(sessions, entry(n), clock, keys=keys, checkpoints=policy)
            for n in range(10)
        )
    )
    assert await checkpoint_seqs(sessions) == [1, 5, 9]
    result = await verify_database(sessions, keys)
    assert result.ok and result.count == 10 and result.checkpoints == 3, result


async def test_prebuilt_resource_documents_are_stored_as_written_and_verify(sessions, keys) -> None:  # noqa: F811
    clock = FixedClock(T0)
    text = (
        '[{"divisionCode":"640104001001","fields":[{"field":"idNumber","grant":"MASKED"}],'
        '"id":"UmVzOjE","type":"Resident"},'
        '{"divisionCode":"640104001002","fields":[],"id":"Q2FzZTox","type":"Case"}]'
    )
    written = await asyncio.gather(
        record_standalone(sessions, entry(1, resources=ResourceDocuments(text)), clock, keys=keys),
        record_standalone(sessions, entry(2), clock, keys=keys),
    )
    assert written[0].resource_divisions == " 640104001001 640104001002"
    rows = await all_events(sessions)
    assert rows[0].resources == json.loads(text)
    assert (await verify_database(sessions, keys)).ok


async def test_writers_of_other_processes_and_transactions_interleave_in_one_chain(
    sessions,  # noqa: F811
    db_url: str,
    keys,  # noqa: F811
) -> None:
    """Each process's writer appends after the head it remembers; another process's writer
    and a mutation's own transaction extend the chain in between, and nothing forks or gaps."""
    clock = FixedClock(T0)
    policy = CheckpointPolicy(every_events=7, every_seconds=10**9)
    other_engine = create_engine(Settings(database_url=db_url))
    other = session_factory(other_engine)
    try:

        async def mutation(n: int) -> None:
            async with sessions() as session, session.begin():
                await record(session, entry(n), clock)

        for round_ in range(4):
            calls = [
                record_standalone(
                    sessions if n % 2 else other, entry(n), clock, keys=keys, checkpoints=policy
                )
                for n in range(round_ * 10, round_ * 10 + 9)
            ]
            await asyncio.gather(*calls, mutation(round_ * 10 + 9))
    finally:
        await other_engine.dispose()
    rows = await all_events(sessions)
    assert [r.seq for r in rows] == list(range(1, 41))
    assert sorted(r.operation_name for r in rows) == sorted(f"Op{n}" for n in range(40))
    result = await verify_database(sessions, keys)
    assert result.ok and result.count == 40, result


async def test_events_chained_by_the_database_verify_whatever_they_hold(sessions, keys) -> None:  # noqa: F811
    """On PostgreSQL `audit_append` computes the hashes from the parts the recorder sends: values
    that imitate the keys it cuts at, non-ASCII text, control characters, floats, integers beyond
    64 bits and no variables at all must give the hashes the verifier recomputes."""
    clock = FixedClock(T0)
    tricky = [
        {"purpose": 'x","prevHash":"', "variables": {"seq": 0, "variables": {"prevHash": ""}}},
        {"purpose": '","seq":0,"variables":', "variables": {"a": '"seq":0,"variables":'}},
        {"purpose": "低保 审核 — 📄 \u0001", "variables": {"名字": "张三", "n": [1, None, True]}},
        {"purpose": None, "variables": {"amount": 1.5, "big": 2**70, "tiny": 1e-7}},
        {"purpose": None, "variables": None},
    ]
    written = await asyncio.gather(
        *(
            record_standalone(sessions, entry(n, **values), clock, keys=keys)
            for n, values in enumerate(tricky)
        )
    )
    rows = await all_events(sessions)
    assert [row.hash for row in rows] == [event.hash for event in written]
    for row in rows:
        assert row.hash == chain_hash(row.prev_hash, event_document(row))
    result = await verify_database(sessions, keys)
    assert result.ok and result.count == len(tricky), result

"""`driver_connection` takes an idle pooled connection and gives it back without the greenlet
bridge; whatever needs the database (a replaced connection, a full pool, an open transaction)
still goes the usual way, and the pool's books balance afterwards."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.util import greenlet_spawn

import hub.db.engine as engine_module
from hub.config import Settings
from hub.db.engine import create_engine, driver_connection, statement_connection

pytestmark = pytest.mark.postgres


def _pool(engine: Any) -> Any:
    return engine.sync_engine.pool


def _count_bridged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each use of the greenlet bridge by `driver_connection`'s checkout and return."""
    used: list[str] = []

    async def counting_spawn(fn: Any, *args: Any, **kwargs: Any) -> Any:
        used.append(getattr(fn, "__name__", repr(fn)))
        return await greenlet_spawn(fn, *args, **kwargs)

    monkeypatch.setattr(engine_module, "greenlet_spawn", counting_spawn)
    return used


def test_an_idle_connection_is_taken_and_given_back_without_the_bridge(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> tuple[list[int], list[str], int]:
        engine = create_engine(Settings(database_url=pg_url))
        try:
            async with driver_connection(engine) as driver:  # the first one is made
                first = await driver.fetchval("SELECT pg_backend_pid()")
            used = _count_bridged(monkeypatch)
            pids = [first]
            for _ in range(3):
                async with driver_connection(engine) as driver:
                    pids.append(await driver.fetchval("SELECT pg_backend_pid()"))
            return pids, used, _pool(engine).checkedout()
        finally:
            await engine.dispose()

    pids, used, checked_out = asyncio.run(scenario())
    assert len(set(pids)) == 1  # the same pooled connection each time
    assert used == []
    assert checked_out == 0


def test_a_killed_idle_connection_falls_back_and_the_pool_stays_balanced(pg_url: str) -> None:
    async def scenario() -> tuple[int, int, int, int]:
        engine = create_engine(Settings(database_url=pg_url))
        try:
            async with driver_connection(engine) as idle:
                old = await idle.fetchval("SELECT pg_backend_pid()")
            # Kill the idle pooled connection from outside the pool.
            outsider = create_engine(Settings(database_url=pg_url))
            try:
                async with driver_connection(outsider) as killer:
                    await killer.execute(f"SELECT pg_terminate_backend({int(old)})")
            finally:
                await outsider.dispose()
            for _ in range(100):  # until the driver has read the server's goodbye
                if idle.is_closed():
                    break
                await asyncio.sleep(0.02)
            assert idle.is_closed() and _pool(engine).checkedin() == 1
            async with driver_connection(engine) as driver:
                new = await driver.fetchval("SELECT pg_backend_pid()")
                answer = await driver.fetchval("SELECT 41 + 1")
            return old, new, answer, _pool(engine).checkedout()
        finally:
            await engine.dispose()

    old, new, answer, checked_out = asyncio.run(scenario())
    assert new != old and answer == 42
    assert checked_out == 0


def test_giving_back_to_a_full_pool_closes_the_overflow_through_the_bridge(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> tuple[list[str], int, int, int]:
        engine = create_engine(Settings(database_url=pg_url))
        try:
            size = _pool(engine).size()
            used = _count_bridged(monkeypatch)
            async with contextlib.AsyncExitStack() as stack:
                drivers = [
                    await stack.enter_async_context(driver_connection(engine))
                    for _ in range(size + 1)  # one beyond the pool's size: an overflow
                ]
                assert len({id(d) for d in drivers}) == size + 1
            return used, _pool(engine).checkedout(), _pool(engine).checkedin(), size
        finally:
            await engine.dispose()

    used, checked_out, checked_in, size = asyncio.run(scenario())
    assert checked_out == 0 and checked_in == size
    # New connections are made through the bridge; the one returned to a full pool is closed
    # through it too.
    assert used.count("_give_back") == 1


def test_a_connection_left_in_a_transaction_is_given_back_the_usual_way(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> tuple[list[str], int, bool]:
        engine = create_engine(Settings(database_url=pg_url))
        try:
            async with driver_connection(engine) as driver:
                await driver.fetchval("SELECT 1")
            used = _count_bridged(monkeypatch)
            async with driver_connection(engine) as driver:
                await driver.execute("BEGIN")
            async with driver_connection(engine) as driver:
                in_transaction = driver.is_in_transaction()
            return used, _pool(engine).checkedout(), in_transaction
        finally:
            await engine.dispose()

    used, checked_out, in_transaction = asyncio.run(scenario())
    assert used == ["_give_back"]
    assert checked_out == 0
    assert not in_transaction  # the connection left in a transaction was not reused


def test_statements_beyond_the_pool_wait_their_turn_instead_of_opening_connections(
    pg_url: str,
) -> None:
    """Three times the pool's size of concurrent statements: at most size - 1 hold a connection
    at once (one stays for the audit writer), every statement answers, and no connection is
    opened beyond the pool, so none is closed again on return."""

    async def scenario() -> tuple[int, int, list[int], int, int]:
        engine = create_engine(Settings(database_url=pg_url))
        opened: list[object] = []
        event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(dbapi))
        size = _pool(engine).size()
        holding = peak = 0

        async def one(i: int) -> int:
            nonlocal holding, peak
            async with statement_connection(engine) as driver:
                holding += 1
                peak = max(peak, holding)
                answer = int(await driver.fetchval("SELECT $1::int FROM pg_sleep(0.02)", i))
                holding -= 1
                return answer

        try:
            answers = await asyncio.gather(*(one(i) for i in range(3 * size)))
            return size, peak, answers, len(opened), _pool(engine).checkedout()
        finally:
            await engine.dispose()

    size, peak, answers, opened, checked_out = asyncio.run(scenario())
    assert answers == list(range(3 * size))
    assert peak == size - 1
    assert opened == size - 1
    assert checked_out == 0


def test_a_cancelled_statement_gives_its_turn_back(pg_url: str) -> None:
    async def scenario() -> tuple[list[int], int]:
        engine = create_engine(Settings(database_url=pg_url))
        size = _pool(engine).size()

        async def slow() -> None:
            async with statement_connection(engine) as driver:
                await driver.fetchval("SELECT pg_sleep(5)")

        try:
            stuck = [asyncio.ensure_future(slow()) for _ in range(size - 1)]
            await asyncio.sleep(0.3)  # every turn taken
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
            answers = []
            for i in range(size):  # each turn free again
                async with statement_connection(engine) as driver:
                    answers.append(int(await driver.fetchval("SELECT $1::int", i)))
            return answers, _pool(engine).checkedout()
        finally:
            await engine.dispose()

    answers, checked_out = asyncio.run(scenario())
    assert answers == list(range(len(answers))) and len(answers) > 1
    assert checked_out == 0

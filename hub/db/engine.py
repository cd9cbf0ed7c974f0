"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import warnings
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession  # re-export for callers
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from hub.config import Settings


def json_text(value: Any) -> str:
    """JSON columns are written compact with orjson (the values read back are the same as with
    the standard library, which still writes what orjson refuses, e.g. beyond 64-bit
    integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {"echo": settings.log_sql, "json_serializer": json_text}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_recycle=1800,
        )
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    else:
        _discard_closed_connections(engine)
    return engine


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's driver (asyncpg) connection, for the statements sent to the
    driver directly: compiled reads and the audit log's group commit. It comes from the same
    pool, under the same checkout rules, without the SQLAlchemy `Connection` around it, which
    cost more than the checkout itself. An idle connection is taken and given back without the
    greenlet bridge when neither needs the database (below): 16-24 instead of 55-73
    microseconds of CPU per checkout and return on the benchmark machine."""
    proxied = _checkout_idle(engine) or await engine.raw_connection()
    try:
        yield proxied.driver_connection
    finally:
        if _returns_without_io(proxied):
            proxied.close()
        else:
            # Returning needs the driver (a rollback, a close): from a greenlet, as the
            # asyncio adaptation requires.
            await greenlet_spawn(_give_back, proxied)


@asynccontextmanager
async def statement_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """`driver_connection` for one statement whose caller holds no other connection while it
    waits (compiled reads). At most the pool's size less one run at once (that one is the audit
    group commit's); the rest wait their turn. Without the limit, a load above the pool's size
    made the pool open an overflow connection per statement and close it again on return: at
    20 concurrent page reads, 56 new PostgreSQL backends a second and a third of the
    throughput (decision 0068)."""
    slots = _statement_slots(engine)
    if slots is None:
        async with driver_connection(engine) as driver:
            yield driver
        return
    async with slots, driver_connection(engine) as driver:
        yield driver


# Per pool (an engine gets a new one when disposed) and event loop (a semaphore that has had
# to wait belongs to its loop).
_SLOTS: weakref.WeakKeyDictionary[Any, tuple[asyncio.AbstractEventLoop, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def _statement_slots(engine: AsyncEngine) -> asyncio.Semaphore | None:
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return None
    loop = asyncio.get_running_loop()
    found = _SLOTS.get(pool)
    if found is None or found[0] is not loop:
        found = (loop, asyncio.Semaphore(max(1, pool.size() - 1)))
        _SLOTS[pool] = found
    return found[1]


# The pool's own calls need the greenlet bridge only when they wait or talk to the database
# (a new connection, a rollback, a close); the bridge costs 20-30 microseconds of CPU each way.
# When a connection lies idle in the pool, taking it involves neither, and giving back a
# connection without a transaction into a pool with room involves neither: both are done
# directly. Anything else goes the usual way (decision 0066).
#
# Replacing a connection on the direct path stops at its first wait: SQLAlchemy closes the
# driver's `connect` coroutine unawaited (and so warns) before the bridged checkout redoes it.
warnings.filterwarnings(
    "ignore",
    message="coroutine 'connect' was never awaited",
    category=RuntimeWarning,
    module=r"sqlalchemy\.util\.concurrency",
)


def _checkout_idle(engine: AsyncEngine) -> Any | None:
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool) or not pool.checkedin():
        return None
    try:
        return engine.sync_engine.raw_connection()
    except MissingGreenlet:
        # The idle connection had to be replaced (closed by the server, due for recycling):
        # the pool put its record back, invalidated, and the bridged checkout reconnects it.
        return None


def _give_back(proxied: Any) -> None:
    adapted = proxied.dbapi_connection
    if proxied.is_valid and adapted is not None and getattr(adapted, "_transaction", 1) is None:
        driver = adapted.driver_connection
        if not driver.is_closed() and driver.is_in_transaction():
            # A transaction begun on the driver and left open (the pool's reset only ends its
            # own): the connection is not reused.
            proxied.invalidate()
    proxied.close()


def _returns_without_io(proxied: Any) -> bool:
    pool = getattr(proxied, "_pool", None)  # the pool it came from (an engine may get a new one)
    adapted = proxied.dbapi_connection
    if not isinstance(pool, QueuePool) or not proxied.is_valid or adapted is None:
        return False
    driver = adapted.driver_connection
    return (
        getattr(adapted, "_transaction", None) is None
        and not driver.is_closed()
        and not driver.is_in_transaction()
        and pool.checkedin() < pool.size()
    )


def _discard_closed_connections(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling without a round trip: asyncpg marks a connection closed
    as soon as the server ends it (restart, failover, `pg_terminate_backend`), so checking that
    flag at checkout replaces SQLAlchemy's pre-ping, which costs the asyncpg dialect three round
    trips (BEGIN, `;`, ROLLBACK) on every checkout. The pool discards such a connection and
    hands out a fresh one."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():
            raise DisconnectionError("the database closed this connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    locked = engine.sync_engine.dialect.loaded_dbapi.OperationalError

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        use_wal(cursor, locked)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def use_wal(cursor: Any, locked: type[Exception], attempts: int = 3) -> None:
    """Put the file in WAL mode (it stays so) unless it already is. Switching takes the write
    lock while holding a read lock, so when several processes open a rollback-journal file at
    once, SQLite answers the losers "database is locked" at once, busy timeout or not; a loser
    then finds the winner's WAL on its next look, which waits for the switch to end."""
    for attempt in range(attempts):
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.fetchone()  # "memory" for an in-memory database, which has no WAL
            return
        except locked as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def sync_url(database_url: str) -> str:
    """The same database through a synchronous driver (alembic, bulk seeding tools)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    driver = "psycopg2" if backend == "postgresql" else "pysqlite"
    return url.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)

"""The one audit recorder: appends an event to the hash chain in the caller's transaction.

Fail closed: any error while recording raises, so the caller's transaction (and the change it
records) rolls back. Nothing changes unrecorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.audit.canonical import chain_hash, event_document, is_plain_json, join_roles
from hub.audit.checkpoints import (
    DEFAULT_ISSUER,
    CheckpointPolicy,
    checkpoint_due,
    make_checkpoint,
    signed_checkpoint,
)
from hub.audit.events import AuditEntry, BuiltEvent, ResourceDocuments, ResourceTouch
from hub.audit.masking import clean_text, mask_shapes, mask_variables
from hub.audit.store import (
    CHAIN_LOCK_KEY,
    chain_head,
    last_checkpoint,
    lock_chain,
    lock_chain_on_driver,
)
from hub.db.engine import driver_connection, json_text
from hub.db.models.audit import AuditCheckpoint, AuditEvent
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore

__all__ = ["CheckpointPolicy", "mask_variables", "record", "record_many", "record_standalone"]

DEFAULT_CHECKPOINTS = CheckpointPolicy()


def _fit(value: str | None, length: int) -> str | None:
    """Cut to the column's length, so an over-long client value cannot fail the audit write on
    PostgreSQL while SQLite would have stored it whole."""
    return None if value is None else clean_text(value)[:length]


def _resource_document(
    touch: ResourceTouch, field_lists: dict[int, list[dict[str, str]]]
) -> dict[str, Any]:
    # Touches that share one fields tuple (resources_of builds each set once) share its list.
    fields = field_lists.get(id(touch.fields))
    if fields is None:
        fields = [{"field": f.field, "grant": str(f.grant)} for f in touch.fields]
        field_lists[id(touch.fields)] = fields
    # Keys in canonical (sorted) order, as the compiled path writes its documents too.
    return {
        "divisionCode": touch.division_code,
        "fields": fields,
        "id": touch.id,
        "type": touch.type,
    }


def resource_divisions(resources: list[dict[str, Any]]) -> str | None:
    """The stored, searchable form: " code code" (leading space, sorted, unique)."""
    return _joined({str(r["divisionCode"]) for r in resources if r.get("divisionCode")})


def _joined(codes: set[str]) -> str | None:
    return " " + " ".join(sorted(codes)) if codes else None


# In `ResourceDocuments` text only the hub writes keys, and a division code is a JSON string:
# plain (the usual case, matched fast) or with escapes.
_DIVISION_KEY = '"divisionCode":"'
_PLAIN_DIVISION = re.compile(r'"divisionCode":"([^"\\]*)"')
_ANY_DIVISION = re.compile(r'"divisionCode":"((?:[^"\\]|\\.)*)"')


def _prebuilt_resources(documents: ResourceDocuments) -> tuple[orjson.Fragment, str | None]:
    text = documents.json
    found = _PLAIN_DIVISION.findall(text)
    if len(found) != text.count(_DIVISION_KEY):
        found = [json.loads(f'"{code}"') for code in _ANY_DIVISION.findall(text)]
    return orjson.Fragment(text), _joined({code for code in found if code})


def _json_roundtrip(value: Any) -> Any:
    # Exactly what the JSON column will give back on either engine, so the hash recomputes.
    if value is None:
        return None
    if is_plain_json(value):  # orjson gives the same values, several times faster
        return orjson.loads(orjson.dumps(value))
    return json.loads(json.dumps(value, ensure_ascii=False))


def build_event(entry: AuditEntry, seq: int, prev_hash: str, clock: Clock) -> BuiltEvent:
    """The row for `entry` at `seq`, masked, fitted to its columns and hashed."""
    actor = entry.actor
    # Strings only, built here: the JSON column gives back exactly these values.
    resources: Any
    if isinstance(entry.resources, ResourceDocuments):
        resources, divisions = _prebuilt_resources(entry.resources)
    else:
        field_lists: dict[int, list[dict[str, str]]] = {}
        resources = [_resource_document(r, field_lists) for r in entry.resources]
        divisions = resource_divisions(resources)
    variables = _json_roundtrip(mask_variables(entry.variables))
    plain = is_plain_json(variables)
    if not plain and isinstance(resources, orjson.Fragment):
        resources = orjson.loads(entry.resources.json)  # type: ignore[union-attr]
    purpose = None if entry.purpose is None else mask_shapes(clean_text(entry.purpose))
    row = BuiltEvent(
        seq=seq,
        at=clock.now().astimezone(UTC),
        actor_subject=_fit(actor.subject, 128),
        actor_client_id=_fit(actor.client_id, 64),
        actor_department=_fit(actor.department, 32),
        actor_division=_fit(actor.division, 12),
        actor_roles=_fit(join_roles(actor.roles), 255),
        operation_kind=str(entry.operation_kind),
        operation_name=_fit(entry.operation_name, 200),
        document_hash=_fit(entry.document_hash, 64),
        variables=variables,
        purpose=_fit(purpose, 200),
        outcome=str(entry.outcome),
        policy_version=_fit(entry.policy_version, 64),
        resources=resources,
        resource_divisions=divisions,
        prev_hash=prev_hash,
        hash="",
    )
    # Every value but the client's variables is text, an integer or null, built here.
    row.hash = chain_hash(prev_hash, event_document(row), plain=plain)
    return row


async def record(
    session: AsyncSession,
    entry: AuditEntry,
    clock: Clock,
    *,
    keys: KeyStore | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
    issuer: str = DEFAULT_ISSUER,
) -> BuiltEvent:
    """Append `entry` in the caller's transaction and return the flushed row. With `keys`, also
    sign a checkpoint when one is due. The chain lock is held until the caller commits, so keep
    the rest of that transaction short after recording."""
    rows = await record_many(
        session, [entry], clock, keys=keys, checkpoints=checkpoints, issuer=issuer
    )
    return rows[0]


async def record_many(
    session: AsyncSession,
    entries: Sequence[AuditEntry],
    clock: Clock,
    *,
    keys: KeyStore | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
    issuer: str = DEFAULT_ISSUER,
) -> list[BuiltEvent]:
    """`record` for several entries, chained in order under one lock. A checkpoint falls
    exactly where recording them one by one would have put it."""
    await lock_chain(session)
    head_seq, head_hash = await chain_head(session)
    latest = await last_checkpoint(session) if keys is not None else None

    async def sign(seq: int, head: str) -> AuditCheckpoint | None:
        assert keys is not None
        return await make_checkpoint(session, keys, clock, issuer=issuer)

    return await _extend(
        entries, head_seq, head_hash, latest, clock, keys, checkpoints,
        lambda rows: _insert(session, rows), sign,
    )  # fmt: skip


async def _extend(
    entries: Sequence[AuditEntry],
    head_seq: int,
    head_hash: str,
    latest: AuditCheckpoint | None,
    clock: Clock,
    keys: KeyStore | None,
    checkpoints: CheckpointPolicy,
    insert: Callable[[list[BuiltEvent]], Awaitable[None]],
    sign: Callable[[int, str], Awaitable[AuditCheckpoint | None]],
) -> list[BuiltEvent]:
    """Chain `entries` after the head, inserting them (`insert`) and signing a checkpoint
    (`sign`) exactly where recording them one by one would have put one. The caller holds the
    chain lock."""
    rows: list[BuiltEvent] = []
    unwritten: list[BuiltEvent] = []
    for entry in entries:
        row = build_event(entry, head_seq + 1, head_hash, clock)
        head_seq, head_hash = row.seq, row.hash
        rows.append(row)
        unwritten.append(row)
        if keys is not None and checkpoint_due(latest, head_seq, clock, checkpoints):
            await insert(unwritten)
            unwritten.clear()
            latest = await sign(head_seq, head_hash)
    await insert(unwritten)
    return rows


_EVENT_COLUMNS = [(attr.key, attr.columns[0].key) for attr in sa.inspect(AuditEvent).column_attrs]


async def _insert(session: AsyncSession, rows: list[BuiltEvent]) -> None:
    """One multi-row INSERT (the rows stay plain objects: nothing for the ORM to track)."""
    if rows:
        values = [{column: getattr(row, attr) for attr, column in _EVENT_COLUMNS} for row in rows]
        table: Any = AuditEvent.__table__  # Core, not the ORM's bulk path
        await session.execute(sa.insert(table), values)


# The group commit's writes on PostgreSQL go through asyncpg directly: each statement costs a
# fraction of the ORM's work, and every read waits for them (decision 0062).
_COLUMN_NAMES = [column for _, column in _EVENT_COLUMNS]
_JSON_COLUMNS = {"variables", "resources"}
_PLACEHOLDERS = ", ".join(f"${i}" for i in range(1, len(_COLUMN_NAMES) + 1))
_TYPED_PLACEHOLDERS = ", ".join(
    f"${i}::{AuditEvent.__table__.c[name].type.compile(dialect=postgresql.dialect())}"
    for i, name in enumerate(_COLUMN_NAMES, 1)
)
# Column names from the model; values are parameters.
_INSERT_EVENTS = f"INSERT INTO audit_events ({', '.join(_COLUMN_NAMES)}) VALUES ({_PLACEHOLDERS})"  # noqa: S608
# Appending after a remembered head: the chain lock keeps writers that hold it (mutations,
# other processes) from racing this insert, and the primary key refuses it when another
# writer extended the chain first.
_APPEND_EVENTS = (
    f"WITH chain AS (SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY}))"  # noqa: S608
    f" INSERT INTO audit_events ({', '.join(_COLUMN_NAMES)})"
    f" SELECT {_TYPED_PLACEHOLDERS} FROM chain"
)
_INSERT_CHECKPOINT = "INSERT INTO audit_checkpoints (seq, hash, at, jws) VALUES ($1, $2, $3, $4)"


def _driver_values(row: BuiltEvent) -> list[Any]:
    values = []
    for attr, column in _EVENT_COLUMNS:
        value = getattr(row, attr)
        if column in _JSON_COLUMNS and value is not None:
            value = json_text(value)
        values.append(value)
    return values


class _DriverWriter:
    """`record_many` for the group commit on PostgreSQL, each batch in a transaction of its
    own. It remembers the head it wrote last: while no other writer extends the chain, a batch
    is one pipelined, self-committing round trip (`_APPEND_EVENTS`) instead of five (begin,
    lock, read the head, insert, commit), and every read waits for that write. Whenever the
    head moved, or a checkpoint is due, it takes the lock, reads the head and writes as
    `record_many` does."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.head: tuple[int, str] | None = None
        self.latest: AuditCheckpoint | None = None  # the newest checkpoint seen or signed

    async def write(
        self,
        entries: Sequence[AuditEntry],
        clock: Clock,
        *,
        keys: KeyStore | None,
        checkpoints: CheckpointPolicy,
        issuer: str,
    ) -> list[BuiltEvent]:
        async with driver_connection(self.engine) as driver:
            rows = await self._append(driver, entries, clock, keys, checkpoints)
            if rows is None:
                rows = await self._locked(driver, entries, clock, keys, checkpoints, issuer)
            return rows

    async def _append(
        self,
        driver: Any,
        entries: Sequence[AuditEntry],
        clock: Clock,
        keys: KeyStore | None,
        checkpoints: CheckpointPolicy,
    ) -> list[BuiltEvent] | None:
        head, self.head = self.head, None  # kept only if this append commits
        if head is None:
            return None
        seq, head_hash = head
        rows = []
        for entry in entries:
            row = build_event(entry, seq + 1, head_hash, clock)
            seq, head_hash = row.seq, row.hash
            rows.append(row)
            if keys is not None and checkpoint_due(self.latest, seq, clock, checkpoints):
                return None  # signing needs the lock and the stored newest checkpoint
        try:
            # One implicit transaction: asyncpg pipelines the rows and commits them together.
            await driver.executemany(_APPEND_EVENTS, [_driver_values(r) for r in rows])
        except asyncpg.UniqueViolationError:
            return None  # another writer appended first: redo after it
        self.head = (seq, head_hash)
        return rows

    async def _locked(
        self,
        driver: Any,
        entries: Sequence[AuditEntry],
        clock: Clock,
        keys: KeyStore | None,
        checkpoints: CheckpointPolicy,
        issuer: str,
    ) -> list[BuiltEvent]:
        async with driver.transaction():
            head_seq, head_hash, latest = await lock_chain_on_driver(driver)

            async def insert(rows: list[BuiltEvent]) -> None:
                if rows:
                    await driver.executemany(_INSERT_EVENTS, [_driver_values(r) for r in rows])

            async def sign(seq: int, head_hash: str) -> AuditCheckpoint:
                nonlocal latest
                assert keys is not None
                latest = signed_checkpoint(keys, clock, seq, head_hash, issuer=issuer)
                await driver.execute(_INSERT_CHECKPOINT, seq, head_hash, latest.at, latest.jws)
                return latest

            rows = await _extend(
                entries, head_seq, head_hash, latest, clock, keys, checkpoints, insert, sign
            )
        self.head = (rows[-1].seq, rows[-1].hash) if rows else (head_seq, head_hash)
        self.latest = latest
        return rows


_Settings = tuple["KeyStore | None", CheckpointPolicy, str]


class _GroupCommit:
    """Group commit for standalone records: concurrent callers share one transaction.

    A writer task (started by the first caller that finds none running) writes everything
    queued, in batches, until the queue is empty; each caller waits only for the commit that
    holds its own event, and fails if that commit fails (fail closed). No caller's response
    waits for other callers' events. Under load this turns N lock-and-commit round trips
    into one.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        bind = sessions.kw.get("bind")
        self.driver = None
        if isinstance(bind, AsyncEngine) and bind.dialect.name == "postgresql":
            self.driver = _DriverWriter(bind)
        self.pending: list[tuple[AuditEntry, _Settings, asyncio.Future[BuiltEvent]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def record(
        self, entry: AuditEntry, settings: _Settings, loop: asyncio.AbstractEventLoop
    ) -> BuiltEvent:
        future: asyncio.Future[BuiltEvent] = loop.create_future()
        self.pending.append((entry, settings, future))
        if self.writer is None or self.writer.done():
            self.writer = loop.create_task(self._drain())
        # The event is written whether or not this caller stays to hear about it.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        """Write the queue; never raises: each failure is delivered to its caller's future."""
        while self.pending:
            batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
            try:
                await self._write(batch)
            except Exception:
                if len(batch) > 1:  # one bad entry must not fail the others: one by one
                    for item in batch:
                        with contextlib.suppress(Exception):
                            await self._write([item])

    async def _write(self, batch: list[tuple[AuditEntry, _Settings, Any]]) -> None:
        keys, checkpoints, issuer = next((s for _, s, _ in batch if s[0] is not None), batch[0][1])
        entries = [entry for entry, _, _ in batch]
        try:
            if self.driver is not None:
                rows = await self.driver.write(
                    entries,
                    self.clock,
                    keys=keys,
                    checkpoints=checkpoints,
                    issuer=issuer,
                )
            else:
                async with self.sessions() as session, session.begin():
                    rows = await record_many(
                        session,
                        entries,
                        self.clock,
                        keys=keys,
                        checkpoints=checkpoints,
                        issuer=issuer,
                    )
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][2], exc)
            raise
        except BaseException:  # cancelled mid-write: nobody may wait forever
            for _, _, future in batch:
                _fail(future, RuntimeError("the audit write was interrupted"))
            raise
        for (_, _, future), row in zip(batch, rows, strict=True):
            if not future.done():
                future.set_result(row)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


MAX_BATCH = 64
_groups: weakref.WeakKeyDictionary[Any, dict[Any, _GroupCommit]] = weakref.WeakKeyDictionary()


async def record_standalone(
    sessions: async_sessionmaker[AsyncSession],
    entry: AuditEntry,
    clock: Clock,
    *,
    keys: KeyStore | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
    issuer: str = DEFAULT_ISSUER,
) -> BuiltEvent:
    """Record in a transaction of its own (reads, token events); committed when this returns.
    Concurrent calls share transactions (group commit)."""
    loop = asyncio.get_running_loop()
    groups = _groups.setdefault(sessions, {})
    group = groups.get(loop)
    if group is None:
        group = groups[loop] = _GroupCommit(sessions, clock)
    return await group.record(entry, (keys, checkpoints, issuer), loop)

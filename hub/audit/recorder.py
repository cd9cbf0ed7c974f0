"""The one audit recorder: appends an event to the hash chain in the caller's transaction.

Fail closed: any error while recording raises, so the caller's transaction (and the change it
records) rolls back. Nothing changes unrecorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit.canonical import chain_hash, event_document, is_plain_json, join_roles
from hub.audit.checkpoints import (
    DEFAULT_ISSUER,
    CheckpointPolicy,
    checkpoint_due,
    make_checkpoint,
)
from hub.audit.events import AuditEntry, ResourceTouch
from hub.audit.masking import clean_text, mask_shapes, mask_variables
from hub.audit.store import chain_head, last_checkpoint, lock_chain
from hub.db.models.audit import AuditEvent
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
    return {
        "type": touch.type,
        "id": touch.id,
        "divisionCode": touch.division_code,
        "fields": fields,
    }


def resource_divisions(resources: list[dict[str, Any]]) -> str | None:
    """The stored, searchable form: " code code" (leading space, sorted, unique)."""
    codes = sorted({str(r["divisionCode"]) for r in resources if r.get("divisionCode")})
    return " " + " ".join(codes) if codes else None


def _json_roundtrip(value: Any) -> Any:
    # Exactly what the JSON column will give back on either engine, so the hash recomputes.
    if value is None:
        return None
    if is_plain_json(value):  # orjson gives the same values, several times faster
        return orjson.loads(orjson.dumps(value))
    return json.loads(json.dumps(value, ensure_ascii=False))


def build_event(entry: AuditEntry, seq: int, prev_hash: str, clock: Clock) -> AuditEvent:
    """The row for `entry` at `seq`, masked, fitted to its columns and hashed."""
    actor = entry.actor
    # Strings only, built here: the JSON column gives back exactly these values.
    field_lists: dict[int, list[dict[str, str]]] = {}
    resources = [_resource_document(r, field_lists) for r in entry.resources]
    purpose = None if entry.purpose is None else mask_shapes(clean_text(entry.purpose))
    row = AuditEvent(
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
        variables=_json_roundtrip(mask_variables(entry.variables)),
        purpose=_fit(purpose, 200),
        outcome=str(entry.outcome),
        policy_version=_fit(entry.policy_version, 64),
        resources=resources,
        resource_divisions=resource_divisions(resources),
        prev_hash=prev_hash,
        hash="",
    )
    # Every value but the client's variables is text, an integer or null, built here.
    row.hash = chain_hash(prev_hash, event_document(row), plain=is_plain_json(row.variables))
    return row


async def record(
    session: AsyncSession,
    entry: AuditEntry,
    clock: Clock,
    *,
    keys: KeyStore | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
    issuer: str = DEFAULT_ISSUER,
) -> AuditEvent:
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
) -> list[AuditEvent]:
    """`record` for several entries, chained in order under one lock. A checkpoint falls
    exactly where recording them one by one would have put it."""
    await lock_chain(session)
    head_seq, head_hash = await chain_head(session)
    latest = await last_checkpoint(session) if keys is not None else None
    rows: list[AuditEvent] = []
    unwritten: list[AuditEvent] = []
    for entry in entries:
        row = build_event(entry, head_seq + 1, head_hash, clock)
        head_seq, head_hash = row.seq, row.hash
        rows.append(row)
        unwritten.append(row)
        if keys is not None and checkpoint_due(latest, head_seq, clock, checkpoints):
            await _insert(session, unwritten)
            latest = await make_checkpoint(session, keys, clock, issuer=issuer)
    await _insert(session, unwritten)
    return rows


_EVENT_COLUMNS = [(attr.key, attr.columns[0].key) for attr in sa.inspect(AuditEvent).column_attrs]


async def _insert(session: AsyncSession, rows: list[AuditEvent]) -> None:
    """One multi-row INSERT (the rows stay plain objects: nothing for the ORM to track)."""
    if rows:
        values = [{column: getattr(row, attr) for attr, column in _EVENT_COLUMNS} for row in rows]
        table: Any = AuditEvent.__table__  # Core, not the ORM's bulk path
        await session.execute(sa.insert(table), values)
        rows.clear()


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
        self.pending: list[tuple[AuditEntry, _Settings, asyncio.Future[AuditEvent]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def record(self, entry: AuditEntry, settings: _Settings) -> AuditEvent:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AuditEvent] = loop.create_future()
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
        try:
            async with self.sessions() as session, session.begin():
                rows = await record_many(
                    session,
                    [entry for entry, _, _ in batch],
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
) -> AuditEvent:
    """Record in a transaction of its own (reads, token events); committed when this returns.
    Concurrent calls share transactions (group commit)."""
    loop = asyncio.get_running_loop()
    groups = _groups.setdefault(sessions, {})
    group = groups.get(loop)
    if group is None:
        group = groups[loop] = _GroupCommit(sessions, clock)
    return await group.record(entry, (keys, checkpoints, issuer))

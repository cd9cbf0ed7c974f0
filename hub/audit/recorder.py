"""The one audit recorder: appends an event to the hash chain in the caller's transaction.

Fail closed: any error while recording raises, so the caller's transaction (and the change it
records) rolls back. Nothing changes unrecorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import re
import weakref
from collections.abc import Sequence
from datetime import UTC
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

import cachetools
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.audit.canonical import (
    canonical_json,
    chain_hash,
    event_document,
    hash_parts,
    is_plain_json,
    join_roles,
)
from hub.audit.checkpoints import (
    DEFAULT_ISSUER,
    CheckpointMark,
    CheckpointPolicy,
    checkpoint_due,
    make_checkpoint,
    signed_checkpoint,
)
from hub.audit.events import Actor, AuditEntry, BuiltEvent, ResourceDocuments, ResourceTouch
from hub.audit.masking import clean_text, mask_shapes, mask_variables
from hub.audit.store import (
    chain_head,
    last_checkpoint,
    lock_chain,
)
from hub.db.engine import driver_connection, json_text
from hub.db.models.audit import AuditCheckpoint, AuditEvent
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore

__all__ = ["CheckpointPolicy", "mask_variables", "record", "record_many", "record_standalone"]

DEFAULT_CHECKPOINTS = CheckpointPolicy()
log = logging.getLogger(__name__)


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
# plain 12-character codes (the usual case, read without a regular expression: cutting the text
# at each key and taking 12 characters is C work, a regular expression's scan is not) or
# anything else, escapes included.
_DIVISION_KEY = '"divisionCode":"'
_CODE_LENGTH = 12
_CODE = itemgetter(slice(0, _CODE_LENGTH))
_AFTER_CODE = itemgetter(_CODE_LENGTH)
_ANY_DIVISION = re.compile(r'"divisionCode":"((?:[^"\\]|\\.)*)"')


def _prebuilt_resources(documents: ResourceDocuments) -> tuple[orjson.Fragment, str | None]:
    text = documents.json
    codes = _plain_codes(text)
    if codes is None:
        codes = {json.loads(f'"{code}"') for code in _ANY_DIVISION.findall(text)}
    return orjson.Fragment(text), _joined({code for code in codes if code})


def _plain_codes(text: str) -> set[str] | None:
    """The division codes when every one is 12 characters without quotes or escapes, else
    None. A string value ends at its first unescaped quote, so a quote right after the 12th
    character and none before it (nor a backslash) mean the code is exactly those 12."""
    pieces = text.split(_DIVISION_KEY)
    del pieces[0]
    try:
        if pieces and set(map(_AFTER_CODE, pieces)) != {'"'}:
            return None
    except IndexError:  # a piece shorter than a code and its quote
        return None
    codes = set(map(_CODE, pieces))
    seen = "".join(codes)
    return None if '"' in seen or "\\" in seen else codes


def _json_roundtrip(value: Any) -> Any:
    # Exactly what the JSON column will give back on either engine, so the hash recomputes.
    if value is None:
        return None
    if is_plain_json(value):  # orjson gives the same values, several times faster
        return orjson.loads(orjson.dumps(value))
    return json.loads(json.dumps(value, ensure_ascii=False))


def _stored_variables(variables: Any) -> tuple[Any, bool]:
    """The variables as stored (masked, as the JSON column gives them back) and whether they
    are plain JSON. A partner's system sends the same few variable sets again and again: plain
    ones (whose JSON is the value itself) are worked out once per process, keyed by a digest of
    their JSON, so the cache keeps no unmasked value (the result is shared: never changed)."""
    if variables is None:
        return None, True
    if not is_plain_json(variables):
        return _masked_variables(variables)
    text = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    if len(text) > _VARIABLES_KEY_MAX:
        return _masked_variables(variables)
    key = hashlib.blake2b(text, digest_size=16).digest()
    found = _STORED_VARIABLES.get(key)
    if found is None:
        found = _STORED_VARIABLES[key] = _masked_variables(variables)
    return found


def _masked_variables(variables: Any) -> tuple[Any, bool]:
    stored = _json_roundtrip(mask_variables(variables))
    return stored, is_plain_json(stored)


_STORED_VARIABLES: cachetools.LRUCache[bytes, tuple[Any, bool]] = cachetools.LRUCache(maxsize=1024)
_VARIABLES_KEY_MAX = 4096


@functools.lru_cache(maxsize=1024)
def _actor_columns(actor: Actor) -> tuple[str | None, ...]:
    """subject, client id, department, division and roles, fitted to their columns (the same
    few callers again and again: worked out once per caller)."""
    return (
        _fit(actor.subject, 128),
        _fit(actor.client_id, 64),
        _fit(actor.department, 32),
        _fit(actor.division, 12),
        _fit(join_roles(actor.roles), 255),
    )


def draft_event(entry: AuditEntry, clock: Clock) -> tuple[BuiltEvent, bool]:
    """The row for `entry`, masked and fitted to its columns, before its place in the chain
    (seq 0, no hashes); and whether its JSON is plain (`is_plain_json`)."""
    # Strings only, built here: the JSON column gives back exactly these values.
    resources: Any
    if isinstance(entry.resources, ResourceDocuments):
        resources, divisions = _prebuilt_resources(entry.resources)
    else:
        field_lists: dict[int, list[dict[str, str]]] = {}
        resources = [_resource_document(r, field_lists) for r in entry.resources]
        divisions = resource_divisions(resources)
    variables, plain = _stored_variables(entry.variables)
    if not plain and isinstance(resources, orjson.Fragment):
        resources = orjson.loads(entry.resources.json)  # type: ignore[union-attr]
    purpose = None if entry.purpose is None else mask_shapes(clean_text(entry.purpose))
    subject, client_id, department, division, roles = _actor_columns(entry.actor)
    row = BuiltEvent(
        seq=0,
        at=clock.now().astimezone(UTC),
        actor_subject=subject,
        actor_client_id=client_id,
        actor_department=department,
        actor_division=division,
        actor_roles=roles,
        operation_kind=str(entry.operation_kind),
        operation_name=_fit(entry.operation_name, 200),
        document_hash=_fit(entry.document_hash, 64),
        variables=variables,
        purpose=_fit(purpose, 200),
        outcome=str(entry.outcome),
        policy_version=_fit(entry.policy_version, 64),
        resources=resources,
        resource_divisions=divisions,
        prev_hash="",
        hash="",
    )
    return row, plain


def build_event(entry: AuditEntry, seq: int, prev_hash: str, clock: Clock) -> BuiltEvent:
    """The row for `entry` at `seq`, masked, fitted to its columns and hashed."""
    row, plain = draft_event(entry, clock)
    row.seq, row.prev_hash = seq, prev_hash
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
    rows: list[BuiltEvent] = []
    unwritten: list[BuiltEvent] = []
    for entry in entries:
        row = build_event(entry, head_seq + 1, head_hash, clock)
        head_seq, head_hash = row.seq, row.hash
        rows.append(row)
        unwritten.append(row)
        if keys is not None and checkpoint_due(latest, head_seq, clock, checkpoints):
            await _insert(session, unwritten)  # the checkpoint signs the head as stored
            unwritten.clear()
            latest = await make_checkpoint(session, keys, clock, issuer=issuer)
    await _insert(session, unwritten)
    return rows


_EVENT_COLUMNS = [(attr.key, attr.columns[0].key) for attr in sa.inspect(AuditEvent).column_attrs]


async def _insert(session: AsyncSession, rows: list[BuiltEvent]) -> None:
    """One multi-row INSERT (the rows stay plain objects: nothing for the ORM to track)."""
    if rows:
        values = [{column: getattr(row, attr) for attr, column in _EVENT_COLUMNS} for row in rows]
        table: Any = AuditEvent.__table__  # Core, not the ORM's bulk path
        await session.execute(sa.insert(table), values)


# The group commit on PostgreSQL: one statement per batch, through asyncpg directly (each
# statement costs a fraction of the ORM's work, and every read waits for it; decision 0062).
# `audit_append` (migration 0007) takes the chain lock, reads the head and appends: the same one
# round trip whether or not another process appended since (decision 0065).
# audit_append's arguments, in its order: these row attributes, then the resource list, the
# resource divisions and the three parts of the canonical JSON (`hash_parts`), one array each.
_APPEND_FIELDS = (
    "at", "actor_subject", "actor_client_id", "actor_department", "actor_division",
    "actor_roles", "operation_kind", "operation_name", "document_hash", "variables", "purpose",
    "outcome", "policy_version",
)  # fmt: skip
_APPEND_VALUES = attrgetter(*_APPEND_FIELDS)
_APPEND_TYPES = [
    {"at": "timestamptz", "variables": "json"}.get(name, "text") for name in _APPEND_FIELDS
] + ["text"] * 5
_APPEND = "SELECT * FROM audit_append({})".format(  # noqa: S608 - placeholders only
    ", ".join(f"${i}::{kind}[]" for i, kind in enumerate(_APPEND_TYPES, 1))
)
_INSERT_CHECKPOINT = (
    "INSERT INTO audit_checkpoints (seq, hash, at, jws) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (seq) DO NOTHING"
)


def _resources_text(row: BuiltEvent, entry: AuditEntry | None = None) -> str:
    """The resource list as stored and hashed: its canonical JSON (a prebuilt list is already:
    the entry's text, when the row embeds it as it is)."""
    if isinstance(row.resources, orjson.Fragment) and entry is not None:
        return entry.resources.json  # type: ignore[union-attr]  # only prebuilt lists embed
    return canonical_json(row.resources, plain=True).decode("utf-8")


class _DriverWriter:
    """`record_many` for the group commit on PostgreSQL: each batch is one self-committing
    `audit_append` statement, which chains the events after whatever head the chain has when it
    gets the lock. Checkpoints fall where recording the events one by one would put them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def write(
        self,
        entries: Sequence[AuditEntry],
        clock: Clock,
        *,
        keys: KeyStore | None,
        checkpoints: CheckpointPolicy,
        issuer: str,
    ) -> list[BuiltEvent]:
        rows: list[BuiltEvent] = []
        events: list[tuple[Any, ...]] = []
        for entry in entries:
            row, plain = draft_event(entry, clock)
            resources = _resources_text(row, entry)
            parts = hash_parts(event_document(row), resources, plain=plain)
            values = _APPEND_VALUES(row)
            if row.variables is not None:
                values = (*values[:_VARIABLES], json_text(row.variables), *values[_VARIABLES + 1 :])
            events.append((*values, resources, row.resource_divisions, *parts))
            rows.append(row)
        # One array per argument of audit_append (an empty batch: empty arrays).
        arguments = [list(column) for column in zip(*events, strict=True)] or [
            [] for _ in _APPEND_TYPES
        ]
        async with driver_connection(self.engine) as driver:
            written = await driver.fetch(_APPEND, *arguments)
            for row, (seq, prev_hash, hash_, _, _) in zip(rows, written, strict=True):
                row.seq, row.prev_hash, row.hash = int(seq), str(prev_hash), str(hash_)
            if keys is not None and rows:
                newest = written[0]
                await self._checkpoint(driver, rows, newest, keys, clock, checkpoints, issuer)
        return rows

    async def _checkpoint(
        self,
        driver: Any,
        rows: list[BuiltEvent],
        newest: Any,
        keys: KeyStore,
        clock: Clock,
        checkpoints: CheckpointPolicy,
        issuer: str,
    ) -> None:
        """Sign checkpoints at the events of the batch where recording them one by one would
        have, after the newest one `audit_append` saw; written after the events' commit."""
        latest: AuditCheckpoint | CheckpointMark | None = None
        if newest[3] is not None:
            latest = CheckpointMark(newest[3], newest[4])
        signed = []
        for row in rows:
            if checkpoint_due(latest, row.seq, clock, checkpoints):
                latest = signed_checkpoint(keys, clock, row.seq, row.hash, issuer=issuer)
                signed.append((latest.seq, latest.hash, latest.at, latest.jws))
        if not signed:
            return
        try:
            await driver.executemany(_INSERT_CHECKPOINT, signed)
        except Exception:
            # The events are committed; the next batch finds a checkpoint still due.
            log.warning("writing an audit checkpoint failed", exc_info=True)


_VARIABLES = _APPEND_FIELDS.index("variables")


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

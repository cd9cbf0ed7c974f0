"""The one audit recorder: appends an event to the hash chain in the caller's transaction.

Fail closed: any error while recording raises, so the caller's transaction (and the change it
records) rolls back. Nothing changes unrecorded.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit.canonical import chain_hash, event_document, join_roles
from hub.audit.checkpoints import DEFAULT_ISSUER, CheckpointPolicy, checkpoint_if_due
from hub.audit.events import AuditEntry, ResourceTouch
from hub.audit.masking import clean_text, mask_shapes, mask_variables
from hub.audit.store import chain_head, lock_chain
from hub.db.models.audit import AuditEvent
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore

__all__ = ["CheckpointPolicy", "mask_variables", "record", "record_standalone"]

DEFAULT_CHECKPOINTS = CheckpointPolicy()


def _fit(value: str | None, length: int) -> str | None:
    """Cut to the column's length, so an over-long client value cannot fail the audit write on
    PostgreSQL while SQLite would have stored it whole."""
    return None if value is None else clean_text(value)[:length]


def _resource_document(touch: ResourceTouch) -> dict[str, Any]:
    return {
        "type": touch.type,
        "id": touch.id,
        "divisionCode": touch.division_code,
        "fields": [{"field": f.field, "grant": str(f.grant)} for f in touch.fields],
    }


def resource_divisions(resources: list[dict[str, Any]]) -> str | None:
    """The stored, searchable form: " code code" (leading space, sorted, unique)."""
    codes = sorted({str(r["divisionCode"]) for r in resources if r.get("divisionCode")})
    return " " + " ".join(codes) if codes else None


def _json_roundtrip(value: Any) -> Any:
    # Exactly what the JSON column will give back on either engine, so the hash recomputes.
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False))


def build_event(entry: AuditEntry, seq: int, prev_hash: str, clock: Clock) -> AuditEvent:
    """The row for `entry` at `seq`, masked, fitted to its columns and hashed."""
    actor = entry.actor
    resources = _json_roundtrip([_resource_document(r) for r in entry.resources])
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
    row.hash = chain_hash(prev_hash, event_document(row))
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
    await lock_chain(session)
    head_seq, head_hash = await chain_head(session)
    row = build_event(entry, head_seq + 1, head_hash, clock)
    session.add(row)
    await session.flush()
    if keys is not None:
        await checkpoint_if_due(session, keys, clock, row.seq, checkpoints, issuer=issuer)
    return row


async def record_standalone(
    sessions: async_sessionmaker[AsyncSession],
    entry: AuditEntry,
    clock: Clock,
    *,
    keys: KeyStore | None = None,
    checkpoints: CheckpointPolicy = DEFAULT_CHECKPOINTS,
    issuer: str = DEFAULT_ISSUER,
) -> AuditEvent:
    """Record in a transaction of its own (reads, token events); committed when this returns."""
    async with sessions() as session, session.begin():
        return await record(
            session, entry, clock, keys=keys, checkpoints=checkpoints, issuer=issuer
        )

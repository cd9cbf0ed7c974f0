"""Auditors' reads of the log: events in their jurisdiction, checkpoints, a gap-free stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Text, cast, or_, select

from hub.audit.checkpoints import latest_checkpoint
from hub.db.models import AuditCheckpoint, AuditEvent
from hub.errors import BadUserInput, Forbidden
from hub.policy.jurisdiction import visible
from hub.resolvers.context import HubContext
from hub.schema.ids import from_global_id

log = logging.getLogger(__name__)
_T = TypeVar("_T")

AUDIT_SCOPE = "audit:read"
POLL_SECONDS = 1.0


def require_auditor(ctx: HubContext) -> None:
    principal = ctx.require_principal()
    if not principal.has_scope(AUDIT_SCOPE) or not principal.has_role("auditor"):
        raise Forbidden("reading the audit log needs the auditor role and the audit:read scope")


def events_statement(ctx: HubContext, flt: Any | None) -> Select[Any]:
    require_auditor(ctx)
    stmt = select(AuditEvent).where(visible(ctx.principal, AuditEvent))
    if flt is None:
        return stmt
    if flt.department is not None:
        stmt = stmt.where(AuditEvent.actor_department == flt.department.value)
    if flt.subject is not None:
        stmt = stmt.where(AuditEvent.actor_subject == flt.subject)
    if flt.operation_name is not None:
        stmt = stmt.where(AuditEvent.operation_name == flt.operation_name)
    if flt.outcome is not None:
        stmt = stmt.where(AuditEvent.outcome == flt.outcome.value)
    if flt.resident_id is not None:
        from_global_id(flt.resident_id, "filter.residentId")
        # The stored JSON text is compact (orjson) or spaced (older rows): match either.
        escaped = flt.resident_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        text = cast(AuditEvent.resources, Text)
        stmt = stmt.where(
            or_(
                text.like(f'%"id": "{escaped}"%', escape="\\"),
                text.like(f'%"id":"{escaped}"%', escape="\\"),
            )
        )
    if flt.from_time is not None:
        stmt = stmt.where(AuditEvent.at >= _aware(flt.from_time, "filter.fromTime"))
    if flt.to_time is not None:
        stmt = stmt.where(AuditEvent.at < _aware(flt.to_time, "filter.toTime"))
    return stmt


def _aware(value: datetime, argument: str) -> datetime:
    if value.tzinfo is None:
        raise BadUserInput(f"`{argument}` needs a time zone (e.g. 2026-11-01T00:00:00Z)",
                           argument=argument)
    return value


async def checkpoint(ctx: HubContext) -> AuditCheckpoint | None:
    require_auditor(ctx)
    services = ctx.services
    async with services.sessions() as session, session.begin():
        return await latest_checkpoint(
            session, services.keys, services.clock, issuer=services.settings.issuer
        )


async def stream(ctx: HubContext, after_seq: int) -> AsyncIterator[AuditEvent]:
    """Events after `after_seq` in the caller's jurisdiction, in seq order, as they commit.

    Seq is gap-free and assigned under the chain lock, so polling by seq misses nothing: an
    event with a lower seq is always committed before a higher one becomes visible.
    """
    from hub.resolvers.live import live_context

    ctx = live_context(ctx)
    await ctx.renew()
    require_auditor(ctx)
    if after_seq < 0:
        raise BadUserInput("`afterSeq` must be 0 or more", argument="afterSeq")
    cursor = after_seq
    while True:
        await ctx.renew()  # an expired or revoked token ends the stream
        batch, visible_seqs = await _to_its_end(_poll(ctx, cursor))
        for event in batch:
            cursor = event.seq
            if event.seq in visible_seqs:
                yield event
        if not batch:
            await asyncio.sleep(POLL_SECONDS)


async def _poll(ctx: HubContext, cursor: int) -> tuple[list[AuditEvent], set[int]]:
    """The next events after `cursor` (up to 500), and which of them the caller may see."""
    async with ctx.services.sessions() as session:
        batch = list((await session.execute(
            select(AuditEvent).where(AuditEvent.seq > cursor).order_by(AuditEvent.seq)
            .limit(500)
        )).scalars())
        visible_seqs = set((await session.execute(
            select(AuditEvent.seq).where(
                AuditEvent.seq.in_([e.seq for e in batch]),
                visible(ctx.principal, AuditEvent),
            )
        )).scalars()) if batch else set()
    return batch, visible_seqs


_RUNNING: set[asyncio.Task[Any]] = set()


async def _to_its_end(poll: Coroutine[Any, Any, _T]) -> _T:
    """Runs a poll to its end even when its stream is closed meanwhile (the client hung up): a
    query cancelled half-way makes SQLAlchemy throw its pooled connection away (and on SQLite
    the connection's close could hang). The stream still ends at once; the poll gives its
    connection back when its statements are done."""
    task = asyncio.ensure_future(poll)
    _RUNNING.add(task)
    task.add_done_callback(_finished)
    return await asyncio.shield(task)


def _finished(task: asyncio.Task[Any]) -> None:
    _RUNNING.discard(task)
    error = None if task.cancelled() else task.exception()
    if error is not None:
        # Raised to the stream when it still waits; otherwise nobody else would hear of it.
        log.debug("an audit stream's poll failed after the stream closed", exc_info=error)

"""The transaction every case command runs in: one session of its own, the writer lock, the
change, its audit record, one commit; events are published only after the commit.

A unique-key collision (a concurrent twin with the same idempotency key, or two cases drawing
a number at once) rolls the attempt back and runs it again, where it sees the winner's rows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.events import ResourceTouch
from hub.auth.principal import Principal
from hub.db.models import ApprovalTask, Case
from hub.events import broker_of
from hub.resolvers.case_store import begin_write
from hub.resolvers.context import HubContext
from hub.resolvers.mutation_audit import OperationMeta, mark_recorded, record_mutation
from hub.schema.ids import to_global_id
from hub.services import Services

log = logging.getLogger(__name__)
ATTEMPTS = 3
T = TypeVar("T")


@dataclass
class Tx:
    """One attempt of a command: its session, caller and instant, and what it touched."""

    session: AsyncSession
    services: Services
    principal: Principal
    now: datetime
    resources: dict[str, ResourceTouch] = field(default_factory=dict)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def touch(self, type_name: str, pk: int, division_code: str | None) -> None:
        gid = to_global_id(type_name, pk)
        self.resources.setdefault(gid, ResourceTouch(type_name, gid, division_code))

    def publish_after_commit(self, channel: str, payload: dict[str, Any]) -> None:
        self.messages.append((channel, payload))


@dataclass
class Effect:
    """What a command hands back: the case and, for a task decision, the task."""

    case: Case
    task: ApprovalTask | None = None


Body = Callable[[Tx], Awaitable[Effect]]
Plan = Callable[[Principal], Body]


async def run_audited(
    ctx: HubContext, meta: OperationMeta, body: Callable[[Tx], Awaitable[T]]
) -> tuple[T, Tx]:
    """Run `body` in one transaction: the writer lock, the change, its audit record, one
    commit; retried on a unique-key collision (a concurrent twin), where the retry sees the
    winner's rows. A failure rolls back and writes nothing."""
    services = ctx.services
    principal = ctx.require_principal()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with services.sessions() as session, session.begin():
                await begin_write(session)
                tx = Tx(session, services, principal, services.clock.now())
                result = await body(tx)
                await session.flush()
                await record_mutation(ctx, session, meta, list(tx.resources.values()))
        except IntegrityError:
            if attempt < ATTEMPTS:
                continue
            raise
        break
    mark_recorded(ctx)
    return result, tx


async def run_command(ctx: HubContext, meta: OperationMeta, plan: Plan) -> Effect:
    """`plan` checks the caller and the input without the database and returns the body, which
    runs in a transaction of its own. A failure leaves no trace (its audit record is written by
    the operation's audit extension)."""
    body = plan(ctx.require_principal())
    effect, tx = await run_audited(ctx, meta, body)
    broker = broker_of(ctx.services)
    for channel, payload in tx.messages:
        try:
            await broker.publish(channel, payload)
        except Exception:  # committed already: a lost notification must not fail the change
            log.exception("could not publish to %s", channel)
    return effect

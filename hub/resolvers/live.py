"""Subscriptions (graphql-transport-ws): the connection's token, a fresh context per event, and
the two streams of 联动审批 — a case's events and the tasks opened for a department.

Each event re-verifies the connection's token (an expired or revoked token ends the stream
with UNAUTHENTICATED) and re-reads its rows through the loaders of a new context, so the
jurisdiction filter and field policy apply exactly as to a query, at that moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from hub.audit.events import OperationKind, Outcome, ResourceTouch
from hub.audit.recorder import record_standalone
from hub.auth.principal import Principal
from hub.db.models import ApprovalTask, CaseEvent
from hub.errors import BadUserInput, NotFound, Unauthenticated
from hub.events import broker_of, case_channel, tasks_channel
from hub.events.broker import BrokerSubscription
from hub.resolvers.audit_operation import entry_for
from hub.resolvers.context import HubContext
from hub.schema.ids import to_global_id
from hub.services import Services

log = logging.getLogger(__name__)

# Without events, the token is checked again this often (seconds), so a revoked token's
# stream ends even when nothing happens.
RECHECK_SECONDS = 30.0


class LiveContext(HubContext):
    """The context of a WebSocket connection or of one of its operations (per operation,
    renewed per event). `token` is the bearer token `connection_init` authenticated."""

    def __init__(
        self,
        services: Services,
        principal: Principal | None,
        *,
        purpose: str | None = None,
        request: Any = None,
        token: str | None = None,
    ) -> None:
        super().__init__(services, principal, purpose=purpose, request=request)
        self.token = token
        self.connection_params: dict[str, Any] | None = None

    def for_operation(self) -> LiveContext:
        """A context of its own for one operation of this connection (its own loaders)."""
        return LiveContext(
            self.services,
            self.principal,
            purpose=self.purpose,
            request=self.request,
            token=self.token,
        )

    async def renew(self) -> None:
        """Verify the token again and start afresh: new principal, loaders, gate, session."""
        if self.token is None:
            raise Unauthenticated("this subscription needs an access token")
        principal = await self.services.verifier.verify(self.token)
        await self.close()
        HubContext.__init__(
            self, self.services, principal, purpose=self.purpose, request=self.request
        )


def live_context(ctx: Any) -> LiveContext:
    if not isinstance(ctx, LiveContext):
        raise BadUserInput("subscriptions run over the graphql-transport-ws WebSocket")
    return ctx


async def _release(ctx: LiveContext) -> None:
    """Give the event's connection back; shielded, so a client hanging up meanwhile does not
    cancel the pool's reset halfway (which would invalidate the connection)."""
    await asyncio.shield(ctx.close())


async def _next(ctx: LiveContext, subscription: BrokerSubscription) -> dict[str, Any]:
    """The next payload; while none comes, the token is checked every RECHECK_SECONDS."""
    while True:
        try:
            return await asyncio.wait_for(anext(subscription), RECHECK_SECONDS)
        except TimeoutError:
            await ctx.renew()
            await _release(ctx)


@asynccontextmanager
async def _recorded(ctx: LiveContext, resources: list[ResourceTouch]) -> AsyncIterator[None]:
    """SUBSCRIPTION_START (fail closed: no stream without it) and SUBSCRIPTION_END."""
    await _record(ctx, OperationKind.SUBSCRIPTION_START, resources)
    try:
        yield
    finally:
        try:  # shielded: a hang-up cancels the stream, not its last audit record
            await asyncio.shield(_record(ctx, OperationKind.SUBSCRIPTION_END, resources))
        except Exception:  # the stream is over either way
            log.exception("could not record the end of a subscription")


async def _record(ctx: LiveContext, kind: OperationKind, resources: list[ResourceTouch]) -> None:
    entry = entry_for(ctx, kind, Outcome.OK, operation_name=None, query=None, variables=None)
    entry = replace(entry, resources=tuple(resources))
    await record_standalone(ctx.services.sessions, entry, ctx.services.clock)


async def case_events(ctx_: Any, case_id: int) -> AsyncIterator[CaseEvent]:
    """`caseEvents(caseId)`: the case's new events while the case stays visible.

    Subscribed before the first check, so no event between the check and the first wait is
    missed; no database connection is held while waiting.
    """
    ctx = live_context(ctx_)
    subscription = broker_of(ctx.services).subscribe(case_channel(case_id))
    try:
        await ctx.renew()
        case = await ctx.loaders.case.load(case_id)
        if case is None:
            raise NotFound("case not found")
        touched = [ResourceTouch("Case", to_global_id("Case", case_id), case.division_code)]
        await _release(ctx)
        async with _recorded(ctx, touched):
            while True:
                payload = await _next(ctx, subscription)
                await ctx.renew()
                if await ctx.loaders.case.load(case_id) is None:
                    raise NotFound("case not found")
                wanted = set(payload["event_ids"])
                for event in await ctx.loaders.events_by_case.load(case_id):
                    if event.id in wanted:
                        yield event
                await _release(ctx)
    finally:
        subscription.close()
        await _release(ctx)


async def tasks_assigned(ctx_: Any) -> AsyncIterator[ApprovalTask]:
    """`approvalTaskAssigned`: tasks opened for the caller's department, on cases inside its
    jurisdiction and assigned to an office inside it (the ones it can decide)."""
    ctx = live_context(ctx_)
    await ctx.renew()
    department = ctx.require_principal().department.value
    subscription = broker_of(ctx.services).subscribe(tasks_channel(department))
    try:
        await _release(ctx)
        async with _recorded(ctx, []):
            while True:
                payload = await _next(ctx, subscription)
                await ctx.renew()
                prefix = ctx.require_principal().jurisdiction_prefix
                if str(payload["assignee_division_code"]).startswith(prefix):
                    task = await ctx.loaders.task.load(int(payload["task_id"]))
                    if task is not None and task.department == department:
                        yield task
                await _release(ctx)
    finally:
        subscription.close()
        await _release(ctx)

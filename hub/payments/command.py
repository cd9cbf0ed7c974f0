"""The transaction a payment command runs in: the case commands' own (hub.resolvers.command):
one session, the writer lock, the change, its audit record, one commit; retried on a unique-key
collision (a concurrent twin), where the retry sees the winner's rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from hub.resolvers.case_store import begin_write
from hub.resolvers.command import ATTEMPTS, Tx
from hub.resolvers.context import HubContext
from hub.resolvers.idempotency import fingerprint, remember, replay
from hub.resolvers.mutation_audit import OperationMeta, mark_recorded, record_mutation

T = TypeVar("T")


async def run_payment_command(
    ctx: HubContext, meta: OperationMeta, body: Callable[[Tx], Awaitable[T]]
) -> T:
    """Run `body` in one audited transaction; a failure rolls back and writes nothing."""
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
    return result


def idempotent(
    operation: str,
    key: str | None,
    inputs: dict[str, Any],
    body: Callable[[Tx], Awaitable[dict[str, Any]]],
) -> Callable[[Tx], Awaitable[dict[str, Any]]]:
    """`body` once per (caller, operation, key): a retry gets the first result back."""
    if key is None:
        return body
    print_ = fingerprint(inputs)

    async def once(tx: Tx) -> dict[str, Any]:
        earlier = await replay(tx.session, tx.principal, operation, key, print_)
        if earlier is not None:
            return {k: v for k, v in earlier.items() if k != "fingerprint"}
        result = await body(tx)
        remember(tx.session, tx.principal, operation, key, print_, result, tx.now)
        return result

    return once

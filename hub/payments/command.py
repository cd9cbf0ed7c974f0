"""The transaction a payment command runs in: the case commands' own (hub.resolvers.command):
one session, the writer lock, the change, its audit record, one commit; retried on a unique-key
collision (a concurrent twin), where the retry sees the winner's rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hub.resolvers.command import Tx, run_audited
from hub.resolvers.context import HubContext
from hub.resolvers.idempotency import fingerprint, remember, replay
from hub.resolvers.mutation_audit import OperationMeta

T = TypeVar("T")


async def run_payment_command(
    ctx: HubContext, meta: OperationMeta, body: Callable[[Tx], Awaitable[T]]
) -> T:
    """Run `body` in one audited transaction; a failure rolls back and writes nothing."""
    result, _tx = await run_audited(ctx, meta, body)
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

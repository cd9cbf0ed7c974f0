"""The audit record of a case command: one call site for the one recorder (hub.audit).

A change is recorded in its own transaction, just before the commit (fail closed: if recording
fails, nothing changed), and the context is marked recorded. A command that fails rolls back
and records nothing here: the operation's audit extension (hub.resolvers.audit_operation)
records it as DENIED or ERROR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hub.audit.events import Actor, AuditEntry, OperationKind, Outcome, ResourceTouch
from hub.audit.recorder import record
from hub.resolvers.audit_operation import document_hash
from hub.resolvers.context import HubContext


@dataclass(frozen=True)
class OperationMeta:
    """The GraphQL operation a command runs in, as the audit event names it."""

    mutation: str
    operation_name: str | None = None
    document_hash: str | None = None
    variables: Mapping[str, Any] | None = None

    @classmethod
    def from_info(cls, info: Info, mutation: str) -> OperationMeta:
        """The variables are the client's, as every other event of the operation records them
        (coerced ones would show enum members and defaults the client never sent)."""
        operation = info.operation
        context: HubContext = info.context
        return cls(
            mutation=mutation,
            operation_name=operation.name.value if operation.name else None,
            document_hash=document_hash(getattr(info, "query", None)),
            variables=context.variables,
        )


async def record_mutation(
    ctx: HubContext,
    session: AsyncSession,
    meta: OperationMeta,
    resources: Sequence[ResourceTouch],
) -> None:
    """Record the change in the caller's transaction, just before it commits."""
    entry = AuditEntry(
        operation_kind=OperationKind.MUTATION,
        outcome=Outcome.OK,
        actor=Actor.from_principal(ctx.principal),
        operation_name=meta.operation_name,
        document_hash=meta.document_hash,
        variables=meta.variables,
        purpose=ctx.purpose,
        policy_version=ctx.services.policy.version,
        resources=tuple(resources),
    )
    await record(session, entry, ctx.services.clock, keys=ctx.services.keys)


def mark_recorded(ctx: HubContext) -> None:
    """After the commit: the operation's audit extension must not record it a second time."""
    ctx.audit_recorded = True

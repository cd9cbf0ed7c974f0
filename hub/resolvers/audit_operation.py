"""Records every GraphQL operation through the one audit recorder, before the response leaves.

Mutations record themselves inside their own transaction (and set `ctx.audit_recorded`); this
extension records everything else — queries, mutations that failed and rolled back, and the
personal data a committed mutation's payload returned (a QUERY event after the MUTATION one). If
the audit write fails, the operation fails: the client gets an INTERNAL error instead of data.
"""

from __future__ import annotations

import hashlib
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.audit.events import (
    Actor,
    AuditEntry,
    FieldGrant,
    OperationKind,
    Outcome,
    ResourceDocuments,
    ResourceTouch,
)
from hub.audit.recorder import record_standalone
from hub.resolvers.context import AuditCollector, HubContext

DENIAL_CODES = frozenset({"UNAUTHENTICATED", "FORBIDDEN", "FORBIDDEN_FIELD"})
KINDS = {
    OperationType.QUERY: OperationKind.QUERY,
    OperationType.MUTATION: OperationKind.MUTATION,
    OperationType.SUBSCRIPTION: OperationKind.SUBSCRIPTION_START,
}


def document_hash(query: str | None) -> str | None:
    return hashlib.sha256(query.encode()).hexdigest() if query else None


def outcome_of(errors: list[GraphQLError] | None) -> Outcome:
    if not errors:
        return Outcome.OK
    found = {(e.extensions or {}).get("code") for e in errors}
    return Outcome.DENIED if found & DENIAL_CODES else Outcome.ERROR


def resources_of(collector: AuditCollector) -> tuple[ResourceTouch, ...] | ResourceDocuments:
    prebuilt = collector.prebuilt()
    if prebuilt is not None:  # the compiled path's documents, stored and hashed as written
        return ResourceDocuments(prebuilt)
    collector.merge_documents()
    # A page repeats a few field sets many times (every resident read with the same fields at
    # the same grants): build each set's FieldGrant tuple once.
    field_sets: dict[tuple[tuple[str, Any], ...], tuple[FieldGrant, ...]] = {}
    touches = []
    for r in collector.resources.values():
        items = tuple(sorted(r.fields.items()))
        fields = field_sets.get(items)
        if fields is None:
            fields = field_sets[items] = tuple(FieldGrant(f, str(g)) for f, g in items)
        touches.append(ResourceTouch(r.type_name, r.global_id, r.division_code, fields))
    return tuple(touches)


def entry_for(
    ctx: HubContext,
    kind: OperationKind,
    outcome: Outcome,
    *,
    operation_name: str | None,
    query: str | None,
    variables: dict[str, Any] | None,
) -> AuditEntry:
    return AuditEntry(
        operation_kind=kind,
        outcome=outcome,
        actor=Actor.from_principal(ctx.principal),
        operation_name=operation_name,
        document_hash=document_hash(query),
        variables=variables,
        purpose=ctx.purpose,
        policy_version=ctx.services.policy.version,
        resources=resources_of(ctx.audit),
    )


class AuditOperation(SchemaExtension):
    """Ends the operation's database session, then writes its audit event."""

    async def on_operation(self) -> Any:  # type: ignore[override]
        ctx = self.execution_context.context
        if isinstance(ctx, HubContext):
            ctx.variables = self.execution_context.variables
        yield
        if not isinstance(ctx, HubContext):
            return
        # The reads are done: give their connection back before waiting for the audit write,
        # which needs a connection of its own (holding both could exhaust the pool).
        await ctx.close()
        await self._record(ctx)

    async def _record(self, ctx: HubContext) -> None:
        ec = self.execution_context
        if ctx.audit_recorded:
            # The mutation's event was written before its commit, before its payload was
            # resolved: personal data the payload returned is a read of its own (0070).
            kind = OperationKind.QUERY
            if not ctx.audit.read_fields():
                return
        else:
            try:
                kind = KINDS.get(ec.operation_type, OperationKind.QUERY)
            except RuntimeError:  # the document did not parse: no operation type
                kind = OperationKind.QUERY
        if kind is OperationKind.SUBSCRIPTION_START:
            return  # subscriptions record their start and end themselves
        errors = ec.result.errors if ec.result is not None else ec.pre_execution_errors
        await record_operation(
            ctx,
            kind,
            list(errors or []),
            operation_name=ec.operation_name,
            query=ec.query,
            variables=ec.variables,
        )


async def record_operation(
    ctx: HubContext,
    kind: OperationKind,
    errors: list[GraphQLError],
    *,
    operation_name: str | None,
    query: str | None,
    variables: dict[str, Any] | None,
) -> None:
    """Writes the operation's audit event (outcome from its errors' codes) and marks it
    recorded: this extension's way, and the prepared reads' (hub/compiled/prepared.py)."""
    entry = entry_for(
        ctx,
        kind,
        outcome_of(errors),
        operation_name=operation_name,
        query=query,
        variables=variables,
    )
    services = ctx.services
    await record_standalone(
        services.sessions,
        entry,
        services.clock,
        keys=services.keys,
        issuer=services.settings.issuer,
    )
    ctx.audit_recorded = True

"""The one place supervision writes call the audit recorder, inside the write's transaction."""

from __future__ import annotations

import getpass
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hub.audit.events import Actor, AuditEntry, FieldGrant, OperationKind, Outcome, ResourceTouch
from hub.audit.recorder import record
from hub.domain.clock import Clock
from hub.policy.grants import Grant
from hub.resolvers.context import HubContext
from hub.resolvers.mutation_audit import OperationMeta, mark_recorded, record_mutation
from hub.schema.ids import to_global_id

__all__ = ["mark_recorded", "record_change", "record_import"]

# (GraphQL type name, primary key, division code, columns written)
Touch = tuple[str, int, str, Iterable[str]]


async def record_change(
    session: AsyncSession, ctx: HubContext, info: Info, touches: Iterable[Touch]
) -> None:
    """Append the mutation's audit event (who, which document, which records and columns) in
    `session`'s transaction, through the hub's one mutation recorder: if the audit write fails,
    the change rolls back with it. Call `mark_recorded(ctx)` after the commit."""
    resources = [
        ResourceTouch(
            type=type_name,
            id=to_global_id(type_name, pk),
            division_code=division_code,
            fields=tuple(FieldGrant(column, str(Grant.FULL)) for column in sorted(columns)),
        )
        for type_name, pk, division_code, columns in touches
    ]
    meta = OperationMeta.from_info(info, info.field_name)
    await record_mutation(ctx, session, meta, resources)


async def record_import(
    session: AsyncSession, clock: Clock, kind: str, file_name: str, rows: int
) -> None:
    """The audit event of an `mzhub import` run, by the operating-system user who ran it."""
    entry = AuditEntry(
        operation_kind=OperationKind.MUTATION,
        outcome=Outcome.OK,
        actor=Actor(subject=f"cli:{_user()}", client_id="mzhub-cli"),
        operation_name=f"import {kind}",
        variables={"file": file_name, "rows": rows},
        purpose="supervision records import",
    )
    await record(session, entry, clock)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"

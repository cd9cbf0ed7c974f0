"""`node`/`nodes`: a global ID resolves through the same loaders as every other path."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from hub.schema.ids import from_global_id


async def resolve_node(info: Info, global_id: str, argument: str = "id") -> Any | None:
    """The object behind a global ID, or None when missing or outside jurisdiction."""
    from hub.schema.cases import ApprovalTask, Case
    from hub.schema.payments import Entitlement, Payment
    from hub.schema.people import Household, Resident

    type_name, key = from_global_id(global_id, argument)
    ctx = info.context
    if not key.isdigit():
        return None
    pk = int(key)
    loaders = ctx.loaders
    if type_name == "Resident":
        row = await loaders.resident.load(pk)
        return Resident.of(info, row) if row else None
    if type_name == "Household":
        row = await loaders.household.load(pk)
        return Household.of(info, row) if row else None
    if type_name == "Case":
        row = await loaders.case.load(pk)
        return Case.of(info, row) if row else None
    if type_name == "ApprovalTask":
        row = await loaders.task.load(pk)
        return ApprovalTask.of(row) if row else None
    if type_name == "Entitlement":
        row = await loaders.entitlement.load(pk)
        return Entitlement.of(info, row) if row else None
    if type_name == "Payment":
        row = await loaders.payment.load(pk)
        return Payment.of(info, row) if row else None
    return None

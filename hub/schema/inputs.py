"""Filter inputs of the root connections (DESIGN.md §4)."""

from __future__ import annotations

import strawberry

from hub.schema.enums import CaseStatus, Channel, Department, PaymentStatus, TaskStatus


@strawberry.input(description="Filters need FULL access on the field they search (no oracles).")
class ResidentFilter:
    division_code: str | None = None
    id_number: str | None = None
    name_contains: str | None = None
    item_code: str | None = None
    has_active_entitlement: bool | None = None


@strawberry.input
class CaseFilter:
    status: CaseStatus | None = None
    item_code: str | None = None
    division_code: str | None = None
    channel: Channel | None = None
    overdue: bool | None = None


@strawberry.input
class ApprovalTaskFilter:
    status: TaskStatus | None = None
    department: Department | None = None
    overdue: bool | None = None


@strawberry.input
class PaymentFilter:
    period: str | None = None
    status: PaymentStatus | None = None
    division_code: str | None = None

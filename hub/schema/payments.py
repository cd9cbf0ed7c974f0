"""Entitlements and monthly payments (社会化发放); amounts and accounts are policy-guarded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from hub.db.models import Entitlement as EntitlementRow
from hub.db.models import Payment as PaymentRow
from hub.domain.catalogue import load_catalogue
from hub.errors import BadUserInput
from hub.policy.gate import GuardedRow
from hub.schema.catalogue import ServiceItem
from hub.schema.common import Node
from hub.schema.divisions import Division, division_of
from hub.schema.enums import EntitlementStatus, PaymentStatus
from hub.schema.guard import guarded
from hub.schema.ids import to_global_id

if TYPE_CHECKING:
    from hub.schema.cases import Case
    from hub.schema.people import Resident

CaseRef = Annotated["Case", strawberry.lazy("hub.schema.cases")]
ResidentRef = Annotated["Resident", strawberry.lazy("hub.schema.people")]


@strawberry.type(description="A monthly (or one-off) benefit created by an approved case.")
class Entitlement(Node):
    row: strawberry.Private[EntitlementRow]

    @classmethod
    def of(cls, info: Info, row: EntitlementRow) -> Entitlement:
        return cls(row=row, id=strawberry.ID(to_global_id("Entitlement", row.id)))

    @property
    def guard(self) -> GuardedRow:
        r = self.row
        return GuardedRow("Entitlement", self.id, r.division_code, r.resident_id, r.household_id)

    monthly_amount = guarded("Entitlement", "monthlyAmount", "monthly_amount", Decimal)

    @strawberry.field
    def item(self) -> ServiceItem:
        return ServiceItem(item=load_catalogue().get(self.row.item_code))

    @strawberry.field
    def start_period(self) -> str:
        return self.row.start_period

    @strawberry.field
    def end_period(self) -> str | None:
        return self.row.end_period

    @strawberry.field
    def status(self) -> EntitlementStatus:
        return EntitlementStatus(self.row.status)

    @strawberry.field
    def status_reason(self) -> str | None:
        return self.row.status_reason

    @strawberry.field
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.row.division_code)

    @strawberry.field(name="case")
    async def case_(self, info: Info) -> CaseRef | None:
        from hub.schema.cases import Case

        row = await info.context.loaders.case.load(self.row.case_id)
        return Case.of(info, row) if row else None

    @strawberry.field
    async def resident(self, info: Info) -> ResidentRef | None:
        from hub.schema.people import Resident

        row = await info.context.loaders.resident.load(self.row.resident_id)
        return Resident.of(info, row) if row else None

    @strawberry.field(description="Payments, newest `last` of them (default 12, at most 100).")
    async def payments(self, info: Info, last: int = 12) -> list[Payment]:
        if last < 0 or last > 100:
            raise BadUserInput("`last` must be between 0 and 100", argument="last")
        rows = await info.context.loaders.payments_by_entitlement.load(self.row.id)
        chosen = rows[-last:] if last else []
        return [Payment.of(info, r, self.row) for r in chosen]

    @strawberry.field
    def version(self) -> int:
        return self.row.version


@strawberry.type(description="One payment of an entitlement for a period (YYYY-MM).")
class Payment(Node):
    row: strawberry.Private[PaymentRow]
    resident_id: strawberry.Private[int | None]
    household_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, info: Info, row: PaymentRow, entitlement: EntitlementRow | None = None) -> Payment:
        gid = to_global_id("Payment", row.id)
        info.context.audit.row("Payment", gid, row.division_code)
        return cls(
            row=row,
            id=strawberry.ID(gid),
            resident_id=entitlement.resident_id if entitlement else None,
            household_id=entitlement.household_id if entitlement else None,
        )

    @property
    def guard(self) -> GuardedRow:
        return GuardedRow(
            "Payment", self.id, self.row.division_code, self.resident_id, self.household_id
        )

    amount = guarded("Payment", "amount", "amount", Decimal)
    bank_account = guarded(
        "Payment",
        "bankAccount",
        "bank_account",
        str,
        description="The account the payment was sent to, as it was when issued.",
    )

    @strawberry.field
    def period(self) -> str:
        return self.row.period

    @strawberry.field
    def status(self) -> PaymentStatus:
        return PaymentStatus(self.row.status)

    @strawberry.field
    def batch(self) -> str | None:
        return self.row.batch

    @strawberry.field
    def paid_at(self) -> datetime | None:
        return self.row.paid_at

    @strawberry.field
    def failure_reason(self) -> str | None:
        return self.row.failure_reason

    @strawberry.field
    def attempt(self) -> int:
        return self.row.attempt

    @strawberry.field
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.row.division_code)

    @strawberry.field
    async def entitlement(self, info: Info) -> Entitlement | None:
        row = await info.context.loaders.entitlement.load(self.row.entitlement_id)
        return Entitlement.of(info, row) if row else None

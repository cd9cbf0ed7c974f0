"""Residents and households: every sensitive field goes through the policy gate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from hub.db.models import Household as HouseholdRow
from hub.db.models import HouseholdMember as MemberRow
from hub.db.models import Resident as ResidentRow
from hub.policy.gate import GuardedRow
from hub.schema.common import Node
from hub.schema.divisions import Division, division_of
from hub.schema.enums import Gender
from hub.schema.guard import guarded
from hub.schema.ids import to_global_id

if TYPE_CHECKING:
    from hub.schema.cases import Case
    from hub.schema.payments import Entitlement

CaseRef = Annotated["Case", strawberry.lazy("hub.schema.cases")]
EntitlementRef = Annotated["Entitlement", strawberry.lazy("hub.schema.payments")]


def _township(root: Any, info: Info) -> dict[str, Any]:
    directory = info.context.services.directory
    return {"township_full_name": directory.township_full_name(root.row.division_code)}


@strawberry.type(description="Special-care and left-behind flags (特困, 重点优抚, 三留守).")
class ResidentFlags:
    special_hardship: bool
    key_special_care: bool
    left_behind_child: bool
    left_behind_woman: bool
    left_behind_elder: bool


@strawberry.federation.type(keys=["id"], description="A registered resident (户籍人口).")
class Resident(Node):
    row: strawberry.Private[ResidentRow]

    @classmethod
    async def resolve_reference(cls, info: Info, id: str) -> Resident:
        from hub.schema.federation import reference

        return await reference(info, "Resident", id)  # type: ignore[no-any-return]

    @classmethod
    def of(cls, info: Info, row: ResidentRow) -> Resident:
        gid = to_global_id("Resident", row.id)
        info.context.audit.row("Resident", gid, row.division_code)
        return cls(row=row, id=strawberry.ID(gid))

    @property
    def guard(self) -> GuardedRow:
        return GuardedRow(
            "Resident", self.id, self.row.division_code, self.row.id, self.row.household_id
        )

    name = guarded("Resident", "name", "name", str)
    id_number = guarded("Resident", "idNumber", "id_number", str)
    phone = guarded("Resident", "phone", "phone", str)
    address = guarded("Resident", "address", "address", str, mask_context=_township)
    bank_account = guarded("Resident", "bankAccount", "bank_account", str)
    monthly_income = guarded("Resident", "monthlyIncome", "monthly_income", Decimal)
    health_condition = guarded("Resident", "healthCondition", "health_condition", str)
    disability_level = guarded("Resident", "disabilityLevel", "disability_level", int)

    @strawberry.field
    def gender(self) -> Gender:
        return Gender(self.row.gender)

    @strawberry.field
    def birth_date(self) -> date:
        return self.row.birth_date

    @strawberry.field
    def ethnicity(self) -> str:
        return self.row.ethnicity

    @strawberry.field(description="The village or community of household registration.")
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.row.division_code)

    @strawberry.field
    async def household(self, info: Info) -> Household | None:
        if self.row.household_id is None:
            return None
        row = await info.context.loaders.household.load(self.row.household_id)
        return Household.of(info, row) if row else None

    @strawberry.field
    def flags(self) -> ResidentFlags:
        r = self.row
        return ResidentFlags(
            special_hardship=r.special_hardship,
            key_special_care=r.key_special_care,
            left_behind_child=r.left_behind_child,
            left_behind_woman=r.left_behind_woman,
            left_behind_elder=r.left_behind_elder,
        )

    @strawberry.field(description="Applications this resident made, oldest first.")
    async def cases(self, info: Info) -> list[CaseRef]:
        from hub.schema.cases import Case

        rows = await info.context.loaders.cases_by_applicant.load(self.row.id)
        return [Case.of(info, r) for r in rows]

    @strawberry.field
    async def entitlements(self, info: Info) -> list[EntitlementRef]:
        from hub.schema.payments import Entitlement

        rows = await info.context.loaders.entitlements_by_resident.load(self.row.id)
        return [Entitlement.of(info, r) for r in rows]


@strawberry.type(description="A member of a household and their relation to its head.")
class HouseholdMember:
    row: strawberry.Private[MemberRow]

    @strawberry.field(description="SELF, SPOUSE, CHILD, PARENT, GRANDCHILD, ...")
    def relation(self) -> str:
        return self.row.relation

    @strawberry.field
    async def resident(self, info: Info) -> Resident | None:
        row = await info.context.loaders.resident.load(self.row.resident_id)
        return Resident.of(info, row) if row else None


@strawberry.federation.type(keys=["id"], description="A household (户) as registered.")
class Household(Node):
    row: strawberry.Private[HouseholdRow]

    @classmethod
    async def resolve_reference(cls, info: Info, id: str) -> Household:
        from hub.schema.federation import reference

        return await reference(info, "Household", id)  # type: ignore[no-any-return]

    @classmethod
    def of(cls, info: Info, row: HouseholdRow) -> Household:
        return cls(row=row, id=strawberry.ID(to_global_id("Household", row.id)))

    @property
    def guard(self) -> GuardedRow:
        return GuardedRow("Household", self.id, self.row.division_code, None, self.row.id)

    declared_monthly_income = guarded(
        "Household", "declaredMonthlyIncome", "declared_monthly_income", Decimal
    )
    verified_monthly_income = guarded(
        "Household", "verifiedMonthlyIncome", "verified_monthly_income", Decimal
    )

    @strawberry.field(description="URBAN or RURAL registration.")
    def registration_type(self) -> str:
        return self.row.registration_type

    @strawberry.field
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.row.division_code)

    @strawberry.field
    async def members(self, info: Info) -> list[HouseholdMember]:
        rows = await info.context.loaders.members.load(self.row.id)
        return [HouseholdMember(row=r) for r in rows]

    @strawberry.field
    async def size(self, info: Info) -> int:
        return len(await info.context.loaders.members.load(self.row.id))

    @strawberry.field
    async def head(self, info: Info) -> Resident | None:
        if self.row.head_id is None:
            return None
        row = await info.context.loaders.resident.load(self.row.head_id)
        return Resident.of(info, row) if row else None

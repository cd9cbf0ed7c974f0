"""ServiceItem: the public catalogue of the 11 items delegated to township centres."""

from __future__ import annotations

import strawberry

from hub.domain.catalogue import ServiceItemDef
from hub.schema.enums import AdministrativeLevel, Department


@strawberry.type(description="A civil-affairs service item (民政服务事项), public.")
class ServiceItem:
    item: strawberry.Private[ServiceItemDef]

    @strawberry.field
    def code(self) -> str:
        return self.item.code

    @strawberry.field(description="Chinese name, e.g. 城市低保.")
    def name(self) -> str:
        return self.item.name

    @strawberry.field
    def name_en(self) -> str:
        return self.item.name_en

    @strawberry.field
    def legal_basis(self) -> list[str]:
        return list(self.item.legal_basis)

    @strawberry.field
    def conditions(self) -> list[str]:
        return list(self.item.conditions)

    @strawberry.field
    def required_materials(self) -> list[str]:
        return list(self.item.materials)

    @strawberry.field
    def procedure_steps(self) -> list[str]:
        return list(self.item.steps)

    @strawberry.field
    def time_limit_working_days(self) -> int:
        return self.item.time_limit_working_days

    @strawberry.field
    def handling_level(self) -> AdministrativeLevel:
        return AdministrativeLevel(int(self.item.handling_level))

    @strawberry.field(description="县证乡制: the level that certifies (the township hands out).")
    def certifying_level(self) -> AdministrativeLevel:
        return AdministrativeLevel(int(self.item.certifying_level))

    @strawberry.field
    def online_capable(self) -> bool:
        return self.item.online_capable

    @strawberry.field(description="Whether approval creates an entitlement that is paid.")
    def money_item(self) -> bool:
        return self.item.money_item

    @strawberry.field(description="Departments that verify an application (联动审批).")
    def linked_departments(self) -> list[Department]:
        return [Department.of(d) for d in self.item.verify_departments]

    @strawberry.field
    def public_notice_days(self) -> int:
        return self.item.public_notice_days

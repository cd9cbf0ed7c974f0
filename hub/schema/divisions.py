"""Division: the five-level administrative tree (public reference data)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.db.directory import DivisionInfo
from hub.schema.enums import AdministrativeLevel


@strawberry.federation.type(
    keys=["code"], description="An administrative division with its 12-digit statistical code."
)
class Division:
    info_: strawberry.Private[DivisionInfo]

    @classmethod
    def resolve_reference(cls, info: Info, code: str) -> Division:
        from hub.schema.federation import division_reference

        return division_reference(info, code)  # type: ignore[no-any-return]

    @strawberry.field
    def code(self) -> str:
        return self.info_.code

    @strawberry.field
    def name(self) -> str:
        return self.info_.name

    @strawberry.field(description="Names from the region down to this division.")
    def full_name(self) -> str:
        return self.info_.full_name

    @strawberry.field
    def level(self) -> AdministrativeLevel:
        return AdministrativeLevel(self.info_.level)

    @strawberry.field
    def kind(self) -> str:
        return self.info_.kind

    @strawberry.field
    def parent(self, info: Info) -> Division | None:
        if self.info_.parent_code is None:
            return None
        return division_of(info, self.info_.parent_code)

    @strawberry.field
    def children(self, info: Info) -> list[Division]:
        directory = info.context.services.directory
        return [Division(info_=d) for d in directory.children_of(self.info_.code)]


def division_of(info: Info, code: str) -> Division | None:
    found = info.context.services.directory.get(code)
    return Division(info_=found) if found else None

"""`me` and `policyDecision`: what the caller is and what the policy gives it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from hub.schema.divisions import Division, division_of
from hub.schema.enums import AdministrativeLevel, Department, FieldGrant


@strawberry.type(description="The authenticated caller, as its verified token describes it.")
class Me:
    subject: str
    client_id: str | None
    department: Department
    division_code: str
    level: AdministrativeLevel
    roles: list[str]
    scopes: list[str]

    @strawberry.field
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.division_code)


@strawberry.type(description="The caller's own grant on a field, for portals to grey out fields.")
class PolicyDecision:
    type: str
    field: str
    grant: FieldGrant
    need_to_know: bool = strawberry.field(
        description="FULL holds only for residents on whose case the caller has an open task."
    )
    rule: str

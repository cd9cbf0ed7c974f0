"""Subscriptions of 联动审批 over graphql-transport-ws (hub.resolvers.live does the work)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from hub.resolvers import live
from hub.schema.audit import AuditSubscriptions
from hub.schema.cases import ApprovalTask, CaseEvent
from hub.schema.ids import int_pk_of


@strawberry.type
class CaseSubscriptions:
    @strawberry.subscription(
        description="New events of a case you can see (the same type as Case.events)."
    )
    async def case_events(
        self, info: Info, case_id: strawberry.ID
    ) -> AsyncGenerator[CaseEvent, None]:
        async for row in live.case_events(info.context, int_pk_of(case_id, "Case", "caseId")):
            yield CaseEvent(row=row)

    @strawberry.subscription(
        description="Tasks opened for your department that an office of your area decides."
    )
    async def approval_task_assigned(self, info: Info) -> AsyncGenerator[ApprovalTask, None]:
        async for row in live.tasks_assigned(info.context):
            yield ApprovalTask.of(row)


@strawberry.type
class Subscription(CaseSubscriptions, AuditSubscriptions):
    """The subscription root, composed from one class per area (audit adds its own)."""

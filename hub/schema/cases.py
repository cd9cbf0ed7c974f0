"""Cases (申请件), their history and the approval tasks of each department."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from hub.db.models import ApprovalTask as TaskRow
from hub.db.models import Case as CaseRow
from hub.db.models import CaseEvent as EventRow
from hub.domain.catalogue import load_catalogue
from hub.schema.catalogue import ServiceItem
from hub.schema.common import Node
from hub.schema.divisions import Division, division_of
from hub.schema.enums import CaseEventKind, CaseStatus, Channel, Department, TaskKind, TaskStatus
from hub.schema.ids import to_global_id

if TYPE_CHECKING:
    from hub.schema.payments import Entitlement
    from hub.schema.people import Household, Resident

ResidentRef = Annotated["Resident", strawberry.lazy("hub.schema.people")]
HouseholdRef = Annotated["Household", strawberry.lazy("hub.schema.people")]
EntitlementRef = Annotated["Entitlement", strawberry.lazy("hub.schema.payments")]


@strawberry.type(description="Who made a transition or decision.")
class EventActor:
    subject: str
    department: Department
    division: str


@strawberry.type(description="One transition or task decision of a case, oldest first.")
class CaseEvent:
    row: strawberry.Private[EventRow]

    @strawberry.field
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field
    def actor(self) -> EventActor:
        r = self.row
        return EventActor(
            subject=r.actor_subject,
            department=Department.of(r.actor_department),
            division=r.actor_division,
        )

    @strawberry.field
    def kind(self) -> CaseEventKind:
        return CaseEventKind(self.row.kind)

    @strawberry.field
    def from_status(self) -> CaseStatus | None:
        return CaseStatus(self.row.from_status) if self.row.from_status else None

    @strawberry.field
    def to_status(self) -> CaseStatus:
        return CaseStatus(self.row.to_status)

    @strawberry.field
    def opinion(self) -> str | None:
        return self.row.opinion


@strawberry.type(description="The certificate issued when a case is approved (县证乡制).")
class Certificate:
    number: str
    issued_at: datetime | None


@strawberry.federation.type(
    keys=["id"], description="An application (申请件): one number per application (一号申请)."
)
class Case(Node):
    row: strawberry.Private[CaseRow]

    @classmethod
    async def resolve_reference(cls, info: Info, id: str) -> Case:
        from hub.schema.federation import reference

        return await reference(info, "Case", id)  # type: ignore[no-any-return]

    @classmethod
    def of(cls, info: Info, row: CaseRow) -> Case:
        gid = to_global_id("Case", row.id)
        info.context.audit.row("Case", gid, row.division_code)
        return cls(row=row, id=strawberry.ID(gid))

    @strawberry.field
    def case_number(self) -> str:
        return self.row.case_number

    @strawberry.field
    def item(self) -> ServiceItem:
        return ServiceItem(item=load_catalogue().get(self.row.item_code))

    @strawberry.field
    async def applicant(self, info: Info) -> ResidentRef | None:
        from hub.schema.people import Resident

        row = await info.context.loaders.resident.load(self.row.applicant_id)
        return Resident.of(info, row) if row else None

    @strawberry.field
    async def household(self, info: Info) -> HouseholdRef | None:
        from hub.schema.people import Household

        if self.row.household_id is None:
            return None
        row = await info.context.loaders.household.load(self.row.household_id)
        return Household.of(info, row) if row else None

    @strawberry.field(description="The applicant's village or community.")
    def division(self, info: Info) -> Division | None:
        return division_of(info, self.row.division_code)

    @strawberry.field
    def channel(self) -> Channel:
        return Channel(self.row.channel)

    @strawberry.field(description="Subject of the proxy agent (代办员) for channel PROXY.")
    def proxy_agent(self) -> str | None:
        return self.row.proxy_agent

    @strawberry.field
    def status(self) -> CaseStatus:
        return CaseStatus(self.row.status)

    @strawberry.field
    def submitted_at(self) -> datetime:
        return self.row.submitted_at

    @strawberry.field
    def accepted_at(self) -> datetime | None:
        return self.row.accepted_at

    @strawberry.field(description="Deadline in working days from acceptance.")
    def due_date(self) -> date | None:
        return self.row.due_date

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.row.decided_at

    @strawberry.field(description="End of the public notice (公示), where the item has one.")
    def notice_ends_at(self) -> datetime | None:
        return self.row.notice_ends_at

    @strawberry.field(description="Whether the applicant had to come in person (不见面 target).")
    def in_person_visit_required(self) -> bool:
        return self.row.in_person_visit_required

    @strawberry.field
    async def approval_tasks(self, info: Info) -> list[ApprovalTask]:
        rows = await info.context.loaders.tasks_by_case.load(self.row.id)
        return [ApprovalTask.of(r) for r in rows]

    @strawberry.field
    async def events(self, info: Info) -> list[CaseEvent]:
        rows = await info.context.loaders.events_by_case.load(self.row.id)
        return [CaseEvent(row=r) for r in rows]

    @strawberry.field
    def certificate(self) -> Certificate | None:
        if not self.row.certificate_number:
            return None
        return Certificate(number=self.row.certificate_number, issued_at=self.row.decided_at)

    @strawberry.field
    async def entitlement(self, info: Info) -> EntitlementRef | None:
        from hub.schema.payments import Entitlement

        row = await info.context.loaders.entitlement_by_case.load(self.row.id)
        return Entitlement.of(info, row) if row else None

    @strawberry.field(description="Optimistic-concurrency version; send it as expectedVersion.")
    def version(self) -> int:
        return self.row.version


@strawberry.type(description="One department's step of a case (联动审批).")
class ApprovalTask(Node):
    row: strawberry.Private[TaskRow]

    @classmethod
    def of(cls, row: TaskRow) -> ApprovalTask:
        return cls(row=row, id=strawberry.ID(to_global_id("ApprovalTask", row.id)))

    @strawberry.field(name="case")
    async def case_(self, info: Info) -> Case | None:
        row = await info.context.loaders.case.load(self.row.case_id)
        return Case.of(info, row) if row else None

    @strawberry.field
    def department(self) -> Department:
        return Department.of(self.row.department)

    @strawberry.field
    def kind(self) -> TaskKind:
        return TaskKind(self.row.kind)

    @strawberry.field
    def status(self) -> TaskStatus:
        return TaskStatus(self.row.status)

    @strawberry.field(description="The division whose office decides this step.")
    def assignee_division(self, info: Info) -> Division | None:
        return division_of(info, self.row.assignee_division_code)

    @strawberry.field
    def decided_by(self) -> str | None:
        return self.row.decided_by

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.row.decided_at

    @strawberry.field
    def opinion(self) -> str | None:
        return self.row.opinion

    @strawberry.field
    def findings(self) -> str | None:
        return self.row.findings

    @strawberry.field
    def due_date(self) -> date | None:
        return self.row.due_date

    @strawberry.field
    def version(self) -> int:
        return self.row.version

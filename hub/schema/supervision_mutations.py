"""Mutations keeping the records the supervision indicators are measured on (`SupervisionMutation`,
composed into the Mutation root by hub/schema/root.py). Scope `supervision:write` or `admin`,
civil affairs, within jurisdiction; each change is audited in its own transaction."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from hub.schema.divisions import Division, division_of
from hub.schema.ids import to_global_id
from hub.supervision import records

T = TypeVar("T")


@strawberry.enum(description="一人一岗: an established or a public-welfare post (公益性岗位).")
class StaffPostKind(enum.Enum):
    ESTABLISHED = "ESTABLISHED"
    PUBLIC_WELFARE = "PUBLIC_WELFARE"


@strawberry.enum(description="Who was trained: township staff or a village assistant.")
class TrainedPersonKind(enum.Enum):
    STAFF = "STAFF"
    ASSISTANT = "ASSISTANT"


@strawberry.enum(description="上岗培训, 定期轮训, 以会代训, 观摩交流.")
class TrainingKind(enum.Enum):
    ONBOARDING = "ONBOARDING"
    ROTATION = "ROTATION"
    MEETING = "MEETING"
    VISIT = "VISIT"


@strawberry.type(description="A village's 为民办事全程代办点 (proxy point).")
class ProxyPoint:
    id: strawberry.ID
    village: Division
    agent_name: str
    active_from: date
    active_to: date | None = strawberry.field(description="The last open day; null while open.")


@strawberry.type(description="A village civil-affairs assistant (民政协理员).")
class CivilAffairsAssistant:
    id: strawberry.ID
    village: Division
    name: str
    appointed_on: date
    left_on: date | None = strawberry.field(description="The last day in office; null while in.")


@strawberry.type(description="A township civil-affairs post; vacant when holderName is null.")
class StaffPost:
    id: strawberry.ID
    township: Division
    title: str
    holder_name: str | None
    kind: StaffPostKind


@strawberry.type(description="One person's attendance at one training session.")
class TrainingRecord:
    id: strawberry.ID
    division: Division = strawberry.field(description="The township (staff) or village.")
    person_kind: TrainedPersonKind
    person_name: str
    held_on: date
    kind: TrainingKind


@strawberry.type(description="A township's working funds for one year from one source (yuan).")
class FundingAllocation:
    id: strawberry.ID
    township: Division
    year: int
    population: int
    amount: Decimal
    source: str


def _shown(cls: type[T], info: Info, row: Any, **enums: type[enum.Enum]) -> T:
    """The GraphQL object of a stored record: same field names, divisions by code, a global ID,
    and the columns named in `enums` as those enums."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name == "id":
            values["id"] = strawberry.ID(to_global_id(cls.__name__, row.id))
        elif f.name in ("village", "township", "division"):
            code = getattr(row, f"{f.name}_code")
            found = division_of(info, code)
            assert found is not None, code  # records only name divisions the directory holds
            values[f.name] = found
        else:
            value = getattr(row, f.name)
            values[f.name] = enums[f.name](value) if f.name in enums else value
    return cls(**values)


@strawberry.input
class RecordProxyPointInput:
    village_code: str
    agent_name: str
    active_from: date
    active_to: date | None = None


@strawberry.input
class RecordAssistantInput:
    village_code: str
    name: str
    appointed_on: date
    left_on: date | None = None


@strawberry.input
class RecordStaffPostInput:
    township_code: str
    title: str
    kind: StaffPostKind
    holder_name: str | None = None


@strawberry.input(description="A training session and who attended it (one record each).")
class RecordTrainingInput:
    division_code: str
    person_kind: TrainedPersonKind
    attendees: list[str]
    held_on: date
    kind: TrainingKind


@strawberry.input
class RecordFundingAllocationInput:
    township_code: str
    year: int
    population: int
    amount: Decimal
    source: str


@strawberry.input
class EndProxyPointInput:
    id: strawberry.ID
    active_to: date


@strawberry.input
class EndAssistantInput:
    id: strawberry.ID
    left_on: date


@strawberry.input(description="Fill a post (holderName) or leave it vacant (null).")
class AssignStaffPostInput:
    id: strawberry.ID
    holder_name: str | None = None


@strawberry.type
class ProxyPointPayload:
    proxy_point: ProxyPoint


@strawberry.type
class AssistantPayload:
    assistant: CivilAffairsAssistant


@strawberry.type
class StaffPostPayload:
    staff_post: StaffPost


@strawberry.type
class TrainingPayload:
    records: list[TrainingRecord]


@strawberry.type
class FundingAllocationPayload:
    allocation: FundingAllocation


@strawberry.type
class SupervisionMutation:
    @strawberry.mutation(description="Record a village's proxy point (代办点).")
    async def record_proxy_point(
        self, info: Info, input: RecordProxyPointInput
    ) -> ProxyPointPayload:
        rows = await records.create(
            info.context, info, "proxy-points", [records.input_values(input)]
        )
        return ProxyPointPayload(proxy_point=_shown(ProxyPoint, info, rows[0]))

    @strawberry.mutation(description="Close a proxy point: activeTo is its last open day.")
    async def end_proxy_point(self, info: Info, input: EndProxyPointInput) -> ProxyPointPayload:
        change = {"active_to": input.active_to}
        row = await records.update(info.context, info, "proxy-points", input.id, change)
        return ProxyPointPayload(proxy_point=_shown(ProxyPoint, info, row))

    @strawberry.mutation(description="Record a village civil-affairs assistant (协理员).")
    async def record_assistant(self, info: Info, input: RecordAssistantInput) -> AssistantPayload:
        rows = await records.create(info.context, info, "assistants", [records.input_values(input)])
        return AssistantPayload(assistant=_shown(CivilAffairsAssistant, info, rows[0]))

    @strawberry.mutation(description="An assistant leaves office: leftOn is the last day.")
    async def end_assistant(self, info: Info, input: EndAssistantInput) -> AssistantPayload:
        change = {"left_on": input.left_on}
        row = await records.update(info.context, info, "assistants", input.id, change)
        return AssistantPayload(assistant=_shown(CivilAffairsAssistant, info, row))

    @strawberry.mutation(description="Record a township civil-affairs post (一人一岗).")
    async def record_staff_post(self, info: Info, input: RecordStaffPostInput) -> StaffPostPayload:
        rows = await records.create(
            info.context, info, "staff-posts", [records.input_values(input)]
        )
        return StaffPostPayload(staff_post=_shown(StaffPost, info, rows[0], kind=StaffPostKind))

    @strawberry.mutation(description="Fill a post with a holder, or mark it vacant.")
    async def assign_staff_post(self, info: Info, input: AssignStaffPostInput) -> StaffPostPayload:
        change = {"holder_name": (input.holder_name or "").strip() or None}
        row = await records.update(info.context, info, "staff-posts", input.id, change)
        return StaffPostPayload(staff_post=_shown(StaffPost, info, row, kind=StaffPostKind))

    @strawberry.mutation(description="Record a training session's attendance (培训).")
    async def record_training(self, info: Info, input: RecordTrainingInput) -> TrainingPayload:
        rows = await records.create(info.context, info, "training", records.attendance(input))
        kinds = {"kind": TrainingKind, "person_kind": TrainedPersonKind}
        return TrainingPayload(records=[_shown(TrainingRecord, info, r, **kinds) for r in rows])

    @strawberry.mutation(description="Record a township's working funds for a year (经费).")
    async def record_funding_allocation(
        self, info: Info, input: RecordFundingAllocationInput
    ) -> FundingAllocationPayload:
        rows = await records.create(info.context, info, "funding", [records.input_values(input)])
        return FundingAllocationPayload(allocation=_shown(FundingAllocation, info, rows[0]))

"""DataLoaders for every relation, created per operation; each batch is one statement.

Every row a loader returns has passed the jurisdiction predicate, and every resident or
household it returns has its need-to-know facts loaded in the same batch, so the sync field
gate can decide without another query.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from hub.db.models import (
    ApprovalTask,
    Case,
    CaseEvent,
    Entitlement,
    Household,
    HouseholdMember,
    Payment,
    Resident,
)
from hub.db.queries import members_of, open_task_subjects
from hub.policy.jurisdiction import visible

if TYPE_CHECKING:
    from hub.resolvers.context import HubContext

Row = TypeVar("Row")
Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class SharedLoader(DataLoader[Key, Value]):
    """A DataLoader whose futures outlive a cancelled caller. When a field fails, graphql-core
    cancels its siblings' resolvers; a resolver cancelled while awaiting a key would otherwise
    cancel that key's shared future, and every other resolver awaiting the same key would get
    a CancelledError that fails the whole request."""

    def load(self, key: Key) -> asyncio.Future[Value]:
        return asyncio.shield(super().load(key))


class Loaders:
    def __init__(self, ctx: HubContext) -> None:
        self.ctx = ctx
        self.resident = SharedLoader(self._residents)
        self.household = SharedLoader(self._households)
        self.members = SharedLoader(self._members)
        self.case = SharedLoader(self._cases)
        self.cases_by_applicant = SharedLoader(self._cases_by_applicant)
        self.tasks_by_case = SharedLoader(self._tasks_by_case)
        self.events_by_case = SharedLoader(self._events_by_case)
        self.entitlement = SharedLoader(self._entitlements)
        self.entitlement_by_case = SharedLoader(self._entitlement_by_case)
        self.entitlements_by_resident = SharedLoader(self._entitlements_by_resident)
        self.payments_by_entitlement = SharedLoader(self._payments_by_entitlement)
        self.payment = SharedLoader(self._payments)
        self.task = SharedLoader(self._tasks)

    # -- helpers ---------------------------------------------------------------------------

    async def _rows(self, stmt: Any) -> list[Any]:
        async with self.ctx.db() as session:
            return list((await session.execute(stmt)).scalars())

    async def _by_id(self, model: Any, ids: Sequence[int]) -> list[Any]:
        stmt = select(model).where(model.id.in_(ids), visible(self.ctx.principal, model))
        rows = {row.id: row for row in await self._rows(stmt)}
        return [rows.get(i) for i in ids]

    async def _grouped(
        self, model: Any, key: Any, keys: Sequence[int], order: Any
    ) -> list[list[Any]]:
        stmt = (
            select(model)
            .where(key.in_(keys), visible(self.ctx.principal, model))
            .order_by(key, order)
        )
        groups: dict[int, list[Any]] = defaultdict(list)
        for row in await self._rows(stmt):
            groups[getattr(row, key.key)].append(row)
        return [groups.get(k, []) for k in keys]

    async def prime_need_to_know(
        self, residents: Iterable[Resident] = (), households: Iterable[int] = ()
    ) -> None:
        """Load, in one statement, which of these rows the caller has an open task on."""
        gate = self.ctx.gate
        if not gate.needs_open_task_facts() or self.ctx.principal is None:
            return
        known = gate.need_to_know
        resident_list = list(residents)
        resident_ids = [r.id for r in resident_list if r.id not in known.checked_residents]
        household_ids = {h for h in households if h not in known.checked_households}
        household_ids |= {
            r.household_id
            for r in resident_list
            if r.household_id is not None and r.household_id not in known.checked_households
        }
        if not resident_ids and not household_ids:
            return
        stmt = open_task_subjects(
            self.ctx.principal.department.value, resident_ids, sorted(household_ids)
        )
        async with self.ctx.db() as session:
            for applicant_id, household_id in (await session.execute(stmt)).all():
                known.residents.add(applicant_id)
                if household_id is not None:
                    known.households.add(household_id)
        known.checked_residents.update(resident_ids)
        known.checked_households.update(household_ids)

    def prime(self, loader: DataLoader[int, Any], rows: Iterable[Any]) -> None:
        for row in rows:
            loader.prime(row.id, row)

    async def residents_loaded(self, rows: Sequence[Resident]) -> Sequence[Resident]:
        """Rows fetched outside the loader (a page) join its cache and need-to-know facts."""
        self.prime(self.resident, rows)
        await self.prime_need_to_know(rows)
        return rows

    # -- batch functions -------------------------------------------------------------------

    async def _residents(self, ids: list[int]) -> list[Resident | None]:
        rows = await self._by_id(Resident, ids)
        await self.prime_need_to_know(r for r in rows if r is not None)
        return rows

    async def _households(self, ids: list[int]) -> list[Household | None]:
        rows = await self._by_id(Household, ids)
        await self.prime_need_to_know(households=[h.id for h in rows if h is not None])
        return rows

    async def _members(self, household_ids: list[int]) -> list[list[HouseholdMember]]:
        async with self.ctx.db() as session:
            members = list((await session.execute(members_of(household_ids))).scalars())
        groups: dict[int, list[HouseholdMember]] = defaultdict(list)
        for m in members:
            groups[m.household_id].append(m)
        return [groups.get(h, []) for h in household_ids]

    async def _cases(self, ids: list[int]) -> list[Case | None]:
        return await self._by_id(Case, ids)

    async def _cases_by_applicant(self, ids: list[int]) -> list[list[Case]]:
        return await self._grouped(Case, Case.applicant_id, ids, Case.id)

    async def _tasks(self, ids: list[int]) -> list[ApprovalTask | None]:
        return await self._by_id(ApprovalTask, ids)

    async def _tasks_by_case(self, ids: list[int]) -> list[list[ApprovalTask]]:
        return await self._grouped(ApprovalTask, ApprovalTask.case_id, ids, ApprovalTask.id)

    async def _events_by_case(self, ids: list[int]) -> list[list[CaseEvent]]:
        # Events are visible with their case; callers reach them only through a visible case.
        stmt = (
            select(CaseEvent)
            .where(CaseEvent.case_id.in_(ids))
            .order_by(CaseEvent.case_id, CaseEvent.id)
        )
        groups: dict[int, list[CaseEvent]] = defaultdict(list)
        for row in await self._rows(stmt):
            groups[row.case_id].append(row)
        return [groups.get(i, []) for i in ids]

    async def _entitlements(self, ids: list[int]) -> list[Entitlement | None]:
        return await self._by_id(Entitlement, ids)

    async def _entitlement_by_case(self, ids: list[int]) -> list[Entitlement | None]:
        groups = await self._grouped(Entitlement, Entitlement.case_id, ids, Entitlement.id)
        return [g[0] if g else None for g in groups]

    async def _entitlements_by_resident(self, ids: list[int]) -> list[list[Entitlement]]:
        return await self._grouped(Entitlement, Entitlement.resident_id, ids, Entitlement.id)

    async def _payments(self, ids: list[int]) -> list[Payment | None]:
        return await self._by_id(Payment, ids)

    async def _payments_by_entitlement(self, ids: list[int]) -> list[list[Payment]]:
        return await self._grouped(Payment, Payment.entitlement_id, ids, Payment.id)

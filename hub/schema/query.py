"""Reads of shared records: each resolver parses arguments and calls a resolvers function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from hub.domain.catalogue import load_catalogue
from hub.domain.divisions import InvalidDivisionCode, level_of
from hub.errors import BadUserInput, NotFound
from hub.resolvers import records
from hub.resolvers.nodes import resolve_node
from hub.schema.cases import ApprovalTask, Case
from hub.schema.catalogue import ServiceItem
from hub.schema.common import Connection, Edge, Node, PageInfo, page_args
from hub.schema.divisions import Division, division_of
from hub.schema.enums import AdministrativeLevel, Department, FieldGrant
from hub.schema.ids import encode_cursor, int_pk_of
from hub.schema.inputs import ApprovalTaskFilter, CaseFilter, PaymentFilter, ResidentFilter
from hub.schema.me import Me, PolicyDecision
from hub.schema.payments import Payment
from hub.schema.people import Household, Resident

T = TypeVar("T")


def _connection(page: records.Page, ctx: Any, nodes: Sequence[T]) -> Connection[T]:
    edges = [
        Edge(cursor=encode_cursor(r.id), node=n) for r, n in zip(page.rows, nodes, strict=True)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=lambda: records.count(ctx, page.count_stmt),
    )


def _not_found(what: str) -> NotFound:
    return NotFound(f"{what} not found")


def _division_code(code: str, argument: str) -> str:
    try:
        level_of(code)
    except InvalidDivisionCode:
        raise BadUserInput(
            f"`{argument}` must be a 12-digit division code", argument=argument
        ) from None
    return code


async def _one(info: Info, loader_name: str, pk: int) -> Any:
    info.context.require_principal()
    return await getattr(info.context.loaders, loader_name).load(pk)


@strawberry.type
class RecordsQuery:
    @strawberry.field(description="The caller, from its verified token.")
    def me(self, info: Info) -> Me:
        p = info.context.require_principal()
        return Me(
            subject=p.subject,
            client_id=p.client_id,
            department=Department.of(p.department),
            division_code=p.division_code,
            level=AdministrativeLevel(int(p.level)),
            roles=sorted(p.roles),
            scopes=sorted(p.scopes),
        )

    @strawberry.field(description="Any object by global ID; null + NOT_FOUND outside jurisdiction.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        info.context.require_principal()
        found = await resolve_node(info, id)
        if found is None:
            raise _not_found("node")
        return found

    @strawberry.field(description="Objects by global ID, in order; missing ones are null.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        info.context.require_principal()
        if len(ids) > 100:
            raise BadUserInput("`ids` takes at most 100 IDs", argument="ids")

        async def one(i: int, gid: str) -> Any:
            found = await resolve_node(info, gid, f"ids[{i}]")
            if found is None:
                raise _not_found("node")
            return found

        return [one(i, gid) for i, gid in enumerate(ids)]  # type: ignore[misc]

    @strawberry.field(description="A division by its 12-digit code (public).")
    async def division(self, info: Info, code: str) -> Division | None:
        found = division_of(info, _division_code(code, "code"))
        if found is None:
            raise _not_found("division")
        return found

    @strawberry.field(description="Divisions under a parent (the region's cities by default).")
    async def divisions(
        self,
        info: Info,
        parent_code: str | None = None,
        level: AdministrativeLevel | None = None,
    ) -> list[Division]:
        directory = info.context.services.directory
        if parent_code is not None:
            found = directory.children_of(_division_code(parent_code, "parentCode"))
        elif level is not None:
            found = [d for d in directory.all() if d.level == level.value]
        else:
            roots = directory.children_of(None)
            found = [c for r in roots for c in directory.children_of(r.code)]
        if level is not None:
            found = [d for d in found if d.level == level.value]
        return [Division(info_=d) for d in found]

    @strawberry.field(description="The catalogue of the 11 service items (public).")
    def service_items(self) -> list[ServiceItem]:
        return [ServiceItem(item=i) for i in load_catalogue()]

    @strawberry.field
    async def resident(self, info: Info, id: strawberry.ID) -> Resident | None:
        pk = int_pk_of(id, "Resident")
        compiled = await records.compiled_one(info.context, info, pk)
        if compiled is not None:
            return compiled  # type: ignore[no-any-return]  # the object's JSON, built in SQL
        row = await _one(info, "resident", pk)
        if row is None:
            raise _not_found("resident")
        return Resident.of(info, row)

    @strawberry.field(description="Needs FULL access to idNumber; otherwise FORBIDDEN.")
    async def resident_by_id_number(self, info: Info, id_number: str) -> Resident | None:
        ctx = info.context
        stmt = records.residents_statement(ctx, None).where(
            records.id_number_match(ctx, id_number, "idNumber")
        )
        page = await records.fetch_page(ctx, stmt, records.Resident.id, 1, None)
        if not page.rows:
            raise _not_found("resident")
        await ctx.loaders.residents_loaded(page.rows)
        return Resident.of(info, page.rows[0])

    @strawberry.field
    async def residents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ResidentFilter | None = None,
    ) -> Connection[Resident]:
        ctx = info.context
        size, cursor = page_args(first, after)
        compiled = await records.compiled_residents(ctx, info, size, cursor, filter)
        if compiled is not None:
            return compiled  # type: ignore[return-value]  # the page's JSON, built in SQL
        stmt = records.residents_statement(ctx, filter)
        page = await records.fetch_page(ctx, stmt, records.Resident.id, size, cursor)
        await ctx.loaders.residents_loaded(page.rows)
        return _connection(page, ctx, [Resident.of(info, r) for r in page.rows])

    @strawberry.field
    async def household(self, info: Info, id: strawberry.ID) -> Household | None:
        row = await _one(info, "household", int_pk_of(id, "Household"))
        if row is None:
            raise _not_found("household")
        return Household.of(info, row)

    @strawberry.field(name="case")
    async def case_(self, info: Info, id: strawberry.ID) -> Case | None:
        pk = int_pk_of(id, "Case")
        compiled = await records.compiled_one(info.context, info, pk)
        if compiled is not None:
            return compiled  # type: ignore[no-any-return]  # the object's JSON, built in SQL
        row = await _one(info, "case", pk)
        if row is None:
            raise _not_found("case")
        return Case.of(info, row)

    @strawberry.field
    async def case_by_number(self, info: Info, case_number: str) -> Case | None:
        ctx = info.context
        compiled = await records.compiled_one(ctx, info, case_number)
        if compiled is not None:
            return compiled  # type: ignore[no-any-return]  # the object's JSON, built in SQL
        stmt = records.cases_statement(ctx, None).where(records.Case.case_number == case_number)
        page = await records.fetch_page(ctx, stmt, records.Case.id, 1, None)
        if not page.rows:
            raise _not_found("case")
        return Case.of(info, page.rows[0])

    @strawberry.field
    async def cases(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CaseFilter | None = None,
    ) -> Connection[Case]:
        ctx = info.context
        size, cursor = page_args(first, after)
        stmt = records.cases_statement(ctx, filter)
        page = await records.fetch_page(ctx, stmt, records.Case.id, size, cursor)
        ctx.loaders.prime(ctx.loaders.case, page.rows)
        return _connection(page, ctx, [Case.of(info, r) for r in page.rows])

    @strawberry.field
    async def approval_tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ApprovalTaskFilter | None = None,
    ) -> Connection[ApprovalTask]:
        ctx = info.context
        size, cursor = page_args(first, after)
        compiled = await records.compiled_tasks(ctx, info, size, cursor, filter)
        if compiled is not None:
            return compiled  # type: ignore[no-any-return]  # the page's JSON, built in SQL
        stmt = records.tasks_statement(ctx, filter)
        page = await records.fetch_page(ctx, stmt, records.ApprovalTask.id, size, cursor)
        return _connection(page, ctx, [ApprovalTask.of(r) for r in page.rows])

    @strawberry.field
    async def payments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PaymentFilter | None = None,
    ) -> Connection[Payment]:
        ctx = info.context
        size, cursor = page_args(first, after)
        compiled = await records.compiled_payments(ctx, info, size, cursor, filter)
        if compiled is not None:
            return compiled  # type: ignore[no-any-return]  # the page's JSON, built in SQL
        stmt = records.payments_statement(ctx, filter)
        page = await records.fetch_page(ctx, stmt, records.Payment.id, size, cursor)
        entitlements = await ctx.loaders.entitlement.load_many(
            [p.entitlement_id for p in page.rows]
        )
        nodes = [Payment.of(info, p, e) for p, e in zip(page.rows, entitlements, strict=True)]
        return _connection(page, ctx, nodes)

    @strawberry.field(description="The caller's own grant on a field (e.g. Resident, idNumber).")
    def policy_decision(self, info: Info, type: str, field: str) -> PolicyDecision:
        ctx = info.context
        principal = ctx.require_principal()
        known = ctx.services.extras.get("schema_fields", {})
        if type not in known or field not in known[type]:
            raise BadUserInput(f"unknown field {type}.{field}", argument="field")
        d = ctx.services.policy.decide(principal, type, field)
        return PolicyDecision(
            type=type,
            field=field,
            grant=FieldGrant.of(d.grant),
            need_to_know=d.need_to_know,
            rule=d.rule,
        )


Awaitables = Callable[[], Awaitable[Any]]

"""Root reads of shared records: filters turned into statements, always inside jurisdiction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, select

from hub.db.models import ApprovalTask, Case, Entitlement, Payment, Resident
from hub.db.queries import count_of, keyset_page, open_task_applicants
from hub.domain.catalogue import load_catalogue
from hub.domain.divisions import (
    InvalidDivisionCode,
    jurisdiction_prefix,
    normalize_prefix_or_code,
)
from hub.domain.idnumber import InvalidIdNumber, normalize, validate
from hub.errors import BadUserInput
from hub.policy.jurisdiction import in_prefix, visible
from hub.resolvers.context import HubContext

FINAL_CASE_STATUSES = ("APPROVED", "REJECTED", "WITHDRAWN")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class Page:
    rows: Sequence[Any]
    has_next: bool
    count_stmt: Select[Any]


async def fetch_page(
    ctx: HubContext,
    stmt: Select[Any],
    id_column: Any,
    first: int,
    after: int | None,
) -> Page:
    async with ctx.db() as session:
        rows = list((await session.execute(keyset_page(stmt, id_column, after, first))).scalars())
    return Page(rows[:first], len(rows) > first, count_of(stmt))


async def count(ctx: HubContext, stmt: Select[Any]) -> int:
    async with ctx.db() as session:
        return int((await session.execute(stmt)).scalar_one())


def division_prefix(value: str, argument: str = "divisionCode") -> str:
    """A division filter: a 12-digit code (or its 2/4/6/9-digit prefix) → the prefix."""
    try:
        return jurisdiction_prefix(normalize_prefix_or_code(value))
    except InvalidDivisionCode:
        raise BadUserInput(
            f"`{argument}` must be a 12-digit division code", argument=argument
        ) from None


def item_code(value: str, argument: str = "itemCode") -> str:
    try:
        return load_catalogue().get(value).code
    except KeyError:
        raise BadUserInput(
            f"`{argument}`: unknown service item {value!r}", argument=argument
        ) from None


def period(value: str, argument: str = "period") -> str:
    if not PERIOD.match(value or ""):
        raise BadUserInput(f"`{argument}` must be a month as YYYY-MM", argument=argument)
    return value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def residents_statement(ctx: HubContext, flt: Any | None) -> Select[Any]:
    principal = ctx.require_principal()
    stmt = select(Resident).where(visible(principal, Resident))
    if flt is None:
        return stmt
    if flt.division_code is not None:
        stmt = stmt.where(
            in_prefix(
                Resident.division_code, division_prefix(flt.division_code, "filter.divisionCode")
            )
        )
    if flt.id_number is not None:
        stmt = stmt.where(id_number_match(ctx, flt.id_number, "filter.idNumber"))
    if flt.name_contains is not None:
        ctx.gate.require_full("Resident", "name", "filter.nameContains")
        if not flt.name_contains.strip():
            raise BadUserInput(
                "`filter.nameContains` must not be blank", argument="filter.nameContains"
            )
        pattern = f"%{_like_escape(flt.name_contains.strip())}%"
        stmt = stmt.where(Resident.name.like(pattern, escape="\\"))
    if flt.item_code is not None:
        code = item_code(flt.item_code, "filter.itemCode")
        stmt = stmt.where(
            exists().where(and_(Case.applicant_id == Resident.id, Case.item_code == code))
        )
    if flt.has_active_entitlement is not None:
        active = exists().where(
            and_(Entitlement.resident_id == Resident.id, Entitlement.status == "ACTIVE")
        )
        stmt = stmt.where(active if flt.has_active_entitlement else ~active)
    return stmt


async def compiled_residents(
    ctx: HubContext, info: Any, first: int, after: int | None, flt: Any | None
) -> Any:
    """The residents page built by the compiled read path, or None to resolve it field by
    field. Arguments are checked here exactly as `residents_statement` checks them."""
    ctx.require_principal()
    prefix = None
    if flt is not None:
        others = (flt.id_number, flt.name_contains, flt.item_code, flt.has_active_entitlement)
        if any(value is not None for value in others):
            return None
        if flt.division_code is not None:
            prefix = division_prefix(flt.division_code, "filter.divisionCode")
    return await _compiled_page(ctx, info, first, after, prefix, {})


async def compiled_tasks(
    ctx: HubContext, info: Any, first: int, after: int | None, flt: Any | None
) -> Any:
    """`approvalTasks` by the compiled path, or None to resolve them."""
    ctx.require_principal()
    if flt is not None and flt.overdue is not None:  # depends on today: left to the resolver
        return None
    return await _compiled_page(ctx, info, first, after, None, task_filter(flt))


async def compiled_payments(
    ctx: HubContext, info: Any, first: int, after: int | None, flt: Any | None
) -> Any:
    """`payments` by the compiled path, or None to resolve them."""
    ctx.require_principal()
    equals, prefix = payment_filter(flt)
    return await _compiled_page(ctx, info, first, after, prefix, equals)


async def _compiled_page(
    ctx: HubContext,
    info: Any,
    first: int,
    after: int | None,
    prefix: str | None,
    equals: dict[str, object],
) -> Any:
    compiled = ctx.services.compiled_reads
    if compiled is None or not ctx.embeds_json:
        return None
    return await compiled.connection(ctx, info, first, after, prefix, equals)


async def compiled_one(ctx: HubContext, info: Any, key: object) -> Any:
    """A root object read by the compiled path, or None to resolve it (including when the
    caller may not see it: the resolver raises the same NOT_FOUND either way)."""
    compiled = ctx.services.compiled_reads
    if compiled is None or not ctx.embeds_json:
        return None
    ctx.require_principal()
    return await compiled.one(ctx, info, key)


def id_number_match(ctx: HubContext, raw: str, argument: str) -> Any:
    """Searching by id number needs FULL on it; a need-to-know FULL only finds own cases."""
    try:
        id_number = normalize(raw)
        validate(id_number)
    except InvalidIdNumber as exc:
        raise BadUserInput(f"`{argument}`: {exc}", argument=argument) from None
    decision = ctx.gate.require_full("Resident", "idNumber", argument)
    clause = Resident.id_number == id_number
    if decision.need_to_know:
        principal = ctx.require_principal()
        clause = and_(clause, Resident.id.in_(open_task_applicants(principal.department.value)))
    return clause


def cases_statement(ctx: HubContext, flt: Any | None) -> Select[Any]:
    principal = ctx.require_principal()
    stmt = select(Case).where(visible(principal, Case))
    if flt is None:
        return stmt
    if flt.status is not None:
        stmt = stmt.where(Case.status == flt.status.value)
    if flt.item_code is not None:
        stmt = stmt.where(Case.item_code == item_code(flt.item_code, "filter.itemCode"))
    if flt.division_code is not None:
        stmt = stmt.where(
            in_prefix(Case.division_code, division_prefix(flt.division_code, "filter.divisionCode"))
        )
    if flt.channel is not None:
        stmt = stmt.where(Case.channel == flt.channel.value)
    if flt.overdue is not None:
        today = ctx.services.clock.today()
        late = and_(Case.due_date < today, Case.status.not_in(FINAL_CASE_STATUSES))
        stmt = stmt.where(late if flt.overdue else ~late)
    return stmt


def task_filter(flt: Any | None) -> dict[str, object]:
    """The column values an `ApprovalTaskFilter` asks for (`overdue` aside): one reading of
    the filter for the statement and the compiled path."""
    equals: dict[str, object] = {}
    if flt is not None and flt.status is not None:
        equals["status"] = flt.status.value
    if flt is not None and flt.department is not None:
        equals["department"] = flt.department.value
    return equals


def tasks_statement(ctx: HubContext, flt: Any | None) -> Select[Any]:
    principal = ctx.require_principal()
    stmt = select(ApprovalTask).where(visible(principal, ApprovalTask))
    for column, value in task_filter(flt).items():
        stmt = stmt.where(getattr(ApprovalTask, column) == value)
    if flt is not None and flt.overdue is not None:
        today = ctx.services.clock.today()
        late = and_(ApprovalTask.due_date < today, ApprovalTask.status == "PENDING")
        stmt = stmt.where(late if flt.overdue else ~late)
    return stmt


def payment_filter(flt: Any | None) -> tuple[dict[str, object], str | None]:
    """The column values and the division prefix a `PaymentFilter` asks for, checked (a bad
    period or division is BAD_USER_INPUT): one reading of the filter for the statement and
    the compiled path."""
    equals: dict[str, object] = {}
    prefix = None
    if flt is not None:
        if flt.period is not None:
            equals["period"] = period(flt.period, "filter.period")
        if flt.status is not None:
            equals["status"] = flt.status.value
        if flt.division_code is not None:
            prefix = division_prefix(flt.division_code, "filter.divisionCode")
    return equals, prefix


def payments_statement(ctx: HubContext, flt: Any | None) -> Select[Any]:
    principal = ctx.require_principal()
    stmt = select(Payment).where(visible(principal, Payment))
    equals, prefix = payment_filter(flt)
    for column, value in equals.items():
        stmt = stmt.where(getattr(Payment, column) == value)
    if prefix is not None:
        stmt = stmt.where(in_prefix(Payment.division_code, prefix))
    return stmt

"""Keeping supervision records through the API: check, write and audit in one transaction.

Who: `hub.supervision.access.require_writer`; where: the record's division must lie in the
caller's jurisdiction (NOT_FOUND otherwise); what: `hub.supervision.kinds` (BAD_USER_INPUT).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from hub.errors import BadUserInput, Conflict, NotFound
from hub.resolvers.context import HubContext
from hub.supervision.access import division_for, require_writer
from hub.supervision.audit import mark_recorded, record_change
from hub.supervision.kinds import KINDS, Problem, RecordKind

MAX_ATTENDEES = 200

# The GraphQL type each model is shown as; its global IDs carry this name.
TYPE_NAMES = {
    "proxy-points": "ProxyPoint",
    "assistants": "CivilAffairsAssistant",
    "staff-posts": "StaffPost",
    "training": "TrainingRecord",
    "funding": "FundingAllocation",
}


def _bad_input(kind: RecordKind, problems: Sequence[Problem], index: int | None = None) -> None:
    if not problems:
        return

    def where(p: Problem) -> str:
        if index is not None and p.column == "person_name":
            return f"input.attendees[{index}]"
        return f"input.{kind.argument(p.column)}"

    first = problems[0]
    raise BadUserInput(
        f"`{where(first)}` {first.message}",
        argument=where(first),
        problems=[{"argument": where(p), "message": p.message} for p in problems],
    )


def input_values(data: Any) -> dict[str, Any]:
    """A GraphQL input as column values (its fields are named like the columns)."""
    values = dataclasses.asdict(data)
    return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in values.items()}


def attendance(data: Any) -> list[dict[str, Any]]:
    """One training record per attendee of a session."""
    names = [name.strip() for name in data.attendees]
    if not 1 <= len(names) <= MAX_ATTENDEES or len(set(names)) != len(names):
        raise BadUserInput(
            f"`input.attendees` takes 1 to {MAX_ATTENDEES} different names",
            argument="input.attendees",
        )
    common = {k: v for k, v in input_values(data).items() if k != "attendees"}
    return [common | {"person_name": name} for name in names]


def record_pk(value: str, type_name: str, argument: str) -> int:
    """The key of a supervision record's global ID (`base64url("Type:pk")`)."""
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    name, _, key = decoded.partition(":")
    if name != type_name or not key.isdigit():
        raise BadUserInput(f"`{argument}` is not a {type_name} ID", argument=argument)
    return int(key)


async def create(
    ctx: HubContext, info: Info, kind_name: str, rows: Sequence[Mapping[str, Any]]
) -> list[Any]:
    """Validate and insert `rows` of one kind (all or none), audited; returns the new rows."""
    principal = ctx.require_principal()
    require_writer(principal)
    kind = KINDS[kind_name]
    parsed = []
    for index, raw in enumerate(rows):
        values, problems = kind.parse(raw)
        _bad_input(kind, problems, index if len(rows) > 1 else None)
        parsed.append(values)
    async with ctx.services.sessions() as session, session.begin():
        for values in parsed:
            code = values[kind.division_column]
            arg = f"input.{kind.argument(kind.division_column)}"
            await division_for(session, principal, ctx.services.directory, code, arg)
        if kind.unique:
            await _refuse_duplicates(session, kind, parsed)
        created = [kind.model(**values) for values in parsed]
        session.add_all(created)
        await session.flush()
        touches = [
            (TYPE_NAMES[kind_name], row.id, getattr(row, kind.division_column), values)
            for row, values in zip(created, parsed, strict=True)
        ]
        await record_change(session, ctx, info, touches)
    mark_recorded(ctx)
    return created


async def _refuse_duplicates(
    session: AsyncSession, kind: RecordKind, parsed: Sequence[Mapping[str, Any]]
) -> None:
    for values in parsed:
        key = [getattr(kind.model, c) == values[c] for c in kind.unique]
        if (await session.execute(select(kind.model.id).where(and_(*key)))).first():
            what = ", ".join(f"{c} {values[c]}" for c in kind.unique)
            raise Conflict(f"a record with {what} already exists")


async def update(
    ctx: HubContext,
    info: Info,
    kind_name: str,
    record_id: str,
    changes: Mapping[str, Any],
) -> Any:
    """Change one existing record (an end date, a post's holder), audited."""
    principal = ctx.require_principal()
    require_writer(principal)
    kind = KINDS[kind_name]
    type_name = TYPE_NAMES[kind_name]
    pk = record_pk(record_id, type_name, "input.id")
    async with ctx.services.sessions() as session, session.begin():
        row = await session.get(kind.model, pk)
        if row is None:
            raise NotFound(f"{type_name} not found")
        code = getattr(row, kind.division_column)
        await division_for(session, principal, ctx.services.directory, code, "input.id")
        values = {c.name: getattr(row, c.name) for c in kind.columns} | dict(changes)
        _, problems = kind.parse(values)
        _bad_input(kind, problems)
        for column, value in changes.items():
            setattr(row, column, value)
        await session.flush()
        await record_change(session, ctx, info, [(type_name, pk, code, changes.keys())])
    mark_recorded(ctx)
    return row

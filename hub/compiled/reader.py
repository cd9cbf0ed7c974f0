"""Serves a root connection through a compiled plan: cached per (selection, caller shape),
executed as one statement, its JSON embedded in the response as is (`orjson.Fragment`)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import orjson
from cachetools import LRUCache
from graphql import GraphQLError, located_error
from strawberry.types import Info

from hub.compiled.execution import Prebuilt
from hub.compiled.plan import Denial, Plan, Planner
from hub.compiled.selection import Selected, Unsupported, collect, find
from hub.compiled.shapes import CONNECTIONS, OBJECTS, SHAPES, Embedded, Relation
from hub.db.engine import statement_connection
from hub.domain.divisions import prefix_range
from hub.errors import ForbiddenField

if TYPE_CHECKING:
    from hub.resolvers.context import HubContext

log = logging.getLogger(__name__)

PLAN_CACHE_SIZE = 512
_UNPLANNED = object()
_Collected = tuple[tuple[Selected, ...], int]  # a selection and its number
TOWNSHIP_PREFIX = 9  # digits of a township's prefix: a filter on a township or a village


def _child_type(type_name: str, field_name: str) -> str | None:
    """The object type under a field, for collecting the selection (None for leaves)."""
    if type_name.endswith("Connection"):
        if field_name == "edges":
            return type_name.removesuffix("Connection") + "Edge"
        return "PageInfo" if field_name == "pageInfo" else None
    if type_name.endswith("Edge"):
        return type_name.removesuffix("Edge") if field_name == "node" else None
    shape = SHAPES.get(type_name)
    if shape is None:
        return None
    spec = shape.fields.get(field_name)
    if isinstance(spec, Relation):
        return spec.type_name
    if isinstance(spec, Embedded):
        return spec.type_name
    if spec is None and field_name != "__typename":
        raise Unsupported(f"{type_name}.{field_name}")
    return None


class CompiledReads:
    """One per process: the plan cache. Plans depend on the selection and the caller shape."""

    def __init__(self, evaluator: Any) -> None:
        self.evaluator = evaluator
        # None remembers "not compiled" for that key too.
        self._plans: LRUCache[tuple[Any, ...], Plan | None] = LRUCache(maxsize=PLAN_CACHE_SIZE)
        self._selections: LRUCache[tuple[Any, ...], tuple[Any, _Collected | None]] = LRUCache(
            maxsize=PLAN_CACHE_SIZE
        )
        # A number per distinct selection, so that plan keys hold a number rather than the
        # selection tree itself (hashing the tree, every request, cost more than the lookup).
        self._tokens: LRUCache[tuple[Selected, ...], int] = LRUCache(maxsize=2 * PLAN_CACHE_SIZE)
        self._next_token = itertools.count()

    def plan_for(self, key: tuple[Any, ...], build: Any) -> Plan | None:
        found = self._plans.get(key, _UNPLANNED)
        if found is not _UNPLANNED:
            return cast("Plan | None", found)
        try:
            plan = build()
        except Unsupported as why:
            log.debug("not compiled: %s", why)
            plan = None
        self._plans[key] = plan
        return plan

    def _selection(self, info: Info, root_type: str) -> _Collected | None:
        """The root field's merged selection and its number, remembered per (document node,
        variables): the parsed document is shared by every request with the same text."""
        raw = info._raw_info
        root = raw.field_nodes[0]
        try:
            key = (
                id(root),
                len(raw.field_nodes),
                orjson.dumps(info.variable_values, option=orjson.OPT_SORT_KEYS),
            )
        except TypeError:
            key = None
        if key is not None:
            found = self._selections.get(key)
            # The entry holds the node itself, so its id cannot have been reused.
            if found is not None and found[0] is root:
                return found[1]
        try:
            selection = collect(
                (node.selection_set for node in raw.field_nodes),
                root_type,
                _child_type,
                raw.fragments,
                info.variable_values,
            )
        except Unsupported as why:
            log.debug("not compiled: %s", why)
            collected = None
        else:
            token = self._tokens.get(selection)
            if token is None:
                token = self._tokens[selection] = next(self._next_token)
            collected = (selection, token)
        if key is not None:
            self._selections[key] = (root, collected)
        return collected

    async def connection(
        self,
        ctx: HubContext,
        info: Info,
        size: int,
        cursor: int | None,
        division_prefix: str | None,
        equals: dict[str, object] | None = None,
    ) -> orjson.Fragment | Prebuilt | None:
        """The root connection's JSON, or None when this read is not compiled. `equals`: the
        filter's column values (already checked), each a bind parameter."""
        type_name = CONNECTIONS.get(info.field_name)
        if type_name is None:
            return None
        after, division = cursor is not None, division_prefix is not None
        # A township's or a village's page takes another plan than a county's (plan.py).
        narrow = division_prefix is not None and len(division_prefix) >= TOWNSHIP_PREFIX
        township = division_prefix is not None and len(division_prefix) == TOWNSHIP_PREFIX
        columns = tuple(sorted(equals or {}))
        values: dict[str, Any] = {"first": size, "limit": size + 1, "after": cursor}
        values.update(equals or {})
        if division_prefix is not None:
            values["division_low"], values["division_high"] = prefix_range(division_prefix)
            values["township"] = division_prefix
            values["township_code"] = division_prefix[:TOWNSHIP_PREFIX].ljust(12, "0")
        return await self._run(
            ctx,
            info,
            f"{type_name}Connection",
            (after, division, columns, narrow, township),
            lambda planner, selection: planner.connection(
                type_name,
                selection,
                after=after,
                division=division,
                equals=columns,
                narrow=narrow,
                township=township,
            ),
            values,
        )

    async def one(
        self, ctx: HubContext, info: Info, key: object
    ) -> orjson.Fragment | Prebuilt | None:
        """A root object field's JSON by its key (primary key, case number), or None when this
        read is not compiled or finds no row the caller may see (the resolver then gives the
        answer, or the error)."""
        found = OBJECTS.get(info.field_name)
        if found is None:
            return None
        type_name, column = found
        return await self._run(
            ctx,
            info,
            type_name,
            (),
            lambda planner, selection: planner.one(type_name, selection, column),
            {"key": key},
        )

    async def _run(
        self,
        ctx: HubContext,
        info: Info,
        root_type: str,
        plan_shape: tuple[Any, ...],
        build: Callable[[Planner, tuple[Selected, ...]], Plan],
        values: dict[str, Any],
    ) -> orjson.Fragment | Prebuilt | None:
        principal = ctx.principal
        if principal is None:
            return None
        collected = self._selection(info, root_type)
        if collected is None:
            return None
        selection, token = collected
        shape_key = (
            principal.department,
            principal.level,
            principal.roles,
            principal.jurisdiction_prefix,
            principal.is_citizen,
            principal.id_number if principal.is_citizen else None,
        )
        key = (info.field_name, token, shape_key, plan_shape)
        plan = self.plan_for(key, lambda: build(Planner(self.evaluator, principal), selection))
        if plan is None:
            return None
        args = [values[name] for name in plan.params]
        # A pooled connection of its own, used through the driver: one prepared statement, no
        # transaction (a single SELECT), nothing for the ORM to track.
        async with statement_connection(ctx.services.engine) as driver:
            row = await driver.fetchrow(plan.sql, *args)
        if row is None:  # no row the caller may see: the resolver answers
            return None
        ctx.audit.add_documents(row[1], unique=plan.unique_resources)
        data = orjson.Fragment(row[0])
        if not plan.denials:
            return data
        audited = {spec.column: orjson.loads(row[spec.column]) for spec in plan.audits}
        root_key = str(info.path.key)  # the root field's response key (its alias, if any)
        return Prebuilt(data, _denied(plan.denials, audited, root_key, selection))


def _denied(
    denials: tuple[Denial, ...],
    audited: dict[int, list[Any]],
    root_key: str,
    selection: tuple[Any, ...],
) -> list[GraphQLError]:
    """FORBIDDEN_FIELD for each denied field of each returned object, as the gate raises it."""
    keyed: list[tuple[tuple[Any, ...], GraphQLError]] = []
    for order, denial in enumerate(denials):
        found = find(selection, denial.keys_from_root)
        nodes = [found.node] if found is not None and found.node is not None else None
        field_ref = f"{denial.type_name}.{denial.field_name}"
        message = f"not permitted to read {field_ref}"
        for *_, indexes in audited[denial.column]:
            positions = iter(indexes)
            path: list[str | int] = [root_key]
            path.extend(next(positions) if k is None else k for k in denial.route)
            path.append(denial.key)
            error = located_error(ForbiddenField(message, field=field_ref), nodes, path)
            keyed.append(((len(path), *indexes, order), error))
    # Shallow objects first, each object's fields in selection order: the resolvers' order.
    keyed.sort(key=lambda item: item[0])
    return [error for _, error in keyed]

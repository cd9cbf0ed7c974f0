"""Prepared reads: a document whose one operation is a query of one compiled root connection
runs, from its second request on, without graphql-core's executor and strawberry's operation
machinery around it (decision 0069).

What runs is what the ordinary execution would run for that document, called directly: the
hardening checks (`HardeningRules.checked`, the same instance logic), graphql-core's coercion
of the variables and of the root field's arguments, strawberry's conversion of them into input
types, the root field's compiled read (`page_args` and `records.compiled_*`, as the resolver
calls them), the schema's error processing, and the audit event (`record_operation`). The
response is the one the ordinary execution would give, field errors included.

Whenever that is not certain the operation goes the ordinary way, with nothing done twice: the
checks' outcome is handed over (`HubContext.prechecked`, so the caller's rate is spent once),
and nothing else has touched the database or the audit collector by then. Handed over are:
any check error, variables or arguments that do not coerce, a resolver error (the ordinary
path raises it again, located), and a read the compiled path declines (a filter it leaves to
the resolvers).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import orjson
from cachetools import LRUCache
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.types.info import Info
from strawberry.utils.await_maybe import await_maybe

from hub.audit.events import OperationKind
from hub.compiled.execution import Prebuilt
from hub.hardening.extension import PARSED_KEY, PASSED_KEY, HardeningRules
from hub.hardening.limits import operation_of
from hub.resolvers import records
from hub.resolvers.audit_operation import record_operation
from hub.resolvers.context import HubContext
from hub.schema.common import page_args

if TYPE_CHECKING:
    from hub.schema.build import HubSchema

PREPARED_CACHE_SIZE = 1024
ARGUMENT_SETS = 256  # per prepared document

Compiled = Callable[[HubContext, Any, int, int | None, Any], Awaitable[Any]]
# The root connections the compiled path serves, each as its resolver calls it first.
CONNECTIONS: dict[str, Compiled] = {
    "residents": records.compiled_residents,
    "approvalTasks": records.compiled_tasks,
    "payments": records.compiled_payments,
}


@dataclass(frozen=True, slots=True)
class Prepared:
    """One document's operation, resolved against the schema once."""

    document: Any
    operation: OperationDefinitionNode
    node: FieldNode
    field_def: GraphQLField
    field: Any  # the StrawberryField
    parent_type: GraphQLObjectType
    fragments: dict[str, FragmentDefinitionNode]
    compiled: Compiled
    # (coerced variables, converted arguments) by the variables' sorted JSON
    arguments: LRUCache[bytes, tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=lambda: LRUCache(maxsize=ARGUMENT_SETS)
    )

    @property
    def key(self) -> str:
        return self.node.alias.value if self.node.alias else self.node.name.value


NOT_PREPARED = object()


class PreparedReads:
    """Per schema: the documents prepared so far (None remembers "not preparable")."""

    def __init__(self) -> None:
        self._prepared: LRUCache[tuple[str, str | None], Prepared | None] = LRUCache(
            maxsize=PREPARED_CACHE_SIZE
        )
        self.served = 0  # operations answered here, not handed over

    def lookup(self, query: str | None, operation_name: str | None) -> Prepared | None | object:
        """The prepared operation, None when it cannot be prepared, `NOT_PREPARED` when it
        has not been looked at yet."""
        if query is None:
            return None
        return self._prepared.get((query, operation_name), NOT_PREPARED)

    def learn(self, schema: HubSchema, ctx: HubContext, query: str, name: str | None) -> None:
        """After an ordinary execution: prepare the document if it qualifies. Only documents
        that passed the hardening's static checks (remembered by the hardening) qualify."""
        extras = ctx.services.extras
        document = extras.get(PARSED_KEY, {}).get(query)
        operation = operation_of(document, name) if document is not None else None
        if operation is None:
            return
        # The hardening names the operation as strawberry does: the one asked for, or the
        # document's only operation's own name.
        named = name if name is not None else (operation.name.value if operation.name else None)
        if (query, named) not in extras.get(PASSED_KEY, {}):
            return  # not (yet) known to pass: looked at again next time
        self._prepared[(query, name)] = _prepare(schema, document, name)


def _prepare(schema: HubSchema, document: Any, name: str | None) -> Prepared | None:
    operation = operation_of(document, name)
    if (
        operation is None
        or operation.operation is not OperationType.QUERY
        or operation.directives
        or len(operation.selection_set.selections) != 1
    ):
        return None
    node = operation.selection_set.selections[0]
    if not isinstance(node, FieldNode) or node.directives:
        return None
    compiled = CONNECTIONS.get(node.name.value)
    query_type = schema._schema.query_type
    if compiled is None or query_type is None:
        return None
    field_def = query_type.fields[node.name.value]
    root_field = schema.get_field_for_type(field_name=node.name.value, type_name=query_type.name)
    if root_field is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Prepared(
        document, operation, node, field_def, root_field, query_type, fragments, compiled
    )


async def run_prepared(
    schema: HubSchema,
    prepared: Prepared,
    ctx: HubContext,
    query: str,
    variable_values: dict[str, Any] | None,
    operation_name: str | None,
) -> ExecutionResult | None:
    """The operation's result, or None to hand it to the ordinary execution."""
    ec = schema._create_execution_context(
        query=query,
        allowed_operation_types=(StrawberryOperationType.QUERY,),
        variable_values=variable_values,
        context_value=ctx,
        root_value=None,
        operation_name=operation_name,
        operation_extensions=None,
    )
    ec.graphql_document = prepared.document
    rules = HardeningRules()
    rules.execution_context = ec
    errors = await rules.checked()
    if errors:
        ctx.prechecked = (errors, rules.score, rules.budget)
        return None
    handed_over: tuple[list[Any], Any, int] = ([], rules.score, rules.budget)
    try:
        found = _arguments(schema, prepared, variable_values)
    except Exception:  # the ordinary execution reports it, located as it locates errors
        found = None
    if found is None:
        _hand_over(ctx, handed_over)
        return None
    coerced, kwargs = found
    try:
        raw = _OperationContextAwareGraphQLResolveInfo(
            prepared.node.name.value,
            [prepared.node],
            prepared.field_def.type,
            prepared.parent_type,
            Path(None, prepared.key, prepared.parent_type.name),
            schema._schema,
            prepared.fragments,
            None,
            prepared.operation,
            coerced,
            ctx,
            inspect.isawaitable,
            None,
            None,
            {},
        )
        info = Info(_raw_info=cast("Any", raw), _field=prepared.field)
        size, cursor = page_args(kwargs.get("first"), kwargs.get("after"))
        built = await await_maybe(prepared.compiled(ctx, info, size, cursor, kwargs.get("filter")))
    except Exception:  # the ordinary execution raises it again, located as it locates errors
        _hand_over(ctx, handed_over)
        return None
    if built is None:
        _hand_over(ctx, handed_over)
        return None
    ctx.services.read_paths[("compiled", prepared.node.name.value)] += 1
    if schema.prepared is not None:
        schema.prepared.served += 1
    field_errors: list[GraphQLError] = []
    if type(built) is Prebuilt:
        field_errors = list(built.errors)
        built = built.json
    if field_errors:
        schema._process_errors(field_errors, ec)
    try:
        # As the audit extension does once the operation is over: the reads' connection first.
        await ctx.close()
        await record_operation(
            ctx,
            OperationKind.QUERY,
            field_errors,
            operation_name=ec.operation_name,  # as strawberry names it: the document's own name
            query=query,
            variables=ec.variables,
        )
    except Exception as exc:  # fail closed, as strawberry turns the extension's failure
        failed = [
            exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
        ]
        schema._process_errors(failed, ec)
        return ExecutionResult(data=None, errors=failed, extensions=rules.get_results())
    return ExecutionResult(
        data={prepared.key: built},
        errors=field_errors or None,
        extensions=rules.get_results(),
    )


def _arguments(
    schema: HubSchema, prepared: Prepared, variable_values: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The coerced variables and the root field's converted arguments, or None when the
    variables do not coerce. The same variables give the same values: they are remembered per
    set (the resolvers only read them), keyed by their JSON, as the cost scores are."""
    try:
        key: bytes | None = orjson.dumps(variable_values, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # beyond JSON's plain values (not from a request body): not remembered
        key = None
    if key is not None:
        found = prepared.arguments.get(key)
        if found is not None:
            return found
    hide = bool(schema.config.disable_field_suggestions)
    variables = get_variable_values(
        schema._schema,
        prepared.operation.variable_definitions or (),
        variable_values or {},
        max_errors=50,
        hide_suggestions=hide,
    )
    if isinstance(variables, list):
        return None
    arguments = get_argument_values(prepared.field_def, prepared.node, variables, None, hide)
    kwargs = convert_arguments(
        arguments,
        prepared.field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
        info=None,
    )
    found = (variables.coerced, kwargs)
    if key is not None:
        prepared.arguments[key] = found
    return found


def _hand_over(ctx: HubContext, checked: tuple[list[Any], Any, int]) -> None:
    """Leave the operation to the ordinary execution as if nothing had run but the checks."""
    ctx.prechecked = checked
    ctx.audit.documents.clear()
    ctx.audit.resources.clear()

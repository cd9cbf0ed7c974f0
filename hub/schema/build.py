"""Builds the strawberry schema; maps every error to one `extensions.code` in one place."""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.graphql import OperationType

from hub.compiled.execution import HubExecutionContext
from hub.compiled.prepared import NOT_PREPARED, Prepared, PreparedReads, run_prepared
from hub.errors import HubError
from hub.hardening.extension import HardeningRules
from hub.hardening.production import harden_errors
from hub.policy.evaluator import PolicyEvaluator
from hub.resolvers.audit_operation import AuditOperation
from hub.resolvers.context import HubContext
from hub.schema import federation
from hub.schema.cases import ApprovalTask, Case
from hub.schema.guard import GUARDED_FIELDS
from hub.schema.input_conversion import install_input_conversion
from hub.schema.mutations import Mutation
from hub.schema.payments import Entitlement, Payment
from hub.schema.people import Household, Resident
from hub.schema.root import Query
from hub.schema.subscriptions import Subscription

log = logging.getLogger("hub.graphql")

NODE_TYPES = [Resident, Household, Case, ApprovalTask, Entitlement, Payment]


_HOOK_WRAPPERS: dict[Any, tuple[Callable[..., Any], bool] | None] = {}


class _KnownHooks(ExtensionContextManagerBase):
    """Strawberry inspects each extension's hook and wraps it in a new context-manager function
    for every stage of every operation; the wrapper of a generator hook is made once here.
    Entering and leaving the hooks is strawberry's own code."""

    __slots__ = ()

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        function = getattr(type(extension), self.HOOK_NAME)
        if function is self.default_hook:
            return None
        if function not in _HOOK_WRAPPERS:
            if inspect.isasyncgenfunction(function):
                _HOOK_WRAPPERS[function] = (contextlib.asynccontextmanager(function), True)
            elif inspect.isgeneratorfunction(function):
                _HOOK_WRAPPERS[function] = (contextlib.contextmanager(function), False)
            else:
                _HOOK_WRAPPERS[function] = None
        found = _HOOK_WRAPPERS[function]
        if found is None:  # a plain function: strawberry wraps it (with the extension)
            return super().get_hook(extension)
        wrapper, is_async = found
        return WrappedHook(extension, functools.partial(wrapper, extension), is_async)

    async def __aenter__(self) -> None:
        if self.hooks:
            await super().__aenter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        if self.hooks:
            await super().__aexit__(*exc_info)


class _Operation(_KnownHooks, OperationContextManager):
    __slots__ = ()


class _Validation(_KnownHooks, ValidationContextManager):
    __slots__ = ()


class _Parsing(_KnownHooks, ParsingContextManager):
    __slots__ = ()


class _Executing(_KnownHooks, ExecutingContextManager):
    __slots__ = ()


class HubExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)


class HubSchema(strawberry.federation.Schema):
    """The served schema: an Apollo Federation v2 subgraph (`_entities`, `_service`)."""

    production: bool = False
    prepared: PreparedReads | None = None  # None: every operation runs the ordinary way

    async def execute(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """A prepared read runs directly (hub/compiled/prepared.py); anything else, or a
        prepared read it hands back, runs the ordinary way, after which the document may be
        prepared for its next request."""
        prepared = self.prepared
        ctx = context_value if type(context_value) is HubContext else None
        found: Prepared | None | object = None
        if (
            prepared is not None
            and ctx is not None
            and query is not None
            and root_value is None
            and not operation_extensions
            and ctx.embeds_json
            and ctx.services.compiled_reads is not None
        ):
            found = prepared.lookup(query, operation_name)
        if isinstance(found, Prepared):
            assert ctx is not None and query is not None
            result = await run_prepared(self, found, ctx, query, variable_values, operation_name)
            if result is not None:
                return result
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if found is NOT_PREPARED and not result.errors:
            assert prepared is not None and ctx is not None and query is not None
            prepared.learn(self, ctx, query, operation_name)
        return result

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HubExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        if self.production:
            harden_errors(errors)
        for error in errors:
            classify(error, execution_context, production=self.production)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        types = {
            name: self.schema_converter.type_map[name].definition.origin  # type: ignore[union-attr]
            for name in federation.ENTITY_KEYS
            if name in self.schema_converter.type_map
        }
        return federation.resolve_entities(info, types, list(representations))  # type: ignore[return-value]


def classify(
    error: GraphQLError, execution_context: ExecutionContext | None, *, production: bool
) -> None:
    """Give the error its contract code; hide internals of unexpected failures."""
    original = error.original_error
    extensions = dict(error.extensions or {})
    if isinstance(original, HubError):
        extensions.update(original.extensions)
    elif original is None and "code" not in extensions:
        parsed = execution_context is not None and execution_context.graphql_document is not None
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED" if parsed else "GRAPHQL_PARSE_FAILED"
    elif isinstance(original, GraphQLError) and "code" not in extensions:
        # Variable values graphql-core could not coerce (unknown input field, bad enum value):
        # the client's input is wrong, as Apollo reports it.
        extensions["code"] = "BAD_USER_INPUT"
    elif original is not None and "code" not in extensions:
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        log.error("internal error (request %s)", request_id, exc_info=original)
        extensions["code"] = "INTERNAL"
        extensions["requestId"] = request_id
        error.message = f"internal error (request id {request_id})"
    error.extensions = extensions


def schema_fields(schema: strawberry.Schema) -> dict[str, set[str]]:
    """Object types and their field names, to validate the policy against the schema."""
    found: dict[str, set[str]] = {}
    for name, gql_type in schema._schema.type_map.items():
        if isinstance(gql_type, GraphQLObjectType) and not name.startswith("__"):
            found[name] = set(gql_type.fields)
    return found


def describe_guarded_fields(schema: strawberry.Schema, policy: PolicyEvaluator) -> None:
    """Write each guarded field's possible grants into its SDL description (from the policy)."""
    for type_name, field_name in GUARDED_FIELDS:
        gql_type = schema._schema.type_map.get(type_name)
        if isinstance(gql_type, GraphQLObjectType) and field_name in gql_type.fields:
            field = gql_type.fields[field_name]
            base = field.description or ""
            summary = policy.describe(type_name, field_name)
            field.description = f"{base} {summary}".strip() if base else summary


def build_schema(
    policy: PolicyEvaluator, *, production: bool = False, prepared: bool = True
) -> HubSchema:
    schema = HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
        extensions=[AuditOperation, HardeningRules],
        config=StrawberryConfig(disable_field_suggestions=production),
        federation_version=federation.FEDERATION_VERSION,
        execution_context_class=HubExecutionContext,
    )
    schema.production = production
    if prepared:
        schema.prepared = PreparedReads()
    describe_guarded_fields(schema, policy)
    install_input_conversion(schema)
    return schema


def build_portal_schema(policy: PolicyEvaluator) -> strawberry.Schema:
    """The same types without federation's additions, for the portals' `schema.graphql`."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Federation directive found", UserWarning)
        schema = strawberry.Schema(
            query=Query, mutation=Mutation, subscription=Subscription, types=NODE_TYPES
        )
    describe_guarded_fields(schema, policy)
    return schema

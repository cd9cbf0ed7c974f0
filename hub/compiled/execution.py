"""The executor strawberry runs: graphql-core's, except that a root field whose value the
compiled path already built as JSON is taken as it is, instead of completed field by field."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import OperationType, is_non_null_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class Prebuilt:
    """A root field's JSON built by the compiled path, with the field errors of its objects
    (denied fields, each with its own path; their values are already null in the JSON)."""

    __slots__ = ("errors", "json")

    def __init__(self, json: orjson.Fragment, errors: list[Any]) -> None:
        self.json = json
        self.errors = errors


class HubExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def build_response(self, data: dict[str, Any] | None) -> Any:
        """graphql-core's, then the executor lets go of its resolver helpers: they are its own
        bound methods, a reference cycle that kept each operation's context, loaders, audit
        collector and prebuilt JSON alive until the garbage collector's next pass, and made
        those passes more frequent and longer (~40 unreachable objects per page read). Every
        field is resolved by now (incremental delivery is not enabled), and the resolve infos
        built before keep helpers of their own."""
        try:
            return super().build_response(data)
        finally:
            self.async_helpers = None  # type: ignore[assignment]

    def complete_value(  # type: ignore[override]
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        # graphql-core completes a non-null root type twice (the wrapper, then the type): act
        # on the inner call only, so each root field is counted once.
        root_query = path.prev is None and self.operation.operation is OperationType.QUERY
        if root_query and not is_non_null_type(return_type):
            if type(result) is Prebuilt:
                # Errors below a nullable field that is itself null never null their parents.
                self.collected_errors.errors.extend(result.errors)
                result = result.json
            compiled = type(result) is orjson.Fragment
            services = getattr(self.context_value, "services", None)
            if services is not None:
                strategy = "compiled" if compiled else "resolved"
                services.read_paths[(strategy, info.field_name)] += 1
            if compiled:
                return result
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

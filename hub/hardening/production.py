"""Production mode (HUB_ENV=production): who may read the schema, and what error messages
may say — no suggestions that map the schema, no limit values to probe against."""

from __future__ import annotations

import re

from graphql import GraphQLError

from hub.auth.principal import Principal
from hub.hardening.limits import Violation

INTROSPECT_SCOPE = "schema:introspect"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

INTROSPECTION_REFUSED = "introspection is not allowed for this client"


def may_read_schema(principal: Principal | None, *, production: bool) -> bool:
    """`__schema`, `__type` and `_service { sdl }`: everyone in development; in production only
    a principal holding the `schema:introspect` scope (a gateway, a build pipeline)."""
    if not production:
        return True
    return principal is not None and principal.has_scope(INTROSPECT_SCOPE)


def without_suggestions(message: str) -> str:
    """graphql-core's "Did you mean ...?" hints name fields, arguments, types and enum values
    the caller did not know; in production they go (all of them, not only fields)."""
    return _SUGGESTION.sub("", message)


def harden_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        error.message = without_suggestions(error.message)


def too_complex_message(violation: Violation, *, production: bool) -> str:
    """Development says by how much; production only which kind of limit (no values)."""
    if production:
        return f"the query exceeds the {violation.limit} limit"
    return (
        f"the query exceeds the {violation.limit} limit ({violation.actual} > {violation.allowed})"
    )

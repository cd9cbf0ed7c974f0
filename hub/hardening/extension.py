"""The schema extension that enforces the hardening rules on every operation, before it runs:
token limit (parse), trusted documents, schema reading, structural limits, validation, cost
budget and the per-client rate limit (validate). Every refusal is a GraphQL error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import FragmentDefinitionNode, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from hub.config import Hardening
from hub.errors import BadUserInput, Forbidden, HubError, QueryTooComplex, RateLimited
from hub.hardening import documents
from hub.hardening.cost import Score, score_operation, standard_introspection_cost
from hub.hardening.headers import RETRY_AFTER_KEY
from hub.hardening.limits import (
    FragmentCycle,
    Violation,
    has_nul,
    has_nul_in_values,
    measure,
    operation_of,
    violations,
)
from hub.hardening.production import INTROSPECTION_REFUSED, may_read_schema, too_complex_message
from hub.hardening.ratelimit import LIMITER_KEY, CostLimiter, build_limiter

_INTROSPECTION_BUDGET_KEY = "hardening.introspection_budget"
PARSED_KEY = "hardening.parsed_documents"
PASSED_KEY = "hardening.passed_documents"
_SCORES_KEY = "hardening.scores"
DOCUMENT_CACHE_SIZE = 1024


def _document_cache() -> LRUCache[Any, Any]:
    return LRUCache(maxsize=DOCUMENT_CACHE_SIZE)


def _frozen(variables: Any) -> bytes:
    """Variables as a cache key (their JSON, keys sorted)."""
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return orjson.dumps(repr(variables))


def _error(exc: HubError) -> GraphQLError:
    return GraphQLError(exc.message, original_error=exc)


def _invalid(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "GRAPHQL_VALIDATION_FAILED"})


class HardeningRules(SchemaExtension):
    """One instance per operation (pass the class, never an instance)."""

    score: Score | None = None
    budget: int = 0

    # -- configuration, from the operation's context ----------------------------------------

    @property
    def _services(self) -> Any:
        return getattr(self.execution_context.context, "services", None)

    @property
    def _settings(self) -> Hardening:
        services = self._services
        return services.settings.hardening if services is not None else Hardening()

    @property
    def _production(self) -> bool:
        services = self._services
        return bool(services is not None and services.settings.is_production)

    @property
    def _principal(self) -> Any:
        return getattr(self.execution_context.context, "principal", None)

    def _extra(self, key: str, build: Any) -> Any:
        services = self._services
        if services is None:
            return build()
        if key not in services.extras:
            services.extras[key] = build()
        return services.extras[key]

    # -- hooks ------------------------------------------------------------------------------

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        ec.parse_options["max_tokens"] = self._settings.max_tokens
        # Parsed documents are immutable: the same text is parsed once (failures are not kept).
        parsed: LRUCache[str, Any] = self._extra(PARSED_KEY, _document_cache)
        if ec.query is not None and ec.graphql_document is None:
            ec.graphql_document = parsed.get(ec.query)
        yield
        if ec.query is not None and ec.graphql_document is not None:
            parsed[ec.query] = ec.graphql_document
        # graphql-core stops lexing past the limit ("... Parsing aborted."): too complex, not
        # a syntax error; the same for documents nested past what the parser accepts.
        if ec.graphql_document is None:
            for error in ec.pre_execution_errors or ():
                if error.message.endswith("Parsing aborted."):
                    error.message = "the query exceeds the size limit (tokens or nesting)"
                    error.extensions = QueryTooComplex(error.message).extensions
                    error.locations = None

    async def on_validate(self) -> Any:  # type: ignore[override]
        ec = self.execution_context
        prior = getattr(ec.context, "prechecked", None)
        if prior is not None:
            # The prepared read path checked this operation and then handed it over: the same
            # answer, without spending the caller's rate again (hub/compiled/prepared.py).
            ec.context.prechecked = None
            errors, self.score, self.budget = prior
        else:
            errors = await self.checked()
        # Set even when empty: strawberry then skips its own validation, which _check ran.
        ec.pre_execution_errors = errors
        yield

    async def checked(self) -> list[GraphQLError]:
        """Every check of the operation, its errors (none when it may run)."""
        try:
            return await self._check()
        except Exception as exc:  # fail closed: classified INTERNAL, logged with a request id
            return [GraphQLError("the operation could not be checked", original_error=exc)]

    def get_results(self) -> dict[str, Any]:
        if self._production or self.score is None:
            return {}
        return {
            "cost": {
                "requested": self.score.total,
                "budget": self.budget,
                "introspection": self.score.introspection,
            }
        }

    # -- the checks, in order ---------------------------------------------------------------

    async def _check(self) -> list[GraphQLError]:
        ec = self.execution_context
        document = ec.graphql_document
        operation = operation_of(document, ec.operation_name) if document else None
        if document is None:
            return []
        if operation is None:
            return list(validate_document(ec.schema._schema, document, ec.validation_rules))
        settings = self._settings
        if settings.trusted_documents == "enforce" and not await self._trusted(ec.query or ""):
            return [_error(Forbidden("this client may run only its registered documents",
                                     reason=documents.REASON))]  # fmt: skip
        # The checks of the document alone are remembered per document text: a document that
        # passed them once passes them again (the schema and the limits do not change).
        static_key = (ec.query, ec.operation_name)
        passed: LRUCache[Any, bool] = self._extra(PASSED_KEY, _document_cache)
        if static_key not in passed:
            errors, remember = self._static_check(document, operation)
            if errors:
                return errors
            if remember:
                passed[static_key] = True
        if has_nul_in_values(ec.variables):
            return [_error(BadUserInput("strings must not contain NUL (U+0000) characters"))]
        return await self._cost(document, operation)

    def _static_check(self, document: Any, operation: Any) -> tuple[list[GraphQLError], bool]:
        """Errors of the document alone, and whether a pass may be remembered."""
        ec = self.execution_context
        settings = self._settings
        try:
            shape = measure(document, operation)
        except FragmentCycle as exc:
            return [_invalid(str(exc))], False
        reads_schema = shape.introspection or shape.service_sdl
        if reads_schema and not may_read_schema(self._principal, production=self._production):
            return [_invalid(INTROSPECTION_REFUSED)], False
        found = violations(
            shape,
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
            introspection_max_depth=settings.introspection_max_depth,
        )
        if found:
            return [self._too_complex(found[0])], False
        errors = validate_document(ec.schema._schema, document, ec.validation_rules)
        if errors:
            return list(errors), False
        if has_nul(document, None):
            nul = BadUserInput("strings must not contain NUL (U+0000) characters")
            return [_error(nul)], False
        # Whether the schema may be read depends on the caller: such a pass is not remembered.
        return [], not reads_schema

    async def _trusted(self, text: str) -> bool:
        ctx = self.execution_context.context
        principal = self._principal
        async with ctx.db() as session:
            return await documents.is_trusted(
                session, principal.client_id if principal else None, text
            )

    def _too_complex(self, violation: Violation) -> GraphQLError:
        return _error(QueryTooComplex(too_complex_message(violation, production=self._production)))

    async def _cost(self, document: Any, operation: Any) -> list[GraphQLError]:
        ec = self.execution_context
        schema = ec.schema._schema
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        scores: LRUCache[Any, Score] = self._extra(_SCORES_KEY, _document_cache)
        score_key = (ec.query, ec.operation_name, _frozen(ec.variables))
        score = scores.get(score_key)
        if score is None:
            score = scores[score_key] = score_operation(schema, fragments, operation, ec.variables)
        self.score = score
        principal = self._principal
        client = principal.client_id if principal is not None else None
        settings = self._settings
        self.budget = settings.budget_for(client)
        key = f"client:{client}" if client else f"address:{self._address()}"
        if principal is not None and not client:
            key = f"subject:{principal.issuer}:{principal.subject}"
        if score.total > self.budget:
            return [self._too_complex(Violation("cost", score.total, self.budget))]
        if score.introspection:
            allowed = settings.introspection_cost_budget or self._extra(
                _INTROSPECTION_BUDGET_KEY, lambda: 2 * standard_introspection_cost(schema)
            )
            if score.introspection > allowed:
                violation = Violation("introspection cost", score.introspection, allowed)
                return [self._too_complex(violation)]
        return await self._rate_limit(key, client, max(1, score.total))

    async def _rate_limit(self, key: str, client: str | None, units: int) -> list[GraphQLError]:
        settings = self._settings
        limiter: CostLimiter = self._extra(LIMITER_KEY, lambda: build_limiter(settings))
        wait = await limiter.spend(key, units, settings.rate_for(client))
        if wait is None:
            return []
        request = getattr(self.execution_context.context, "request", None)
        scope = getattr(request, "scope", None)
        if isinstance(scope, dict) and scope.get("type") == "http":
            scope[RETRY_AFTER_KEY] = int(wait)
        message = f"rate limit reached; retry after {int(wait)} s"
        return [_error(RateLimited(message, retryAfter=int(wait)))]

    def _address(self) -> str:
        request = getattr(self.execution_context.context, "request", None)
        client = getattr(request, "client", None)
        return str(getattr(client, "host", None) or "unknown")

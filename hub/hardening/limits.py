"""Structural limits of a parsed document (depth, aliases, directives), counted after
flattening fragments and before validation; fragment cycles are refused, never followed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    visit,
)
from graphql.language.visitor import BREAK

# Root fields that resolve to the schema itself: `Query.__schema` and `Query.__type` (graphql-
# core's meta fields) and federation's `Query._service { sdl }`.
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
SDL_FIELD = "_service"



def _with_selections(sel: SelectionNode) -> FieldNode | InlineFragmentNode:
    """A selection that is not a fragment spread: a field or an inline fragment."""
    return cast("FieldNode | InlineFragmentNode", sel)

class FragmentCycle(Exception):
    """A fragment spreads itself, directly or through others (a validation error)."""

    def __init__(self, name: str) -> None:
        super().__init__(f'Cannot spread fragment "{name}" within itself.')
        self.name = name


@dataclass(frozen=True)
class Shape:
    """Depth, aliases and directives of a selection set with every fragment inlined."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0


@dataclass
class DocumentShape:
    """What the limits look at: the operation as executed, fragments flattened."""

    depth: int = 0
    introspection_depth: int = 0
    aliases: int = 0
    directives: int = 0
    introspection: bool = False
    service_sdl: bool = False


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation that would run (None when the name matches none, or is ambiguous)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[str]:
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for sel in current.selections if current else ():
            if isinstance(sel, FragmentSpreadNode):
                yield sel.name.value
            else:
                stack.append(_with_selections(sel).selection_set)


def fragment_order(fragments: dict[str, FragmentDefinitionNode]) -> list[str]:
    """Fragments, each after every fragment it spreads; raises FragmentCycle. Iterative, so a
    long chain of spreads cannot exhaust the interpreter's stack."""
    uses = {name: sorted(set(_spreads(f.selection_set))) for name, f in fragments.items()}
    done: set[str] = set()
    order: list[str] = []
    for start in sorted(fragments):
        if start in done:
            continue
        on_path = {start}
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(uses[start]))]
        while stack:
            name, pending = stack[-1]
            nxt = next((u for u in pending if u in fragments and u not in done), None)
            if nxt is None:
                stack.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
            elif nxt in on_path:
                raise FragmentCycle(nxt)
            else:
                on_path.add(nxt)
                stack.append((nxt, iter(uses[nxt])))
    return order


def _shape(selection_set: SelectionSetNode | None, fragments: dict[str, Shape]) -> Shape:
    """Shape of a selection set; fragment spreads use the already computed `fragments`.

    Recursion follows only the nesting written in this selection set, which the parser bounds.
    """
    depth = aliases = directives = 0
    for sel in selection_set.selections if selection_set else ():
        directives += len(sel.directives or ())
        if isinstance(sel, FieldNode):
            inner = _shape(sel.selection_set, fragments)
            depth = max(depth, 1 + inner.depth)
            aliases += (1 if sel.alias else 0) + inner.aliases
            directives += inner.directives
            continue
        if isinstance(sel, FragmentSpreadNode):
            inner = fragments.get(sel.name.value, Shape())
        else:
            inner = _shape(_with_selections(sel).selection_set, fragments)
        depth = max(depth, inner.depth)
        aliases += inner.aliases
        directives += inner.directives
    return Shape(depth, aliases, directives)


def _merge(into: DocumentShape, other: DocumentShape) -> None:
    into.depth = max(into.depth, other.depth)
    into.introspection_depth = max(into.introspection_depth, other.introspection_depth)
    into.aliases += other.aliases
    into.directives += other.directives
    into.introspection = into.introspection or other.introspection
    into.service_sdl = into.service_sdl or other.service_sdl


def _root(
    selection_set: SelectionSetNode | None,
    shapes: dict[str, Shape],
    roots: dict[str, DocumentShape],
    is_query: bool,
) -> DocumentShape:
    """The shape of a selection set at the root of an operation, where each field is judged
    on its own (introspection or not); root-level spreads use the already computed `roots`."""
    result = DocumentShape()
    for sel in selection_set.selections if selection_set else ():
        result.directives += len(sel.directives or ())
        if isinstance(sel, FragmentSpreadNode):
            _merge(result, roots.get(sel.name.value, DocumentShape()))
        elif isinstance(sel, InlineFragmentNode):
            _merge(result, _root(sel.selection_set, shapes, roots, is_query))
        else:
            field = cast(FieldNode, sel)
            inner = _shape(field.selection_set, shapes)
            name = field.name.value
            result.aliases += (1 if field.alias else 0) + inner.aliases
            result.directives += inner.directives
            if is_query and name in INTROSPECTION_FIELDS:
                result.introspection = True
                result.introspection_depth = max(result.introspection_depth, 1 + inner.depth)
            else:
                result.service_sdl = result.service_sdl or (is_query and name == SDL_FIELD)
                result.depth = max(result.depth, 1 + inner.depth)
    return result


def measure(document: DocumentNode, operation: OperationDefinitionNode) -> DocumentShape:
    """Flatten `operation` and measure it; raises FragmentCycle. Every fragment is measured
    once (as a nested selection and as a root one), so spreads never expand exponentially."""
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    is_query = operation.operation == OperationType.QUERY
    shapes: dict[str, Shape] = {}
    roots: dict[str, DocumentShape] = {}
    for name in fragment_order(definitions):
        fragment = definitions[name]
        own = len(fragment.directives or ())
        body = _shape(fragment.selection_set, shapes)
        shapes[name] = Shape(body.depth, body.aliases, body.directives + own)
        roots[name] = _root(fragment.selection_set, shapes, roots, is_query)
        roots[name].directives += own
    result = _root(operation.selection_set, shapes, roots, is_query)
    result.directives += len(operation.directives or ())
    return result


@dataclass(frozen=True)
class Violation:
    """One limit a document goes past: which, by how much, and the limit."""

    limit: str
    actual: int
    allowed: int


def violations(
    shape: DocumentShape,
    *,
    max_depth: int,
    max_aliases: int,
    max_directives: int,
    introspection_max_depth: int,
) -> list[Violation]:
    checks = (
        ("depth", shape.depth, max_depth),
        ("introspection depth", shape.introspection_depth, introspection_max_depth),
        ("aliases", shape.aliases, max_aliases),
        ("directives", shape.directives, max_directives),
    )
    return [
        Violation(name, actual, allowed) for name, actual, allowed in checks if actual > allowed
    ]


def has_nul(document: DocumentNode, variables: object) -> bool:
    """Whether a string literal or variable value holds U+0000: no field has a use for it,
    PostgreSQL refuses it and SQLite cuts strings at it (a LIKE pattern would match all)."""
    if has_nul_in_values(variables):
        return True
    finder = _NulFinder()
    visit(document, finder)
    return finder.found


def has_nul_in_values(variables: object) -> bool:
    """Whether a variable value (or key) holds U+0000."""
    stack: list[object] = [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_args: object) -> object:
        if "\x00" in node.value:
            self.found = True
            return BREAK
        return None

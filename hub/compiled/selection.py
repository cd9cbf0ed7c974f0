"""A field's sub-selection as a plain, hashable tree: fragments inlined, @skip/@include applied,
fields of the same response key merged (validation guarantees they are mergeable)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)
from graphql.utilities import value_from_ast_untyped


class Unsupported(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The selection uses something the compiled path does not handle: use the resolvers."""


@dataclass(frozen=True, slots=True)
class Selected:
    """One response key: the schema field it reads, its arguments and its own selection."""

    key: str
    name: str
    args: tuple[tuple[str, Any], ...]
    children: tuple[Selected, ...]
    # This request's first node for the key (error locations); not part of the plan's key.
    node: FieldNode | None = field(default=None, compare=False, hash=False)

    def arg(self, name: str, default: Any = None) -> Any:
        return next((v for k, v in self.args if k == name), default)


def find(selection: tuple[Selected, ...], keys: tuple[str, ...]) -> Selected | None:
    """The selected field at `keys` (response keys from the root field down)."""
    found = None
    for key in keys:
        found = next((s for s in selection if s.key == key), None)
        if found is None:
            return None
        selection = found.children
    return found


def _directive_allows(node: Any, variables: Mapping[str, Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            raise Unsupported(f"directive @{name}")
        condition = None
        for argument in directive.arguments:
            if argument.name.value == "if":
                condition = _value(argument.value, variables)
        if (name == "skip" and condition is True) or (name == "include" and condition is not True):
            return False
    return True


def _value(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    return value_from_ast_untyped(node, dict(variables))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


ChildType = Callable[[str, str], "str | None"]
"""(object type, field name) -> the object type the field returns, None for a leaf; raises
`Unsupported` for a field the compiled path does not cover."""

ABSTRACT_TYPES: dict[str, frozenset[str]] = {
    "Node": frozenset({"Resident", "Household", "Case", "ApprovalTask", "Entitlement", "Payment"})
}


def collect(
    selection_sets: Iterable[SelectionSetNode | None],
    type_name: str,
    child_type: ChildType,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> tuple[Selected, ...]:
    """The merged selection of `selection_sets` on an object of type `type_name`."""
    type_names = frozenset(
        {type_name, *(name for name, members in ABSTRACT_TYPES.items() if type_name in members)}
    )
    merged: dict[str, tuple[str, Any, list[SelectionSetNode | None], FieldNode]] = {}

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for node in selection_set.selections:
            if not _directive_allows(node, variables):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                args = _freeze(
                    {a.name.value: _value(a.value, variables) for a in node.arguments or ()}
                )
                found = merged.get(key)
                if found is None:
                    merged[key] = (node.name.value, args, [node.selection_set], node)
                else:
                    found[2].append(node.selection_set)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or condition.name.value in type_names:
                    visit(node.selection_set)
                elif condition is not None:
                    raise Unsupported("fragment on another type")
            elif isinstance(node, FragmentSpreadNode):
                fragment = fragments.get(node.name.value)
                if fragment is None:
                    raise Unsupported("unknown fragment")
                if fragment.type_condition.name.value not in type_names:
                    raise Unsupported("fragment on another type")
                visit(fragment.selection_set)

    for selection_set in selection_sets:
        visit(selection_set)
    selected = []
    for key, (name, args, sets, first) in merged.items():
        child = child_type(type_name, name)
        children = () if child is None else collect(sets, child, child_type, fragments, variables)
        selected.append(Selected(key, name, args, children, first))
    return tuple(selected)

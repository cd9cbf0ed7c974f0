"""Query cost in the style of Saleor's cost map: each field has a complexity, lists multiply the
cost of what they contain by `first`/`last`, by the length of `ids`, or by a typical size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    ValueNode,
    VariableNode,
    get_introspection_query,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
    value_from_ast_untyped,
)

from hub.hardening.cost_map import (
    CONNECTION_FIELDS,
    COST_MAP,
    DEFAULT_LIST_SIZE,
    INTROSPECTION_SIZES,
    MUTATION,
    FieldCost,
)
from hub.hardening.limits import INTROSPECTION_FIELDS, FragmentCycle, fragment_order

# A connection's items: what its `first` multiplies.
PAGE_ITEMS = frozenset({"edges", "nodes"})
Part = tuple[int, int]


@dataclass(frozen=True)
class Score:
    """Cost of an operation: data fields, and introspection (which has its own budget)."""

    total: int
    introspection: int


class CostCalculator:
    """Scores a validated operation with its variables; fragments are scored once each."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        cost_map: Mapping[str, Mapping[str, FieldCost]] = COST_MAP,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables or {})
        self.cost_map = cost_map
        self._fragment_cost: dict[tuple[str, bool], Part] = {}
        self._root_cost: dict[str, Score] = {}

    def _score_fragments(self, root: GraphQLNamedType) -> None:
        """Each fragment once (nested, introspecting or not, and at the root), after the
        fragments it spreads: neither recursion along chains nor exponential expansion."""
        try:
            order = fragment_order(dict(self.fragments))
        except FragmentCycle:
            return  # refused by the limits before any cost is computed
        for name in order:
            fragment = self.fragments[name]
            condition = self.schema.get_type(fragment.type_condition.name.value)
            for introspecting in (False, True):
                part: Part = (0, 0)
                if condition is not None:
                    part = self.selection(fragment.selection_set, condition, introspecting)
                self._fragment_cost[name, introspecting] = part
            self._root_cost[name] = self._root(fragment.selection_set, root)

    def score(self, operation: OperationDefinitionNode) -> Score:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return Score(0, 0)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)
        self._score_fragments(root)
        return self._root(operation.selection_set, root)

    def _root(self, selection_set: SelectionSetNode | None, root: GraphQLNamedType) -> Score:
        """Root fields: `Query.__schema` and `Query.__type` count toward introspection."""
        total = introspection = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                intro = sel.name.value in INTROSPECTION_FIELDS and root is self.schema.query_type
                found = (
                    Score(0, self.field(sel, root, True))
                    if intro
                    else Score(self.field(sel, root, False), 0)
                )
            elif isinstance(sel, FragmentSpreadNode):
                found = self._root_cost.get(sel.name.value, Score(0, 0))
            else:
                found = self._root(cast(InlineFragmentNode, sel).selection_set, root)
            total, introspection = total + found.total, introspection + found.introspection
        return Score(total, introspection)

    def selection(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, introspecting: bool
    ) -> Part:
        """(fixed, per item): a connection's `edges` cost once per item of its page, its own
        fields (`totalCount`, `pageInfo`) once."""
        fixed = per_item = 0
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                cost = self.field(sel, parent, introspecting)
                if parent.name.endswith("Connection") and sel.name.value in PAGE_ITEMS:
                    per_item += cost
                else:
                    fixed += cost
                continue
            if isinstance(sel, FragmentSpreadNode):
                part = self._fragment_cost.get((sel.name.value, introspecting), (0, 0))
            else:
                inline = cast(InlineFragmentNode, sel)
                condition = inline.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selection(inline.selection_set, inner or parent, introspecting)
            fixed, per_item = fixed + part[0], per_item + part[1]
        return fixed, per_item

    def field(self, node: FieldNode, parent: GraphQLNamedType, introspecting: bool) -> int:
        name = node.name.value
        definition = self._definition(parent, name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        is_list = is_list_type(get_nullable_type(definition.type))
        entry = self.cost_map.get(parent.name, {}).get(name)
        if entry is None:
            entry = self._default(parent, name, is_composite_type(named), is_list, introspecting)
        fixed, per_item = self.selection(node.selection_set, named, introspecting)
        times = self._multiplier(node, entry)
        if named.name.endswith("Connection"):
            return entry.complexity + fixed + times * per_item
        return times * (entry.complexity + fixed + per_item)

    def _default(
        self, parent: GraphQLNamedType, name: str, composite: bool, is_list: bool, intro: bool
    ) -> FieldCost:
        if parent.name.endswith("Connection") and name in CONNECTION_FIELDS:
            return CONNECTION_FIELDS[name]
        if parent is self.schema.mutation_type or parent is self.schema.subscription_type:
            return MUTATION
        size = None
        if is_list and intro:
            size = INTROSPECTION_SIZES.get((parent.name, name), DEFAULT_LIST_SIZE)
            if (parent.name, name) in (("__Schema", "types"), ("__Schema", "directives")):
                size = len(self.schema.type_map if name == "types" else self.schema.directives)
        elif is_list:
            size = DEFAULT_LIST_SIZE
        return FieldCost(1 if composite else 0, (), size)

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if parent is self.schema.query_type and name == "__schema":
            return SchemaMetaFieldDef
        if parent is self.schema.query_type and name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return fields.get(name) if fields else None

    def _multiplier(self, node: FieldNode, entry: FieldCost) -> int:
        arguments = {a.name.value: a.value for a in node.arguments or ()}
        for name in entry.multipliers:
            if name in arguments:
                value = self._value(arguments[name])
                if isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    return max(value, 0)
                if isinstance(value, list):
                    return len(value)
        return entry.size if entry.size is not None else 1

    def _value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        try:
            return value_from_ast_untyped(node, self.variables)
        except Exception:  # a malformed literal fails validation, not the cost rule
            return None


def score_operation(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> Score:
    return CostCalculator(schema, fragments, variables).score(operation)


def standard_introspection_cost(schema: GraphQLSchema) -> int:
    """What graphql-core's full introspection query costs on `schema` (GraphiQL's and
    codegen's queries are no larger)."""
    document = parse(
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
            one_of=True,
        )
    )
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return score_operation(schema, fragments, operation, None).introspection

"""Structural limits: depth, aliases and directives counted after flattening fragments;
fragment cycles found without recursion; introspection told apart by the resolved field."""

from __future__ import annotations

import pytest
from graphql import parse

from hub.hardening.limits import (
    FragmentCycle,
    fragment_order,
    has_nul,
    measure,
    operation_of,
    violations,
)


def shape(query: str, name: str | None = None):  # type: ignore[no-untyped-def]
    document = parse(query)
    operation = operation_of(document, name)
    assert operation is not None
    return measure(document, operation)


def test_depth_counts_fields_from_the_root() -> None:
    assert shape("{ me { subject } }").depth == 2
    assert shape("{ a { b { c } } d }").depth == 3
    assert shape("fragment F on X { b { c } } { a { ...F } }").depth == 3
    assert shape("{ a { ... on X { b { ... on Y { c } } } } }").depth == 3


def test_aliases_and_directives_multiply_with_every_spread() -> None:
    s = shape("fragment F on Q { x: a @include(if: true) } { ...F ...F y: b { ...F } }")
    assert s.aliases == 4  # x three times, y once
    assert s.directives == 3
    assert shape("query Q @a { b @c @d }").directives == 3


def test_exponential_fragments_are_counted_without_expanding() -> None:
    chain = " ".join(f"fragment F{i} on Q {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
    s = shape(f"{chain} fragment F60 on Q {{ a: x }} {{ ...F0 }}")
    assert s.aliases == 2**60


def test_introspection_is_the_resolved_root_field_only() -> None:
    s = shape("{ __schema { types { name } } me { subject } }")
    assert s.introspection and s.introspection_depth == 3 and s.depth == 2
    aliased = shape("{ x: __type(name: \"A\") { name } }")
    assert aliased.introspection and aliased.depth == 0
    lookalike = shape("{ __schema: me { subject } }")  # an alias cannot make a field introspection
    assert not lookalike.introspection and lookalike.depth == 2
    nested = shape("{ me { __schema { types { name } } } }")
    assert not nested.introspection and nested.depth == 4
    mutation = shape("mutation { __schema { types { name } } }")
    assert not mutation.introspection
    assert shape("fragment F on Query { __type(name: \"A\") { name } } { ...F }").introspection
    assert shape("{ _service { sdl } }").service_sdl


def test_fragment_order_and_cycles() -> None:
    doc = parse("fragment A on Q { ...B } fragment B on Q { ...C } fragment C on Q { x }")
    fragments = {d.name.value: d for d in doc.definitions}  # type: ignore[attr-defined]
    assert fragment_order(fragments) == ["C", "B", "A"]
    for cyclic in (
        "fragment A on Q { ...A }",
        "fragment A on Q { b { ...B } } fragment B on Q { ... on Q { ...A } }",
    ):
        doc = parse(cyclic)
        with pytest.raises(FragmentCycle):
            fragment_order({d.name.value: d for d in doc.definitions})  # type: ignore[attr-defined]
    long = " ".join(f"fragment F{i} on Q {{ ...F{i + 1} }}" for i in range(5000))
    doc = parse(long + " fragment F5000 on Q { x }")
    assert len(fragment_order({d.name.value: d for d in doc.definitions})) == 5001  # type: ignore[attr-defined]


def test_violations_name_each_limit() -> None:
    s = shape("{ a { b { c { d } } } x: e y: f }")
    found = violations(s, max_depth=3, max_aliases=1, max_directives=5, introspection_max_depth=20)
    assert [(v.limit, v.actual, v.allowed) for v in found] == [("depth", 4, 3), ("aliases", 2, 1)]


def test_operation_of() -> None:
    doc = parse("query A { a } query B { b }")
    assert operation_of(doc, None) is None
    assert operation_of(doc, "B").name.value == "B"  # type: ignore[union-attr]
    assert operation_of(doc, "C") is None


def test_nul_characters_are_found_in_literals_and_variables() -> None:
    assert has_nul(parse('{ a(x: "\\u0000") }'), None)
    assert has_nul(parse("{ a }"), {"f": {"name": ["ok", "x\x00"]}})
    assert not has_nul(parse('{ a(x: "张伟") }'), {"v": "正常"})

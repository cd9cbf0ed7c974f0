"""Apollo Federation v2: `_entities` resolves each representation through the same loaders
(jurisdiction) and field gate as `resident(id)`, `household(id)`, `case(id)`, `division(code)`.

Representations are client input: anything malformed is BAD_USER_INPUT at its index; a row
outside the caller's jurisdiction is `null` + NOT_FOUND, exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Final

from strawberry.types import Info

from hub.domain.divisions import InvalidDivisionCode, level_of
from hub.errors import BadUserInput, NotFound
from hub.schema.ids import int_pk_of

# Entity type → its key field (DESIGN.md §4).
ENTITY_KEYS = {"Resident": "id", "Household": "id", "Case": "id", "Division": "code"}
FEDERATION_VERSION: Final = "2.5"
_LOADERS = {"Resident": "resident", "Household": "household", "Case": "case"}


async def reference(info: Info, type_name: str, global_id: str) -> Any:
    """The object behind `{"__typename": type_name, "id": global_id}`, as its root field."""
    from hub.schema.cases import Case
    from hub.schema.people import Household, Resident

    ctx = info.context
    ctx.require_principal()  # `_entities` skips root permission checks: check here
    pk = int_pk_of(global_id, type_name, "representations.id")
    row = await getattr(ctx.loaders, _LOADERS[type_name]).load(pk)
    if row is None:
        raise NotFound(f"{type_name.lower()} not found")
    kind: Any = {"Resident": Resident, "Household": Household, "Case": Case}[type_name]
    return kind.of(info, row)


def division_reference(info: Info, code: str) -> Any:
    """`{"__typename": "Division", "code": ...}`: public reference data, as `division(code)`."""
    from hub.schema.divisions import division_of

    try:
        level_of(code)
    except InvalidDivisionCode:
        raise BadUserInput(
            "`representations.code` must be a 12-digit division code", argument="code"
        ) from None
    found = division_of(info, code)
    if found is None:
        raise NotFound("division not found")
    return found


def resolve_entities(
    info: Info, types: dict[str, Any], representations: list[Any]
) -> list[Awaitable[Any] | Any]:
    """One result per representation, in order; each failure stays at its own index."""
    results: list[Awaitable[Any] | Any] = []
    for index, representation in enumerate(representations):
        where = f"representations[{index}]"
        if not isinstance(representation, dict):
            results.append(BadUserInput(f"`{where}` must be an object", argument=where))
            continue
        type_name = representation.get("__typename")
        key = ENTITY_KEYS.get(type_name) if isinstance(type_name, str) else None
        if key is None or type_name not in types:
            results.append(BadUserInput(f"`{where}`: not an entity of this hub", argument=where))
            continue
        value = representation.get(key)
        if not isinstance(value, str) or not value:
            results.append(BadUserInput(f"`{where}.{key}` must be a string", argument=where))
            continue
        try:
            # Only the key goes on: other fields of a representation never reach a resolver.
            results.append(types[type_name].resolve_reference(info=info, **{key: value}))
        except Exception as exc:  # returned, not raised: it belongs to this index only
            results.append(exc)
    return results

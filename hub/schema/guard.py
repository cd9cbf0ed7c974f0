"""Declares policy-guarded fields: each resolves through the one field gate, synchronously.

A sensitive field is declared as `guarded("Resident", "idNumber", "id_number", str)`; the
schema check at start-up refuses a policy that names a field not declared this way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

GUARDED_FIELDS: set[tuple[str, str]] = set()


def guarded(
    type_name: str,
    field_name: str,
    attr: str,
    python_type: Any,
    *,
    mask_context: Callable[[Any, Info], dict[str, Any]] | None = None,
    description: str | None = None,
) -> Any:
    """A nullable field whose value the caller gets FULL, MASKED or not at all."""
    GUARDED_FIELDS.add((type_name, field_name))

    def resolve(root: Any, info: Info) -> Any:
        value = getattr(root.row, attr)
        extra = mask_context(root, info) if mask_context is not None else {}
        return info.context.gate.apply(root.guard, field_name, value, **extra)

    resolve.__annotations__["return"] = python_type | None
    resolve.__annotations__["root"] = strawberry.Parent[Any]  # type: ignore[misc]
    resolve.__annotations__["info"] = Info
    return strawberry.field(resolver=resolve, name=field_name, description=description)

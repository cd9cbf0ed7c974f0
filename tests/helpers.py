"""Small helpers shared by the HTTP tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]

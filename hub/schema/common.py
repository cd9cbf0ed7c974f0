"""Relay building blocks: the Node interface, connections and keyset page arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import strawberry
from strawberry.types import Info

from hub.errors import BadUserInput
from hub.schema.ids import decode_cursor

T = TypeVar("T")

MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.interface(description="An object with an opaque global ID, fetchable by `node`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Rows matching the filter inside the caller's jurisdiction.")
    async def total_count(self, info: Info) -> int:
        return await self.count()


def page_args(first: int | None, after: str | None) -> tuple[int, int | None]:
    """Validate `first` (1..100, default 20) and decode `after`."""
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadUserInput(f"`first` must be between 0 and {MAX_PAGE}", argument="first")
    return size, (decode_cursor(after) if after else None)

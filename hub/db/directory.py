"""In-process directory of divisions: reference data read by every request, loaded once.

Divisions change only when the hub is seeded or its reference data is updated; a code the
directory does not know triggers one reload, so a new village appears without a restart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.models import Division


@dataclass(frozen=True, slots=True)
class DivisionInfo:
    code: str
    name: str
    full_name: str
    level: int
    kind: str
    parent_code: str | None
    population: int | None


class DivisionDirectory:
    def __init__(self) -> None:
        self._by_code: dict[str, DivisionInfo] = {}
        self._children: dict[str | None, list[str]] = {}
        self._loaded = False
        self._lock = asyncio.Lock()

    async def _load(self, session: AsyncSession) -> None:
        rows = (await session.execute(select(Division).order_by(Division.code))).scalars()
        by_code: dict[str, DivisionInfo] = {}
        children: dict[str | None, list[str]] = {}
        for d in rows:
            by_code[d.code] = DivisionInfo(
                d.code, d.name, d.full_name, d.level, d.kind, d.parent_code, d.population
            )
            children.setdefault(d.parent_code, []).append(d.code)
        self._by_code, self._children, self._loaded = by_code, children, True

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def ensure(self, session: AsyncSession, code: str | None = None) -> None:
        if self._loaded and (code is None or code in self._by_code):
            return
        async with self._lock:
            if not self._loaded or (code is not None and code not in self._by_code):
                await self._load(session)

    def get(self, code: str) -> DivisionInfo | None:
        return self._by_code.get(code)

    def children_of(self, code: str | None) -> list[DivisionInfo]:
        return [self._by_code[c] for c in self._children.get(code, [])]

    def all(self) -> list[DivisionInfo]:
        return list(self._by_code.values())

    def township_full_name(self, code: str) -> str | None:
        township = self._by_code.get(code[:9] + "000")
        return township.full_name if township else None

    def invalidate(self) -> None:
        self._loaded = False

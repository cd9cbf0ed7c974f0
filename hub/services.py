"""The hub's long-lived services, built once per process and handed to every request."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hub.config import Settings
from hub.db.directory import DivisionDirectory
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore
    from hub.auth.verify import TokenVerifier
    from hub.policy.evaluator import PolicyEvaluator


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    keys: KeyStore
    verifier: TokenVerifier
    policy: PolicyEvaluator
    directory: DivisionDirectory = field(default_factory=DivisionDirectory)
    extras: dict[str, Any] = field(default_factory=dict)
    # Root fields served per execution strategy: ("compiled" | "resolved", field name) -> count.
    read_paths: Counter[tuple[str, str]] = field(default_factory=Counter)
    # The compiled read path (hub.compiled), when on: PostgreSQL and HUB_COMPILED_READS=on.
    compiled_reads: Any = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

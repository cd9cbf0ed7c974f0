"""Idempotency keys: the first result of a command is kept per (subject, operation, key) and a
retry with the same key gets it back instead of acting twice.

The same key with a different input is BAD_USER_INPUT: the client reused a key by mistake,
and neither result would be the one it expects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.db.models import IdempotencyRecord
from hub.errors import BadUserInput

MAX_KEY_LENGTH = 128


def check_key(key: str | None) -> str | None:
    """None (no protection asked for) or a key of 1..128 printable characters."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or key.strip() != key:
        raise BadUserInput(
            f"`idempotencyKey` must be 1..{MAX_KEY_LENGTH} printable characters without "
            "leading or trailing spaces",
            argument="idempotencyKey",
        )
    return key


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | datetime):
        return str(value)
    return value


def fingerprint(inputs: Mapping[str, Any]) -> str:
    """A stable hash of the command's input (without the key itself)."""
    body = {k: _plain(v) for k, v in inputs.items() if k != "idempotency_key"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def replay(
    session: AsyncSession, principal: Principal, operation: str, key: str, print_: str
) -> dict[str, Any] | None:
    """The first result stored under this key, or None when the key is new."""
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.subject == principal.subject,
        IdempotencyRecord.operation == operation,
        IdempotencyRecord.key == key,
    )
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        return None
    if found.result.get("fingerprint") != print_:
        raise BadUserInput(
            "`idempotencyKey` was already used for a different input; use a new key",
            argument="idempotencyKey",
        )
    return dict(found.result)


def remember(
    session: AsyncSession,
    principal: Principal,
    operation: str,
    key: str,
    print_: str,
    result: Mapping[str, Any],
    now: datetime,
) -> None:
    """Keep the result in the command's transaction: a concurrent twin fails on the unique
    (subject, operation, key) constraint, rolls back and replays this record."""
    session.add(
        IdempotencyRecord(
            subject=principal.subject,
            operation=operation,
            key=key,
            result={**result, "fingerprint": print_},
            created_at=now,
        )
    )


async def prune_records(session: AsyncSession, before: datetime, *, dry_run: bool = False) -> int:
    """Forget the results kept before `before` (or only count them): a retry with one of those
    keys runs its command again (decision 0011). Returns how many there were."""
    stale = IdempotencyRecord.created_at < before
    if dry_run:
        count = select(func.count()).select_from(IdempotencyRecord).where(stale)
        return int((await session.execute(count)).scalar_one())
    result = await session.execute(delete(IdempotencyRecord).where(stale))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""Trusted documents: operations registered per client, addressed by SHA-256.

With HUB_TRUSTED_DOCUMENTS=enforce a client runs only documents registered for it (or for
"*", every caller). A request names one by `{"documentId": "sha256:<hex>"}` or sends its text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from graphql import GraphQLError, OperationDefinitionNode, parse
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.db.models import TrustedDocument
from hub.domain.clock import Clock

EVERY_CLIENT = "*"
REASON = "DOCUMENT_NOT_TRUSTED"
_DOCUMENT_ID = re.compile(r"sha256:([0-9a-f]{64})")


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of_document_id(value: object) -> str | None:
    """`sha256:<64 lower-case hex>` → the hex; anything else → None."""
    match = _DOCUMENT_ID.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match else None


async def body_of(session: AsyncSession, sha256: str) -> str | None:
    """The text registered under this hash (for any client: the text is not the secret, the
    registration is, and enforcement checks it per client)."""
    stmt = select(TrustedDocument.body).where(TrustedDocument.sha256 == sha256).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def is_trusted(session: AsyncSession, client_id: str | None, text: str) -> bool:
    clients = [EVERY_CLIENT] if client_id is None else [client_id, EVERY_CLIENT]
    stmt = (
        select(TrustedDocument.id)
        .where(TrustedDocument.sha256 == sha256_of(text), TrustedDocument.client_id.in_(clients))
        .limit(1)
    )
    return (await session.execute(stmt)).first() is not None


@dataclass(frozen=True)
class Registered:
    client_id: str
    sha256: str
    source: str | None
    operations: str | None
    created_at: str
    added: bool = False

    @property
    def document_id(self) -> str:
        return f"sha256:{self.sha256}"


def operation_names(text: str) -> list[str]:
    """Names of the operations in a document; raises GraphQLError if it does not parse."""
    document = parse(text)
    found = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not found:
        raise GraphQLError("the document holds no operation")
    return [d.name.value if d.name else "(anonymous)" for d in found]


def _registered(row: TrustedDocument, added: bool = False) -> Registered:
    return Registered(
        client_id=row.client_id,
        sha256=row.sha256,
        source=row.source,
        operations=row.operations,
        created_at=row.created_at.isoformat(),
        added=added,
    )


async def add(
    session: AsyncSession, client_id: str, text: str, source: str | None, clock: Clock
) -> Registered:
    """Register `text` for `client_id` (idempotent: the same text twice is one document)."""
    names = ", ".join(operation_names(text))[:500]
    digest = sha256_of(text)
    stmt = select(TrustedDocument).where(
        TrustedDocument.client_id == client_id, TrustedDocument.sha256 == digest
    )
    existing = (await session.execute(stmt)).scalar_one_or_none()
    if existing is not None:
        return _registered(existing)
    row = TrustedDocument(
        client_id=client_id,
        sha256=digest,
        body=text,
        source=(source or "")[:255] or None,
        operations=names,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return _registered(row, added=True)


async def listing(session: AsyncSession, client_id: str | None = None) -> Sequence[Registered]:
    stmt = select(TrustedDocument).order_by(TrustedDocument.client_id, TrustedDocument.id)
    if client_id is not None:
        stmt = stmt.where(TrustedDocument.client_id == client_id)
    return [_registered(r) for r in (await session.execute(stmt)).scalars()]


async def remove(session: AsyncSession, client_id: str, sha256: str) -> int:
    stmt = delete(TrustedDocument).where(
        TrustedDocument.client_id == client_id, TrustedDocument.sha256 == sha256
    )
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]

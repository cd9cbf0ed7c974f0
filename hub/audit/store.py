"""Reading and locking the chain: the single-writer lock, the head, keyset batches of events.

One writer at a time extends the chain. PostgreSQL: a transaction-scoped advisory lock, held by
every process until commit. SQLite: the database write lock (RESERVED), taken by a write that
matches no row, so a second session waits (busy_timeout) before it can even read the head.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit.canonical import GENESIS_HASH
from hub.db.models.audit import AuditCheckpoint, AuditEvent

# Any fixed 64-bit key works; this one reads "mzhubAud" in ASCII.
CHAIN_LOCK_KEY = 0x6D7A687562417564
DEFAULT_BATCH = 1000


async def lock_chain(session: AsyncSession) -> None:
    """Become the only chain writer until the caller's transaction ends (re-entrant)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        # Matches no row, yet SQLite takes RESERVED for it and keeps it until commit/rollback.
        await session.execute(text("UPDATE audit_checkpoints SET seq = seq WHERE 0"))
    else:  # pragma: no cover - the hub supports these two engines only
        raise RuntimeError(f"no audit chain lock for the {dialect} engine")


async def chain_head(session: AsyncSession) -> tuple[int, str]:
    """(seq, hash) of the newest event, or (0, genesis) for an empty chain."""
    row = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        )
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


async def last_checkpoint(session: AsyncSession) -> AuditCheckpoint | None:
    stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


async def max_checkpoint_seq(session: AsyncSession) -> int:
    cp = await last_checkpoint(session)
    return 0 if cp is None else cp.seq


async def event_batches(
    sessions: async_sessionmaker[AsyncSession],
    after: int,
    upto: int,
    batch_size: int = DEFAULT_BATCH,
) -> AsyncIterator[Sequence[AuditEvent]]:
    """Events with after < seq <= upto, oldest first, `batch_size` at a time (keyset, each batch
    in its own short transaction, so memory and lock time stay constant)."""
    cursor = after
    while cursor < upto:
        async with sessions() as session:
            stmt = (
                select(AuditEvent)
                .where(AuditEvent.seq > cursor, AuditEvent.seq <= upto)
                .order_by(AuditEvent.seq)
                .limit(batch_size)
            )
            batch = (await session.execute(stmt)).scalars().all()
        if not batch:
            return
        yield batch
        cursor = batch[-1].seq


async def checkpoints_between(
    session: AsyncSession, lower: int, upper: int | None
) -> Sequence[AuditCheckpoint]:
    """Checkpoints with lower <= seq (<= upper when given), oldest first."""
    stmt = select(AuditCheckpoint).where(AuditCheckpoint.seq >= lower)
    if upper is not None:
        stmt = stmt.where(AuditCheckpoint.seq <= upper)
    return (await session.execute(stmt.order_by(AuditCheckpoint.seq))).scalars().all()


def touches_division(prefix: str) -> ColumnElement[bool]:
    """Events an auditor of `prefix` may see: by an actor inside it, or touching a resource
    inside it (`resource_divisions` holds " code code ...", so a prefix is a LIKE)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        AuditEvent.actor_division.like(f"{escaped}%", escape="\\"),
        AuditEvent.resource_divisions.like(f"% {escaped}%", escape="\\"),
    )

"""Signed checkpoints: the chain head (seq, hash) signed with the hub's key as a compact JWS, so
an auditor holding the JWKS can prove that nothing up to that seq was altered or removed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.canonical import format_instant
from hub.audit.store import chain_head, last_checkpoint, lock_chain
from hub.db.models.audit import AuditCheckpoint
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore

# Distinct from access tokens (`at+jwt`): a checkpoint can never pass as a token, nor a token
# as a checkpoint.
CHECKPOINT_TYP = "audit-checkpoint+jwt"
DEFAULT_ISSUER = "mzhub"
ALGORITHM = "ES256"  # pinned: a header's `alg` never chooses how we verify


class CheckpointInvalid(Exception):
    """A checkpoint's JWS does not verify against the JWKS."""


@dataclass(frozen=True)
class CheckpointPolicy:
    """Make a checkpoint once this many events, or this many seconds, passed since the last."""

    every_events: int = 1000
    every_seconds: float = 300.0


async def make_checkpoint(
    session: AsyncSession, keys: KeyStore, clock: Clock, *, issuer: str = DEFAULT_ISSUER
) -> AuditCheckpoint | None:
    """Sign the current head in the caller's transaction; None for an empty chain. Idempotent:
    a head that already has its checkpoint returns that one."""
    await lock_chain(session)
    seq, head_hash = await chain_head(session)
    if seq == 0:
        return None
    latest = await last_checkpoint(session)
    if latest is not None and latest.seq == seq:
        return latest
    checkpoint = signed_checkpoint(keys, clock, seq, head_hash, issuer=issuer)
    session.add(checkpoint)
    await session.flush()
    return checkpoint


def signed_checkpoint(
    keys: KeyStore, clock: Clock, seq: int, head_hash: str, *, issuer: str = DEFAULT_ISSUER
) -> AuditCheckpoint:
    """The checkpoint row of the head (seq, hash), signed now; not yet written."""
    at = clock.now()
    claims = {"seq": seq, "hash": head_hash, "at": format_instant(at), "iss": issuer}
    jws = keys.sign(claims, {"typ": CHECKPOINT_TYP})
    return AuditCheckpoint(seq=seq, hash=head_hash, at=at, jws=jws)


class CheckpointMark(NamedTuple):
    """Where and when the newest checkpoint is, as `checkpoint_due` needs it (a row of the
    checkpoint table costs an ORM instance; the group commit asks this for every batch)."""

    seq: int
    at: datetime


def checkpoint_due(
    latest: AuditCheckpoint | CheckpointMark | None,
    head_seq: int,
    clock: Clock,
    policy: CheckpointPolicy,
) -> bool:
    return (
        latest is None
        or head_seq - latest.seq >= policy.every_events
        or clock.now() - latest.at >= timedelta(seconds=policy.every_seconds)
    )


async def latest_checkpoint(
    session: AsyncSession,
    keys: KeyStore,
    clock: Clock,
    make_if_stale: bool = True,
    *,
    issuer: str = DEFAULT_ISSUER,
) -> AuditCheckpoint | None:
    """The `auditCheckpoint` answer: the newest checkpoint, first signing the head when events
    were recorded after it (this writes: call it inside a transaction that will commit)."""
    latest = await last_checkpoint(session)
    if not make_if_stale:
        return latest
    head_seq, _ = await chain_head(session)
    if head_seq > (latest.seq if latest is not None else 0):
        return await make_checkpoint(session, keys, clock, issuer=issuer)
    return latest


def checkpoint_claims(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The signed claims of a checkpoint JWS, after checking ES256, `typ` and the `kid` key."""
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
        if header.get("alg") != ALGORITHM or header.get("typ") != CHECKPOINT_TYP:
            raise CheckpointInvalid(
                f"not an {ALGORITHM} checkpoint (alg={header.get('alg')!r}, "
                f"typ={header.get('typ')!r})"
            )
        jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
        if jwk is None:
            raise CheckpointInvalid(f"signed by unknown key kid={header.get('kid')!r}")
        key = ECKey.import_key(dict(jwk))
        claims = json.loads(jws.deserialize_compact(token, key, algorithms=[ALGORITHM]).payload)
    except CheckpointInvalid:
        raise
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise CheckpointInvalid(f"signature does not verify ({exc.__class__.__name__})") from exc
    if not isinstance(claims, dict):
        raise CheckpointInvalid("payload is not a JSON object")
    return claims


def held_checkpoint(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint document from a JWS alone (e.g. the auditor's copy of `auditCheckpoint`)."""
    claims = checkpoint_claims(token, jwks)
    if not isinstance(claims.get("seq"), int):
        raise CheckpointInvalid("claims lack an integer seq")
    return {"seq": claims["seq"], "hash": claims.get("hash"), "at": claims.get("at"), "jws": token}

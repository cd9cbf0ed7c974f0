"""Verification of the chain and its checkpoints, streaming in constant memory, from the
database or offline from an export plus a JWKS."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit.canonical import GENESIS_HASH, chain_hash, checkpoint_document, event_document
from hub.audit.checkpoints import CheckpointInvalid, checkpoint_claims, held_checkpoint
from hub.audit.recorder import resource_divisions
from hub.audit.store import chain_head, checkpoints_between, event_batches, max_checkpoint_seq

if TYPE_CHECKING:
    from hub.auth.keys import KeyStore


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None
    reason: str | None
    count: int  # events verified
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0  # checkpoint signatures verified


class ChainVerifier:
    """Feed events and checkpoints in seq order (a checkpoint right after its event); the first
    failure sticks. A partial chain (an export after some seq) starts at its first prevHash."""

    def __init__(self, jwks: Mapping[str, Any], *, from_genesis: bool) -> None:
        self.jwks = jwks
        self.from_genesis = from_genesis
        self.count = 0
        self.checkpoints = 0
        self.first_seq: int | None = None
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.anchor: dict[str, Any] | None = None  # checkpoint seen before the first event
        self.failure: tuple[int | None, str] | None = None

    def fail(self, seq: int | None, reason: str) -> None:
        if self.failure is None:
            self.failure = (seq, reason)

    def held(self, tokens: Sequence[str]) -> list[dict[str, Any]]:
        """Checkpoint JWSs the auditor kept (e.g. from `auditCheckpoint`), as documents sorted
        by seq: one beyond the last event proves a removed tail even if the log lost its own."""
        documents = []
        for token in tokens:
            try:
                documents.append(held_checkpoint(token, self.jwks))
            except CheckpointInvalid as exc:
                self.fail(None, f"held checkpoint: {exc}")
        return sorted(documents, key=_seq)

    def event(self, doc: Mapping[str, Any]) -> None:
        seq, prev, stated = doc.get("seq"), doc.get("prevHash"), doc.get("hash")
        if not isinstance(seq, int) or not isinstance(prev, str) or not isinstance(stated, str):
            return self.fail(seq if isinstance(seq, int) else None, "malformed event")
        if self.first_seq is None:
            self.first_seq = seq
            if self.from_genesis or seq == 1:
                self.last_seq = 0
            else:  # an export's first event: its prevHash is the anchor we start from
                self.last_seq, self.last_hash = seq - 1, prev
            if self.anchor is not None and self.anchor["seq"] == seq - 1:
                if self.anchor["hash"] != prev:
                    return self.fail(seq, "prevHash differs from the signed checkpoint before it")
        expected = self.last_seq + 1
        if seq != expected:
            detail = "is missing" if seq > expected else "expected"
            detail += f", found {seq} (deleted or reordered)"
            return self.fail(expected, f"seq {expected} {detail}")
        if prev != self.last_hash:
            return self.fail(seq, f"prevHash does not match the hash of seq {seq - 1}")
        if chain_hash(prev, doc) != stated:
            return self.fail(seq, "hash does not match the event's content (edited)")
        self.last_seq, self.last_hash, self.count = seq, stated, self.count + 1

    def checkpoint(self, cp: Mapping[str, Any]) -> None:
        seq = cp.get("seq")
        if not isinstance(seq, int):
            return self.fail(None, "malformed checkpoint")
        try:
            claims = checkpoint_claims(str(cp.get("jws", "")), self.jwks)
        except CheckpointInvalid as exc:
            return self.fail(seq, f"checkpoint {seq}: {exc}")
        signed = (claims.get("seq"), claims.get("hash"), claims.get("at"))
        if signed != (seq, cp.get("hash"), cp.get("at")):
            return self.fail(seq, f"checkpoint {seq} differs from its signed claims")
        self.checkpoints += 1
        if self.first_seq is None:
            self.anchor = dict(cp)  # may anchor the first event of a partial export
        elif seq > self.last_seq:
            self.fail(
                self.last_seq + 1,
                f"checkpoint at seq {seq} but the chain ends at seq "
                f"{self.last_seq}: events were removed",
            )
        elif seq < self.last_seq:
            self.fail(seq, f"checkpoint {seq} out of order")
        elif cp.get("hash") != self.last_hash:
            self.fail(seq, f"signed checkpoint hash differs from the chain at seq {seq}")

    def result(self) -> VerifyResult:
        if self.first_seq is None and self.anchor is not None and self.from_genesis:
            self.fail(1, f"checkpoint at seq {self.anchor['seq']} but the chain is empty")
        bad, reason = self.failure if self.failure else (None, None)
        return VerifyResult(
            ok=self.failure is None,
            first_bad_seq=bad,
            reason=reason,
            count=self.count,
            first_seq=self.first_seq,
            last_seq=self.last_seq if self.count else None,
            checkpoints=self.checkpoints,
        )


def _items(
    rows: Iterable[Mapping[str, Any]], checkpoints: Iterable[Mapping[str, Any]]
) -> Iterator[tuple[int, int, Mapping[str, Any]]]:
    # Events before a checkpoint of the same seq; both inputs ascending; lazy, constant memory.
    events = ((_seq(r), 0, r) for r in rows)
    signed = ((_seq(c), 1, c) for c in checkpoints)
    return heapq.merge(events, signed, key=lambda item: (item[0], item[1]))


def _seq(doc: Mapping[str, Any]) -> int:
    seq = doc.get("seq")
    return seq if isinstance(seq, int) else -1


def verify_rows(
    rows: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    jwks: Mapping[str, Any],
    *,
    from_genesis: bool = False,
) -> VerifyResult:
    """Verify event documents (export lines / `event_document`) and checkpoint documents, both
    in ascending seq; stops at the first failure."""
    verifier = ChainVerifier(jwks, from_genesis=from_genesis)
    feed(verifier, rows, checkpoints)
    return verifier.result()


def published_jwks(keys: KeyStore) -> dict[str, Any]:
    """Live and retired public keys: old checkpoints stay verifiable after rotation."""
    return {"keys": [*keys.jwks()["keys"], *keys.retired_jwks()["keys"]]}


async def verify_database(
    sessions: async_sessionmaker[AsyncSession],
    keys: KeyStore | Mapping[str, Any],
    *,
    held: Sequence[str] = (),
    batch_size: int = 1000,
) -> VerifyResult:
    """Verify the whole chain from seq 1, every stored checkpoint and the `held` ones."""
    jwks = keys if isinstance(keys, Mapping) else published_jwks(keys)
    verifier = ChainVerifier(jwks, from_genesis=True)
    extra = verifier.held(held)
    async with sessions() as session:
        last_cp = await max_checkpoint_seq(session)  # read first: a later one may follow
        head, _ = await chain_head(session)
    done = 0
    async for batch in event_batches(sessions, 0, head, batch_size):
        async with sessions() as session:
            cps = await checkpoints_between(session, done + 1, batch[-1].seq)
        # The searchable division column is outside the hash, so check it against resources.
        edited = {r.seq for r in batch if r.resource_divisions != resource_divisions(r.resources)}
        mine = [c for c in extra if done < c["seq"] <= batch[-1].seq]
        signed = heapq.merge(map(checkpoint_document, cps), mine, key=_seq)
        feed(verifier, [event_document(r) for r in batch], signed, edited)
        if verifier.failure:
            return verifier.result()
        done = batch[-1].seq
    async with sessions() as session:
        trailing = await checkpoints_between(session, done + 1, max(last_cp, done))
    rest = [c for c in extra if c["seq"] > done]
    feed(verifier, [], heapq.merge(map(checkpoint_document, trailing), rest, key=_seq))
    return verifier.result()


def feed(
    verifier: ChainVerifier,
    rows: Iterable[Mapping[str, Any]],
    checkpoints: Iterable[Mapping[str, Any]],
    edited: set[int] | frozenset[int] = frozenset(),
) -> None:
    """Feed both streams in seq order until the first failure; `edited` marks events whose
    unhashed columns were found altered."""
    for seq, kind, doc in _items(rows, checkpoints):
        if verifier.failure:
            return
        if kind:
            verifier.checkpoint(doc)
            continue
        verifier.event(doc)
        if seq in edited:
            verifier.fail(seq, "resource_divisions does not match resources (edited)")

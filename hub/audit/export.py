"""JSON Lines export of the audit log, and reading one back for offline verification.

One event per line, keys as the GraphQL `AuditEvent` (plus `variables`); after the event a
checkpoint signs, a line `{"checkpoint": {"seq", "hash", "at", "jws"}}`. Streamed in keyset
batches, so memory stays constant however long the log.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.audit.canonical import checkpoint_document, event_document
from hub.audit.store import (
    DEFAULT_BATCH,
    chain_head,
    checkpoints_between,
    event_batches,
    max_checkpoint_seq,
)
from hub.audit.verify import ChainVerifier, VerifyResult, feed

CHECKPOINT_KEY = "checkpoint"
# json.dumps escapes C0 controls; also escape DEL, C1 controls (0x9b is a one-byte ANSI CSI)
# and the Unicode line separators, so a line is one line to every reader and terminal.
_LINE_SAFE = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}


class ExportFormatError(ValueError):
    """A line of an export is not an event or checkpoint document."""


def json_line(document: Mapping[str, Any]) -> str:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_LINE_SAFE)


async def export_lines(
    sessions: async_sessionmaker[AsyncSession],
    after: int = 0,
    *,
    checkpoints: bool = True,
    batch_size: int = DEFAULT_BATCH,
) -> AsyncIterator[str]:
    """Lines (without newline) for events with seq > `after`, up to the head at the start."""
    async with sessions() as session:
        # Checkpoint bound first: every checkpoint it covers has its event at or below the head
        # read next, so only a removed tail can leave a checkpoint beyond the last event.
        last_cp = await max_checkpoint_seq(session)
        head, _ = await chain_head(session)
    lower = after if after > 0 else 1  # a checkpoint at `after` anchors a partial export
    async for batch in event_batches(sessions, after, head, batch_size):
        signed: list[Any] = []
        if checkpoints:
            async with sessions() as session:
                signed = list(await checkpoints_between(session, lower, batch[-1].seq))
        pending = iter(signed)
        cp = next(pending, None)
        for row in batch:
            while cp is not None and cp.seq < row.seq:
                yield json_line({CHECKPOINT_KEY: checkpoint_document(cp)})
                cp = next(pending, None)
            yield json_line(event_document(row))
            while cp is not None and cp.seq == row.seq:
                yield json_line({CHECKPOINT_KEY: checkpoint_document(cp)})
                cp = next(pending, None)
        lower = batch[-1].seq + 1
    if checkpoints and last_cp >= lower:
        async with sessions() as session:
            for cp in await checkpoints_between(session, max(lower, after + 1), last_cp):
                yield json_line({CHECKPOINT_KEY: checkpoint_document(cp)})


def read_export(lines: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """("event" | "checkpoint", document) per non-blank line; ExportFormatError names the line."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExportFormatError(f"line {number}: not JSON ({exc.msg})") from exc
        if not isinstance(document, dict):
            raise ExportFormatError(f"line {number}: not a JSON object")
        if CHECKPOINT_KEY in document:
            if not isinstance(document[CHECKPOINT_KEY], dict):
                raise ExportFormatError(f"line {number}: checkpoint is not an object")
            yield CHECKPOINT_KEY, document[CHECKPOINT_KEY]
        else:
            yield "event", document


def _only(path: Path, kind: str) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="\n") as fh:
        for found, document in read_export(fh):
            if found == kind:
                yield document


def verify_export(path: Path, jwks: Mapping[str, Any], held: Sequence[str] = ()) -> VerifyResult:
    """Verify an export file offline against a JWKS (and checkpoint JWSs the auditor `held`).
    The file is read twice, lazily, events and checkpoints merged by seq: constant memory."""
    verifier = ChainVerifier(jwks, from_genesis=False)
    extra = verifier.held(held)
    try:
        signed = heapq.merge(_only(path, CHECKPOINT_KEY), extra, key=lambda c: c.get("seq", -1))
        feed(verifier, _only(path, "event"), signed)
    except (ExportFormatError, UnicodeDecodeError) as exc:
        verifier.fail(None, str(exc))
    return verifier.result()

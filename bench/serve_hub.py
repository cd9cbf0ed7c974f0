"""Serve mzhub over HTTP for the side-by-side benchmark (bench/compare.py), one configuration.

One uvicorn worker (`--workers N` for more, as `mzhub serve --workers` runs them in the shipped
containers), no access log, uvloop and httptools when installed:

    .venv/bin/python bench/serve_hub.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/mzhub_bench_compare \\
        --port 8101 --compiled on --policy on --audit on

The cost budget is raised and the per-minute rate limit switched off, as in read_page.py (a
partner pulling pages gets a larger per-client budget in production). "--compiled" and
"--prepared" set the hub's HUB_COMPILED_READS and HUB_PREPARED_READS. "--policy off" loads a
policy that names no field (everything FULL); "--audit off" replaces the audit recorder with a
no-op in this process only; "--audit unwritten" keeps everything the hub does for an event
(collected, drafted, masked, cut for hashing, batched by the group commit) but the database
statement that appends the batch, so the audit's cost splits into the server's share and the
database's. Neither of these last two switches exists in the hub itself.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from read_page import OPEN_POLICY  # the open policy of the read-page benchmark

from hub.app import create_app
from hub.audit import recorder
from hub.compiled import prepared
from hub.config import Hardening, Settings
from hub.resolvers import audit_operation

BENCH = Path(__file__).resolve().parent
WORKDIR = BENCH / ".work"


AUDIT_MODES = ("on", "off", "unwritten")


def on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"expected 'on' or 'off', got {value!r}")
    return value == "on"


def audit_mode(value: str) -> str:
    if value not in AUDIT_MODES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(AUDIT_MODES)}, got {value!r}")
    return value


def bench_settings(
    database_url: str, *, compiled: bool, policy: bool, prepared: bool = True
) -> Settings:
    """The settings every mzhub variant of the comparison runs with."""
    policy_file = None
    if not policy:
        policy_file = WORKDIR / "open-policy.yaml"
        policy_file.parent.mkdir(parents=True, exist_ok=True)
        policy_file.write_text(OPEN_POLICY, encoding="utf-8")
    return Settings(
        database_url=database_url,
        keys_dir=WORKDIR / "keys",
        policy_file=policy_file,
        compiled_reads=compiled,
        prepared_reads=prepared,
        hardening=Hardening(cost_budget=1_000_000, cost_per_minute=0),
    )


def switch_audit_off() -> None:
    """No audit event, from either way an operation runs: the audit extension's and the
    prepared reads' (both record through `record_operation`)."""

    async def skip(*args: Any, **kwargs: Any) -> None:
        return None

    audit_operation.record_operation = skip  # type: ignore[assignment]
    prepared.record_operation = skip  # type: ignore[assignment]


class _Unwritten:
    """Stands for the driver connection of the group commit: the append statement answers
    with made-up sequence numbers without reaching the database, each event its own newest
    checkpoint (none is ever due: no chain, no checkpoint signed)."""

    seqs = itertools.count(1)

    async def fetch(self, statement: str, *columns: list[object]) -> list[tuple[object, ...]]:
        now = datetime.now(UTC)
        return [(seq, "", "", seq, now) for seq in itertools.islice(self.seqs, len(columns[0]))]

    async def executemany(self, statement: str, rows: list[tuple[object, ...]]) -> None:
        return None


def leave_audit_unwritten() -> None:
    @contextlib.asynccontextmanager
    async def unwritten(engine: Any) -> AsyncIterator[_Unwritten]:
        yield _Unwritten()

    recorder.driver_connection = unwritten  # type: ignore[assignment]


# With several workers each one imports this module and builds its app from these.
_ENVIRONMENT = "MZHUB_BENCH_SERVE"


def build_app(
    database_url: str, *, compiled: bool, policy: bool, audit: str, prepared: bool = True
) -> Any:
    if audit == "off":
        switch_audit_off()
    elif audit == "unwritten":
        leave_audit_unwritten()
    settings = bench_settings(database_url, compiled=compiled, policy=policy, prepared=prepared)
    return create_app(settings)


def worker_app() -> Any:
    """The app of one worker process (`--workers` above 1), from the parent's arguments."""
    database_url, compiled, policy, prepared, audit = os.environ[_ENVIRONMENT].split("\n")
    return build_app(
        database_url,
        compiled=compiled == "on",
        policy=policy == "on",
        prepared=prepared == "on",
        audit=audit,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--compiled", type=on_off, default=True, metavar="on|off")
    parser.add_argument("--policy", type=on_off, default=True, metavar="on|off")
    parser.add_argument("--prepared", type=on_off, default=True, metavar="on|off")
    parser.add_argument("--audit", type=audit_mode, default="on", metavar="|".join(AUDIT_MODES))
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "access_log": False,
        "log_level": "warning",
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
    }
    if args.workers == 1:
        app = build_app(
            args.database_url,
            compiled=args.compiled,
            policy=args.policy,
            prepared=args.prepared,
            audit=args.audit,
        )
        uvicorn.run(app, workers=1, **options)
        return
    switches = ["on" if x else "off" for x in (args.compiled, args.policy, args.prepared)]
    os.environ[_ENVIRONMENT] = "\n".join([args.database_url, *switches, args.audit])
    uvicorn.run(
        "serve_hub:worker_app",
        factory=True,
        app_dir=str(BENCH),
        workers=args.workers,
        **options,
    )


if __name__ == "__main__":
    main()

"""`mzhub audit verify|export|jwks`: check the hash chain and checkpoints, export JSON Lines.

Exit codes: 0 the chain and checkpoints hold, 1 verification failed (first bad seq printed),
2 bad arguments or the database/keys cannot be read.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from hub.audit.export import export_lines, verify_export
from hub.audit.verify import VerifyResult, published_jwks, verify_database
from hub.auth.keys import KeyStore
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.errors import ConfigError

audit_app = typer.Typer(
    help="Verify and export the audit log (hash chain and signed checkpoints).",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _settings() -> Settings:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    database = make_url(settings.database_url).database
    if settings.is_sqlite and database and database != ":memory:" and not Path(database).is_file():
        # Connecting would create an empty file and then fail on a missing table.
        raise _fail(f"HUB_DATABASE_URL: no such SQLite database {database!r}")
    return settings


def _read_jwks(path: Path) -> dict[str, Any]:
    try:
        jwks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _fail(f"--jwks: no such file {str(path)!r}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(f"--jwks: {str(path)!r} is not a JSON Web Key Set ({exc})") from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise _fail(f'--jwks: {str(path)!r} has no "keys" list')
    return jwks


def _keys(settings: Settings, hint: str = "") -> KeyStore:
    try:
        return KeyStore.load(settings.keys_dir, create_if_missing=False)
    except ConfigError as exc:
        raise _fail(f"{exc}{hint}") from exc


async def _verify_db(settings: Settings, jwks: dict[str, Any], held: list[str]) -> VerifyResult:
    engine = create_engine(settings)
    try:
        return await verify_database(session_factory(engine), jwks, held=held)
    finally:
        await engine.dispose()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _report(result: VerifyResult, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "firstBadSeq": result.first_bad_seq,
                    "reason": result.reason,
                    "count": result.count,
                    "firstSeq": result.first_seq,
                    "lastSeq": result.last_seq,
                    "checkpoints": result.checkpoints,
                }
            )
        )
    elif result.ok:
        span = f"seq {result.first_seq}..{result.last_seq}" if result.count else "empty chain"
        events, signed = _plural(result.count, "event"), _plural(result.checkpoints, "checkpoint")
        typer.echo(f"ok: {events} ({span}), {signed} verified")
    else:
        typer.echo(f"FAILED at seq {result.first_bad_seq}: {result.reason}")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command()
def verify(
    export: Annotated[
        Path | None,
        typer.Option("--export", metavar="FILE", help="Verify this export offline (needs --jwks)."),
    ] = None,
    jwks: Annotated[
        Path | None,
        typer.Option("--jwks", metavar="FILE", help="JWKS file holding the checkpoint keys."),
    ] = None,
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--checkpoint", metavar="JWS", help="A checkpoint JWS you kept (auditCheckpoint.jws)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check seq, prevHash, every hash and every checkpoint signature; exit 1 at the first fault.

    Without --export: the database at HUB_DATABASE_URL, keys from HUB_KEYS_DIR (or --jwks)."""
    held = [c.strip() for c in checkpoint or []]
    if export is not None:
        if jwks is None:
            raise _fail("--export needs --jwks FILE (the hub's /.well-known/jwks.json)")
        if not export.is_file():
            raise _fail(f"--export: no such file {str(export)!r}")
        _report(verify_export(export, _read_jwks(jwks), held), as_json)
        return
    settings = _settings()
    if jwks is not None:
        keys = _read_jwks(jwks)
    else:
        keys = published_jwks(_keys(settings, hint="; or pass --jwks FILE"))
    try:
        result = asyncio.run(_verify_db(settings, keys, held))
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(f"cannot read the audit log at HUB_DATABASE_URL: {exc}") from exc
    _report(result, as_json)


async def _write_export(
    settings: Settings, after: int, write: Callable[[str], Any], checkpoints: bool
) -> int:
    engine = create_engine(settings)
    count = 0
    try:
        async for line in export_lines(session_factory(engine), after, checkpoints=checkpoints):
            write(line + "\n")
            count += 1
    finally:
        await engine.dispose()
    return count


def _stdout_utf8(text: str) -> None:
    # Bytes, so a non-UTF-8 locale cannot turn a Chinese name into an encoding error.
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))


@audit_app.command()
def export(
    after: Annotated[
        int, typer.Option("--after", min=0, metavar="SEQ", help="Only events with seq > SEQ.")
    ] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
    checkpoints: Annotated[
        bool, typer.Option("--checkpoints/--no-checkpoints", help="Interleave checkpoint lines.")
    ] = True,
) -> None:
    """Write events as JSON Lines (one event a line), with the checkpoints that sign them."""
    settings = _settings()
    if output is not None and not output.parent.is_dir():
        raise _fail(f"--output: no such directory {str(output.parent)!r}")
    try:
        if output is None:
            sys.stdout.flush()
            asyncio.run(_write_export(settings, after, _stdout_utf8, checkpoints))
            sys.stdout.flush()
        else:
            with output.open("w", encoding="utf-8", newline="\n") as fh:
                lines = asyncio.run(_write_export(settings, after, fh.write, checkpoints))
            typer.echo(f"wrote {lines} lines to {output}", err=True)
    except (SQLAlchemyError, OSError) as exc:
        raise _fail(f"cannot read the audit log at HUB_DATABASE_URL: {exc}") from exc


@audit_app.command()
def jwks() -> None:
    """Print the public keys (current and retired) that verify checkpoints, as a JWKS."""
    typer.echo(json.dumps(published_jwks(_keys(_settings())), indent=2))

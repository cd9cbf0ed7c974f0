"""`mzhub import proxy-points|assistants|staff-posts|training|funding FILE.csv`.

Exit codes: 0 imported (or nothing to import), 1 the file was refused (every bad line listed,
nothing written), 2 configuration or database problems.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.migrate import ensure_migrated
from hub.domain.clock import SystemClock
from hub.errors import ConfigError
from hub.supervision.importer import ImportRefused, ImportResult, import_csv, read_file
from hub.supervision.kinds import KINDS

import_app = typer.Typer(
    help="Import supervision records from CSV: all or nothing per file, bad lines listed.",
    no_args_is_help=True,
)

HELP = {
    "proxy-points": "Proxy points (代办点).",
    "assistants": "Village civil-affairs assistants (协理员).",
    "staff-posts": "Township civil-affairs posts (一人一岗); empty holder_name = vacant.",
    "training": "Training attendance, one line per person and session (培训).",
    "funding": "Township working funds per year and source (经费), in yuan.",
}


def _run(kind: str, file: Path, as_json: bool) -> None:
    try:
        settings = Settings.from_env()
        ensure_migrated(settings.database_url)
        text = read_file(file)
    except (ConfigError, ImportRefused) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None
    result = asyncio.run(_import(settings, kind, file.name, text))
    _report(result, as_json)
    if not result.ok:
        raise typer.Exit(1)


async def _import(settings: Settings, kind: str, file_name: str, text: str) -> ImportResult:
    engine = create_engine(settings)
    try:
        return await import_csv(session_factory(engine), kind, file_name, text, SystemClock())
    finally:
        await engine.dispose()


def _report(result: ImportResult, as_json: bool) -> None:
    if as_json:
        errors = [{"line": e.line, "column": e.column, "message": e.message} for e in result.errors]
        body = {"kind": result.kind, "file": result.file, "imported": result.imported}
        typer.echo(json.dumps(body | {"errors": errors}, ensure_ascii=False))
        return
    for error in result.errors:
        typer.echo(f"{result.file}: {error}", err=True)
    if result.errors:
        lines = len({e.line for e in result.errors})
        typer.echo(f"refused: {lines} bad line(s); nothing was imported", err=True)
    else:
        typer.echo(f"imported {result.imported} {result.kind} record(s) from {result.file}")


def _command(kind: str) -> Callable[..., None]:
    columns = ", ".join(c.name + ("" if c.required else " (optional)") for c in KINDS[kind].columns)

    def command(
        file: Annotated[Path, typer.Argument(help="CSV file, UTF-8, with a header line")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        _run(kind, file, as_json)

    command.__doc__ = f"{HELP[kind]} Columns: {columns}."
    return command


for _kind in KINDS:
    import_app.command(_kind)(_command(_kind))

"""`mzhub payments export --period P --division CODE [-o FILE]` writes the bank batch file;
`mzhub payments import-results FILE` records the bank's answer file, all or nothing.

Exit codes: 0 done, 1 the file was refused (every bad line listed, nothing written), 2 bad
arguments or configuration.
"""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer

from hub.audit.events import Actor, AuditEntry, OperationKind, Outcome
from hub.audit.recorder import record
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.domain.clock import SystemClock
from hub.domain.divisions import is_division_code, jurisdiction_prefix
from hub.domain.periods import InvalidPeriod, parse_period
from hub.payments.bankfile import LineError, apply_results, batch_csv, parse_results

payments_app = typer.Typer(help="Bank files of the monthly payments (社会化发放).",
                           no_args_is_help=True)  # fmt: skip


class Refused(Exception):
    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} bad line(s)")
        self.errors = errors


def _actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(subject=f"cli:{user}", client_id="mzhub-cli")


async def _export(settings: Settings, period: str, division: str) -> tuple[str, int]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            return await batch_csv(session, period, jurisdiction_prefix(division))
    finally:
        await engine.dispose()


async def _import(settings: Settings, name: str, text: str) -> int:
    lines, errors = parse_results(text)
    if errors:
        raise Refused(errors)
    clock = SystemClock()
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            changed, errors = await apply_results(session, lines, clock.now())
            if errors:
                raise Refused(errors)  # rolls the whole file back
            entry = AuditEntry(
                operation_kind=OperationKind.MUTATION, outcome=Outcome.OK, actor=_actor(),
                operation_name="payments import-results",
                variables={"file": name, "lines": len(lines), "changed": changed},
                purpose="bank payment results",
            )  # fmt: skip
            await record(session, entry, clock)
            return changed
    finally:
        await engine.dispose()


@payments_app.command("export")
def export(
    period: Annotated[str, typer.Option(help="YYYY-MM")],
    division: Annotated[str, typer.Option(help="12-digit division code (e.g. a county)")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="default stdout")] = None,
) -> None:
    """Write the batch file of the period's SCHEDULED payments in the division."""
    try:
        parse_period(period)
    except InvalidPeriod as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not is_division_code(division):
        typer.echo(f"error: {division!r} is not a 12-digit division code", err=True)
        raise typer.Exit(2)
    text, count = asyncio.run(_export(Settings.from_env(), period, division))
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {count} payment(s) to {output}", err=True)


@payments_app.command("import-results")
def import_results(
    file: Annotated[Path, typer.Argument(help="the bank's answer file (CSV, UTF-8)")],
) -> None:
    """Record the bank's answers: every line or none; bad lines are listed with numbers."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        changed = asyncio.run(_import(Settings.from_env(), file.name, text))
    except Refused as exc:
        for error in exc.errors:
            typer.echo(f"{file.name}: {error}", err=True)
        typer.echo(f"refused: {len(exc.errors)} bad line(s); nothing was recorded", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"recorded {changed} result(s) from {file.name}")

"""The `mzhub seed` command: run the seed with a rich progress bar, one task per phase."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from hub.config import Settings
from hub.errors import ConfigError
from hub.seed.context import DEFAULT_AS_OF
from hub.seed.runner import SeedError, SeedReport, run_seed

console = Console(stderr=True)


def seed_with_progress(
    database_url: str,
    *,
    residents: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    reset: bool = False,
) -> SeedReport:
    """Seed with a progress bar per phase (rows written / rows to write); returns the report."""
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=None)
            bar.update(tasks[phase], completed=done, total=total)

        report = asyncio.run(
            run_seed(database_url, residents, seed, progress, as_of=as_of, reset=reset)
        )
    rows = sum(report.counts.values())
    console.print(
        f"seeded {report.residents} residents (seed {report.seed}, as of "
        f"{report.as_of.isoformat()}): {rows:,} rows in {report.seconds:.1f} s"
    )
    return report


def seed_command(
    residents: Annotated[int, typer.Option(min=0, help="number of residents")] = 20000,
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same data")] = 1,
    reset: Annotated[bool, typer.Option(help="empty the seeded tables first")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(help="the date the data describes (YYYY-MM-DD); default a fixed date"),
    ] = None,
) -> None:
    """Seed divisions and synthetic residents, households, cases, payments, supervision data
    into HUB_DATABASE_URL (migrated first with `mzhub db upgrade`)."""
    try:
        settings = Settings.from_env()
        day = date.fromisoformat(as_of) if as_of else DEFAULT_AS_OF
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    except ValueError:
        console.print(f"[red]--as-of must be a date like 2026-11-01, got {as_of!r}[/red]")
        raise typer.Exit(2) from None
    try:
        seed_with_progress(
            settings.database_url, residents=residents, seed=seed, as_of=day, reset=reset
        )
    except (SeedError, ConfigError) as exc:
        console.print(f"[red]seed failed:[/red] {exc}")
        raise typer.Exit(1) from None

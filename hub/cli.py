"""The `mzhub` command: serve, migrate, seed, demo, tokens, clients, policy, audit, schema."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.config import Settings
from hub.errors import ConfigError

app = typer.Typer(help="mzhub: the civil-affairs data hub.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
schema_app = typer.Typer(help="The GraphQL schema (SDL).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(schema_app, name="schema")

console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from hub.db.migrate import upgrade

    settings = _settings()
    try:
        upgrade(settings.database_url, revision)
    except Exception as exc:
        console.print(f"[red]migration failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print("database schema is up to date")


@db_app.command("prune-idempotency")
def db_prune_idempotency(
    older_than_days: Annotated[
        int, typer.Option("--older-than-days", min=1, help="Keep the results of the last N days.")
    ] = 30,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count them.")] = False,
) -> None:
    """Forget idempotency keys' kept results older than N days (run it daily). A client that
    retries with such a key after that runs its command again."""
    import asyncio
    from datetime import timedelta

    from hub.domain.clock import SystemClock

    settings = _settings()
    before = SystemClock().now() - timedelta(days=older_than_days)
    try:
        count = asyncio.run(_prune_idempotency(settings, before, dry_run))
    except Exception as exc:
        console.print(f"[red]prune failed:[/red] {exc}")
        raise typer.Exit(1) from None
    verb = "would forget" if dry_run else "forgot"
    typer.echo(f"{verb} {count} idempotency record(s) from before {before.isoformat()}")


async def _prune_idempotency(settings: Settings, before: datetime, dry_run: bool) -> int:
    from hub.db.engine import create_engine, session_factory
    from hub.resolvers.idempotency import prune_records

    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await prune_records(session, before, dry_run=dry_run)
    finally:
        await engine.dispose()


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the hub over HTTP (uvicorn)."""
    import uvicorn

    from hub.db.migrate import ensure_migrated

    settings = _settings()
    try:
        ensure_migrated(settings.database_url)
    except ConfigError as exc:
        console.print(f"[red]cannot start:[/red] {exc}")
        raise typer.Exit(1) from None
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        timeout_graceful_shutdown=20,
    )


@schema_app.command("export")
def schema_export(
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    federation: Annotated[
        bool, typer.Option("--federation", help="The Apollo Federation v2 subgraph SDL.")
    ] = False,
) -> None:
    """Print the SDL (or write it to --output)."""
    from hub.schema.sdl import export_sdl

    text = export_sdl(_settings().policy_file, federation=federation)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def seed(
    residents: Annotated[int, typer.Option(min=0, help="number of residents")] = 20000,
    seed_value: Annotated[int, typer.Option("--seed", help="random seed")] = 1,
    reset: Annotated[bool, typer.Option(help="empty the seeded tables first")] = False,
) -> None:
    """Seed divisions and synthetic residents, households, cases, payments, supervision data."""
    from hub.seed.cli import seed_command

    seed_command(residents=residents, seed=seed_value, reset=reset)


@app.command()
def demo(
    residents: Annotated[int, typer.Option(min=100)] = 20000,
    database: Annotated[Path, typer.Option(help="SQLite file")] = Path("./mzhub-demo.db"),
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """One command: migrate an SQLite file, seed it, print a token and a query, serve."""
    from hub.demo import run_demo

    run_demo(residents=residents, database=database, host=host, port=port)


def _mount_optional() -> None:
    from hub.audit.cli import audit_app
    from hub.auth.cli import client_app, keys_app, token_command
    from hub.hardening.cli import documents_app
    from hub.payments.cli import payments_app
    from hub.policy.cli import policy_app
    from hub.supervision.cli import import_app

    app.command("token")(token_command)
    app.add_typer(client_app, name="client")
    app.add_typer(keys_app, name="keys")
    app.add_typer(policy_app, name="policy")
    app.add_typer(audit_app, name="audit")
    app.add_typer(import_app, name="import")
    app.add_typer(documents_app, name="documents")
    app.add_typer(payments_app, name="payments")


_mount_optional()

if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()

"""`mzhub documents add|list|remove`: register the operations a client may run (trusted
documents). Exit codes: 0 done; 1 not found; 2 bad file, document or configuration."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from graphql import GraphQLError, parse, validate
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.domain.clock import SystemClock
from hub.errors import ConfigError
from hub.hardening import documents

documents_app = typer.Typer(
    help="Trusted documents: the operations each client may run.", no_args_is_help=True
)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        _fail(str(exc), 2)

    async def main() -> T:
        engine = create_engine(settings)
        try:
            async with session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _check_against_schema(text: str) -> None:
    """A document that would never validate is refused now, not at the portal's first call."""
    from hub.policy.evaluator import PolicyEvaluator
    from hub.policy.loader import load_policy
    from hub.schema.build import build_schema

    settings = Settings.from_env()
    schema = build_schema(PolicyEvaluator(load_policy(settings.policy_file)))
    try:
        errors = validate(schema._schema, parse(text))
    except GraphQLError as exc:
        _fail(f"the document does not parse: {exc.message}", 2)
    if errors:
        _fail(f"the document does not validate: {errors[0].message}", 2)


@documents_app.command("add")
def add(
    client: Annotated[str, typer.Argument(help='OAuth client id, or "*" for every caller.')],
    file: Annotated[Path, typer.Argument(help="A .graphql file: one document (its exact text).")],
    as_json: JsonOpt = False,
) -> None:
    """Register FILE for CLIENT; prints the documentId (`sha256:<hex>`) to send."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {file}: {exc}", 2)
    _check_against_schema(text)

    async def work(session: AsyncSession) -> documents.Registered:
        return await documents.add(session, client, text, file.name, SystemClock())

    found = _run(work)
    if as_json:
        typer.echo(json.dumps({"documentId": found.document_id, "added": found.added}))
        return
    state = "registered" if found.added else "already registered"
    typer.echo(f"{found.document_id} {state} for {client} ({found.operations})")


@documents_app.command("list")
def list_(
    client: Annotated[str | None, typer.Option(help="Only this client's documents.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List registered documents (client, documentId, operations, source)."""

    async def work(session: AsyncSession) -> list[documents.Registered]:
        return list(await documents.listing(session, client))

    found = _run(work)
    if as_json:
        rows = [
            {
                "client": d.client_id,
                "documentId": d.document_id,
                "operations": d.operations,
                "source": d.source,
                "createdAt": d.created_at,
            }
            for d in found
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("client", "operations", "source")
    table.add_column("documentId", overflow="fold")
    for d in found:
        table.add_row(d.client_id, d.operations or "", d.source or "", d.document_id)
    Console().print(table)


@documents_app.command("remove")
def remove(
    client: Annotated[str, typer.Argument(help="OAuth client id (or *).")],
    document_id: Annotated[str, typer.Argument(help="sha256:<hex> as printed by add/list.")],
) -> None:
    """Withdraw a document from CLIENT; its next request with it is refused."""
    digest = documents.hash_of_document_id(document_id)
    if digest is None:
        _fail("DOCUMENT_ID must be sha256: followed by 64 lower-case hex digits", 2)

    async def work(session: AsyncSession) -> int:
        return await documents.remove(session, client, digest)

    if _run(work) == 0:
        _fail(f"{document_id} is not registered for {client}", 1)
    typer.echo(f"{document_id} removed for {client}")

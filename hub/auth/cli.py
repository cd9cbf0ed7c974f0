"""`mzhub client ...`, `mzhub keys rotate` and `mzhub token`: operators' side of OAuth.

Exit codes: 0 done; 1 refused or not found (no such client, `token` in production);
2 bad values or configuration (nothing written).
"""

from __future__ import annotations

import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.auth_events import record_client_change
from hub.auth import clients
from hub.auth.keys import KeyStore
from hub.auth.tokens import issue_access_token, split_list
from hub.auth.verify import DEV_CLIENT_ID
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models.auth import OAuthClient
from hub.domain.clock import SystemClock
from hub.errors import ConfigError

client_app = typer.Typer(help="OAuth clients of partner departments.", no_args_is_help=True)
keys_app = typer.Typer(help="The hub's signing keys.", no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        _fail(str(exc), 2)


def _operator() -> str:
    """Who ran the command, for the audit log (the operating-system user)."""
    return f"cli:{getpass.getuser()}"


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one session and commit; bad values exit 2, an unknown client exits 1."""
    settings = _settings()

    async def main() -> T:
        engine = create_engine(settings)
        try:
            async with session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except ValueError as exc:
        _fail(str(exc), 2)
    except clients.UnknownClient as exc:
        _fail(str(exc), 1)


def _describe(client: OAuthClient) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "client_id": client.client_id,
        "name": client.name,
        "department": client.department,
        "division": client.division_code,
        "roles": client.roles.split(),
        "scopes": client.scopes.split(),
        "created_at": iso(client.created_at),
        "rotated_at": iso(client.rotated_at),
        "revoked_at": iso(client.revoked_at),
    }


def _print_secret(client: OAuthClient, secret: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"client_id": client.client_id, "client_secret": secret}))
        return
    table = Table(title=f"client {client.name}", show_header=False)
    table.add_row("client_id", client.client_id)
    table.add_row("client_secret", secret)
    table.add_row("department", client.department)
    table.add_row("division", client.division_code)
    table.add_row("roles", client.roles)
    table.add_row("scopes", client.scopes or "(none)")
    Console().print(table)
    err.print("Store the secret now: it is shown only this once.")


@client_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Name of the partner system.")],
    department: Annotated[str, typer.Option(help="Department, lower snake case.")],
    division: Annotated[str, typer.Option(help="12-digit division code.")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles, e.g. partner.")],
    scopes: Annotated[str, typer.Option(help='Space-separated scopes, e.g. "cases:write".')] = "",
    as_json: JsonOpt = False,
) -> None:
    """Register a client and print its id and secret (the secret is shown once)."""

    async def work(session: AsyncSession) -> tuple[OAuthClient, str]:
        client, secret = await clients.create_client(
            session,
            SystemClock(),
            name=name,
            department=department,
            division=division,
            roles=split_list(roles.replace(" ", ","), ","),
            scopes=split_list(scopes.replace(",", " "), None),
        )
        await record_client_change(session, SystemClock(), "created", client, _operator())
        return client, secret

    client, secret = _run(work)
    _print_secret(client, secret, as_json)


@client_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List every client, revoked ones included."""
    found = _run(lambda session: clients.list_clients(session))
    rows = [_describe(c) for c in found]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("client_id", "name", "department", "division", "roles", "scopes", "state")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        table.add_row(
            row["client_id"],
            row["name"],
            row["department"],
            row["division"],
            ",".join(row["roles"]),
            " ".join(row["scopes"]),
            state,
        )
    Console().print(table)


@client_app.command("revoke")
def revoke(client_id: Annotated[str, typer.Argument(help="The client to end.")]) -> None:
    """End a client: it can no longer get tokens, and every token it holds is refused."""
    async def work(session: AsyncSession) -> OAuthClient:
        client = await clients.revoke_client(session, SystemClock(), client_id)
        await record_client_change(session, SystemClock(), "revoked", client, _operator())
        return client

    client = _run(work)
    when = client.revoked_at.isoformat() if client.revoked_at else "?"
    typer.echo(f"revoked {client.client_id} at {when}")


@client_app.command("rotate")
def rotate(
    client_id: Annotated[str, typer.Argument(help="The client whose secret to replace.")],
    as_json: JsonOpt = False,
) -> None:
    """Give a client a new secret; the old one stops working at once."""
    async def work(session: AsyncSession) -> tuple[OAuthClient, str]:
        client, secret = await clients.rotate_secret(session, SystemClock(), client_id)
        await record_client_change(session, SystemClock(), "rotated", client, _operator())
        return client, secret

    client, secret = _run(work)
    _print_secret(client, secret, as_json)


@keys_app.command("rotate")
def rotate_keys(as_json: JsonOpt = False) -> None:
    """Make a new signing key; the previous one stays published until its tokens expire."""
    settings = _settings()
    try:
        keys = KeyStore.load(settings.keys_dir, create_if_missing=not settings.is_production)
    except ConfigError as exc:
        _fail(str(exc), 2)
    new = keys.rotate()
    published = keys.kids()
    if as_json:
        typer.echo(json.dumps({"kid": new.kid, "published": published}))
    else:
        typer.echo(f"new signing key {new.kid}; published: {', '.join(published)}")


def token_command(
    department: Annotated[str, typer.Option(help="Department, lower snake case.")],
    division: Annotated[str, typer.Option(help="12-digit division code.")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles.")],
    scopes: Annotated[str, typer.Option(help="Space-separated scopes (may be empty).")] = "",
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds.")] = None,
    subject: Annotated[str | None, typer.Option(help="The token's subject.")] = None,
    id_number: Annotated[
        str | None, typer.Option("--id-number", help="Resident id number (role citizen).")
    ] = None,
) -> None:
    """Print a signed development access token (refused when HUB_ENV=production)."""
    settings = _settings()
    if settings.is_production:
        _fail("mzhub token is refused when HUB_ENV=production; use client credentials", 1)
    try:
        token = make_dev_token(
            settings,
            department=department,
            division=division,
            roles=split_list(roles.replace(" ", ","), ","),
            scopes=split_list(scopes.replace(",", " "), None),
            ttl=ttl,
            subject=subject,
            id_number=id_number,
        )
    except (ValueError, ConfigError) as exc:
        _fail(str(exc), 2)
    typer.echo(token)


def make_dev_token(
    settings: Settings,
    *,
    department: str,
    division: str,
    roles: list[str],
    scopes: list[str],
    ttl: int | None = None,
    subject: str | None = None,
    id_number: str | None = None,
) -> str:
    """A development token signed with the hub's key (ValueError/ConfigError on bad input)."""
    keys = KeyStore.load(settings.keys_dir, create_if_missing=True)
    token, _ = issue_access_token(
        keys,
        settings,
        SystemClock(),
        subject=subject or "dev-user",
        client_id=DEV_CLIENT_ID,
        department=department,
        division=division,
        roles=roles,
        scopes=scopes,
        ttl_seconds=ttl,
        id_number=id_number,
    )
    return token

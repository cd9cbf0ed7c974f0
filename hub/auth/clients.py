"""Registry of partner departments' OAuth clients; secrets are kept only as argon2id hashes.

Functions take the caller's session and flush; the caller commits (with its audit row).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.revocations import CLIENT_ID_PREFIX
from hub.auth.tokens import parse_department, parse_division, parse_roles, parse_scopes
from hub.db.models.auth import OAuthClient
from hub.domain.clock import Clock

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory parameters


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the client is unknown, so timing tells nothing."""
    return _hasher.hash(secrets.token_urlsafe(32))


class UnknownClient(LookupError):
    """No client has this id."""

    def __str__(self) -> str:
        return f"no client {self.args[0]!r}"


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(10)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def create_client(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    department: str,
    division: str,
    roles: Iterable[str],
    scopes: Iterable[str],
) -> tuple[OAuthClient, str]:
    """Register a client; returns it and its secret (shown once, never stored in clear)."""
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise ValueError("name must be 1 to 128 characters")
    dept = parse_department(department)
    code = parse_division(division)
    role_list = parse_roles(roles)
    if not role_list:
        raise ValueError("a client needs at least one role (e.g. partner)")
    if "citizen" in role_list:
        raise ValueError("role citizen comes only from residents' identity provider tokens")
    scope_list = parse_scopes(scopes)
    secret = new_secret()
    client = OAuthClient(
        client_id=new_client_id(),
        name=name,
        department=dept.value,
        division_code=code,
        roles=" ".join(role_list),
        scopes=" ".join(scope_list),
        secret_hash=await asyncio.to_thread(_hasher.hash, secret),
        created_at=clock.now(),
        rotated_at=None,
        revoked_at=None,
    )
    session.add(client)
    await session.flush()
    return client, secret


async def list_clients(session: AsyncSession, *, include_revoked: bool = True) -> list[OAuthClient]:
    query = select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.client_id)
    if not include_revoked:
        query = query.where(OAuthClient.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await session.get(OAuthClient, client_id)
    if client is None:
        raise UnknownClient(client_id)
    return client


async def revoke_client(session: AsyncSession, clock: Clock, client_id: str) -> OAuthClient:
    """End a client: it cannot authenticate, and every token it holds is refused from now on."""
    client = await get_client(session, client_id)
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        await session.flush()
    return client


async def rotate_secret(
    session: AsyncSession, clock: Clock, client_id: str
) -> tuple[OAuthClient, str]:
    """A new secret replaces the old one at once; tokens already issued stay valid."""
    client = await get_client(session, client_id)
    if client.revoked_at is not None:
        raise ValueError(f"client {client_id!r} is revoked")
    secret = new_secret()
    client.secret_hash = await asyncio.to_thread(_hasher.hash, secret)
    client.rotated_at = clock.now()
    await session.flush()
    return client, secret


async def authenticate_client(
    session: AsyncSession, client_id: str, secret: str
) -> OAuthClient | None:
    """The client if `secret` is its current secret and it is not revoked; None otherwise.

    An unknown or revoked client costs the same argon2 verification as a known one.
    """
    client = await session.get(OAuthClient, client_id) if client_id else None
    usable = client is not None and client.revoked_at is None
    stored = client.secret_hash if usable and client is not None else _dummy_hash()
    ok = await asyncio.to_thread(_verify, stored, secret or "")
    return client if usable and ok else None


def _verify(stored: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored, secret)
    except (VerificationError, InvalidHashError):
        return False

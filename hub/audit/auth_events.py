"""Audit entries for the authorization server: tokens issued or refused, client changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.events import Actor, AuditEntry, OperationKind, Outcome
from hub.audit.recorder import record
from hub.db.models import OAuthClient
from hub.domain.clock import Clock

if TYPE_CHECKING:
    from hub.services import Services

CLIENT_CHANGES = {
    "created": OperationKind.CLIENT_CREATED,
    "revoked": OperationKind.CLIENT_REVOKED,
    "rotated": OperationKind.CLIENT_ROTATED,
}


def client_actor(client: OAuthClient) -> Actor:
    return Actor(
        subject=client.client_id,
        client_id=client.client_id,
        department=client.department,
        division=client.division_code,
        roles=tuple(sorted(client.roles.split())),
    )


def token_entry(outcome: str, client_id: str | None, reason: str | None) -> AuditEntry:
    issued = outcome == "issued"
    return AuditEntry(
        operation_kind=OperationKind.TOKEN_ISSUED if issued else OperationKind.TOKEN_REFUSED,
        outcome=Outcome.OK if issued else Outcome.DENIED,
        actor=Actor(subject=client_id, client_id=client_id),
        operation_name="client_credentials",
        variables={"reason": reason} if reason else None,
    )


TokenHook = Callable[..., Awaitable[None]]


def token_hook(services: Services) -> TokenHook:
    """The hook the token endpoint calls, writing in the endpoint's own transaction."""

    async def hook(
        session: AsyncSession, *, outcome: str, client_id: str | None, reason: str | None
    ) -> None:
        await record(
            session,
            token_entry(outcome, client_id, reason),
            services.clock,
            keys=services.keys,
            issuer=services.settings.issuer,
        )

    return hook


async def record_client_change(
    session: AsyncSession, clock: Clock, change: str, client: OAuthClient, operator: str
) -> None:
    """A client created, revoked or rotated from the CLI, in the same transaction."""
    await record(
        session,
        AuditEntry(
            operation_kind=CLIENT_CHANGES[change],
            outcome=Outcome.OK,
            actor=Actor(subject=operator),
            operation_name=f"client {change}",
            variables={
                "clientId": client.client_id,
                "department": client.department,
                "division": client.division_code,
            },
        ),
        clock,
    )

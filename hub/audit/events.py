"""What the audit recorder is told: who acted, which operation, with what outcome, on what.

Callers build an `AuditEntry` from values they already hold; the recorder masks, fits and chains it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.auth.principal import Principal

PURPOSE_MAX = 200


class OperationKind(enum.StrEnum):
    QUERY = "QUERY"
    MUTATION = "MUTATION"
    SUBSCRIPTION_START = "SUBSCRIPTION_START"
    SUBSCRIPTION_END = "SUBSCRIPTION_END"
    TOKEN_ISSUED = "TOKEN_ISSUED"
    TOKEN_REFUSED = "TOKEN_REFUSED"
    CLIENT_CREATED = "CLIENT_CREATED"
    CLIENT_REVOKED = "CLIENT_REVOKED"
    CLIENT_ROTATED = "CLIENT_ROTATED"
    KEY_ROTATED = "KEY_ROTATED"


class Outcome(enum.StrEnum):
    OK = "OK"
    DENIED = "DENIED"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller as the token described it; every part is None for an anonymous caller."""

    subject: str | None = None
    client_id: str | None = None
    department: str | None = None
    division: str | None = None
    roles: tuple[str, ...] = ()

    @classmethod
    def from_principal(cls, principal: Principal | None) -> Actor:
        if principal is None:
            return cls()
        return cls(
            subject=principal.subject,
            client_id=principal.client_id,
            department=str(principal.department),
            division=principal.division_code,
            roles=tuple(sorted(principal.roles)),
        )


@dataclass(frozen=True, slots=True)
class FieldGrant:
    """One field of a resource that was read or written, and the grant it was served at."""

    field: str
    grant: str  # FULL, MASKED or DENIED (hub.policy.grants.Grant is a StrEnum)


@dataclass(frozen=True, slots=True)
class ResourceTouch:
    """A resident, household, case, ... that the operation touched; `id` is the global ID."""

    type: str
    id: str
    division_code: str | None = None
    fields: tuple[FieldGrant, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceDocuments:
    """An event's resource list already written as the recorder writes it: a JSON array of
    `{"divisionCode","fields":[{"field","grant"}],"id","type"}` objects in canonical form
    (keys sorted, no spaces, each resource once), as the compiled read statement builds it.
    The recorder stores and hashes this text as it is."""

    json: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One operation to record. `variables` are raw: the recorder masks them before storing."""

    operation_kind: OperationKind
    outcome: Outcome
    actor: Actor = field(default_factory=Actor)
    operation_name: str | None = None
    document_hash: str | None = None
    variables: Mapping[str, Any] | None = None
    purpose: str | None = None
    policy_version: str | None = None
    resources: tuple[ResourceTouch, ...] | ResourceDocuments = ()

    def __post_init__(self) -> None:
        # Coerce (and so validate) plain strings; a wrong kind fails here, not at commit.
        object.__setattr__(self, "operation_kind", OperationKind(self.operation_kind))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        if self.purpose is not None and len(self.purpose) > PURPOSE_MAX:
            object.__setattr__(self, "purpose", self.purpose[:PURPOSE_MAX])
        if not isinstance(self.resources, ResourceDocuments):
            object.__setattr__(self, "resources", tuple(self.resources))


@dataclass(slots=True)
class BuiltEvent:
    """An event as the recorder builds, hashes and writes it: the columns of `audit_events`
    (the model `AuditEvent`), as a plain object. Building an ORM instance per event cost about
    as much as hashing it, and the writes never go through the ORM's unit of work."""

    seq: int
    at: datetime
    actor_subject: str | None
    actor_client_id: str | None
    actor_department: str | None
    actor_division: str | None
    actor_roles: str | None
    operation_kind: str
    operation_name: str | None
    document_hash: str | None
    variables: Any
    purpose: str | None
    outcome: str
    policy_version: str | None
    resources: Any
    resource_divisions: str | None
    prev_hash: str
    hash: str

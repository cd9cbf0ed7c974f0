"""The caller of an operation, built only from a verified token's claims."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.domain.divisions import jurisdiction_prefix, level_of
from hub.types import Department, Level


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    department: Department
    division_code: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None
    issuer: str | None = None
    token_id: str | None = None
    expires_at: int | None = None
    # For citizens: the id number their identity provider vouched for.
    id_number: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def level(self) -> Level:
        return level_of(self.division_code)

    @property
    def jurisdiction_prefix(self) -> str:
        return jurisdiction_prefix(self.division_code)

    @property
    def is_citizen(self) -> bool:
        return "citizen" in self.roles

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

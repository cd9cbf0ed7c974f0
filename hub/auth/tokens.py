"""RFC 9068 JWT access tokens signed by the hub, and the one check of what a token may carry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from hub.auth.keys import KeyStore
from hub.config import Settings
from hub.domain import idnumber
from hub.domain.clock import Clock
from hub.domain.divisions import is_division_code, level_of
from hub.types import ROLES, SCOPES, Department

ACCESS_TOKEN_TYPE = "at+jwt"
MAX_TTL_SECONDS = 24 * 3600


def parse_department(value: str) -> Department:
    """A department in its token form (lower snake case); ValueError names the valid ones."""
    try:
        return Department(value)
    except ValueError:
        valid = ", ".join(d.value for d in Department)
        raise ValueError(f"unknown department {value!r}; expected one of: {valid}") from None


def parse_division(value: str) -> str:
    if not isinstance(value, str) or not is_division_code(value):
        raise ValueError(f"division must be a 12-digit division code, got {value!r}")
    level_of(value)
    return value


def parse_roles(values: Iterable[str]) -> list[str]:
    roles = sorted({r.strip() for r in values if r and r.strip()})
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(
            f"unknown role(s) {', '.join(unknown)}; expected any of: {', '.join(sorted(ROLES))}"
        )
    return roles


def parse_scopes(values: Iterable[str]) -> list[str]:
    scopes = sorted({s.strip() for s in values if s and s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(
            f"unknown scope(s) {', '.join(unknown)}; expected any of: {', '.join(sorted(SCOPES))}"
        )
    return scopes


def split_list(value: str | None, sep: str | None) -> list[str]:
    """`"a,b"` (sep ",") or `"a b"` (sep None = whitespace) to a list without empty items."""
    if not value:
        return []
    return [item.strip() for item in value.split(sep) if item.strip()]


def issue_access_token(
    keys: KeyStore,
    settings: Settings,
    clock: Clock,
    *,
    subject: str,
    client_id: str,
    department: str,
    division: str,
    roles: Iterable[str],
    scopes: Iterable[str],
    ttl_seconds: int | None = None,
    id_number: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Sign an access token; returns the compact JWT and its claims. ValueError on bad input.

    `id_number` (a resident's, for role `citizen` only) is for development tokens; partner
    clients never carry one.
    """
    ttl = settings.token_ttl_seconds if ttl_seconds is None else int(ttl_seconds)
    if not 0 < ttl <= MAX_TTL_SECONDS:
        raise ValueError(f"token lifetime must be 1..{MAX_TTL_SECONDS} seconds, got {ttl}")
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "client_id": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(parse_scopes(scopes)),
        "department": parse_department(department).value,
        "division": parse_division(division),
        "roles": parse_roles(roles),
    }
    if "citizen" in claims["roles"]:
        if not id_number:
            raise ValueError("a citizen token needs the resident's id number")
        claims["id_number"] = idnumber.validate(id_number).id_number
    elif id_number:
        raise ValueError("only a citizen token carries an id number")
    token = keys.sign(claims, {"typ": ACCESS_TOKEN_TYPE})
    return token, claims

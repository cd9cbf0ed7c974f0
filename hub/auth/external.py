"""Claims of a trusted external issuer's token mapped to a `Principal` (HUB_TRUSTED_ISSUERS).

Per attribute: a claim named in `claims` (dotted paths reach nested objects), falling back to
the fixed default; else the fixed default in `defaults` (the token cannot override it); else
the claim of the hub's own name (`sub`, `department`, `division`, `roles`, `scope`, `id_number`).
"""

from __future__ import annotations

from typing import Any

from hub.auth.principal import Principal
from hub.auth.tokens import parse_department
from hub.config import TrustedIssuer
from hub.domain import idnumber
from hub.domain.divisions import InvalidDivisionCode, normalize_prefix_or_code
from hub.types import ROLES, SCOPES


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, or by dotted path into nested objects (`realm_access.roles`)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _attribute(claims: dict[str, Any], issuer: TrustedIssuer, name: str, claim: str) -> Any:
    """A mapped claim (falling back to the default); else the fixed default; else `claim`."""
    if name in issuer.claims:
        value = _claim(claims, issuer.claims[name])
        return issuer.defaults.get(name) if value is None else value
    if name in issuer.defaults:
        return issuer.defaults[name]
    return _claim(claims, claim)


def _words(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if _is_str_list(value):
        return list(value)
    if value is None:
        return []
    raise ValueError("must be a list of strings or a space-separated string")


def external_principal(claims: dict[str, Any], issuer: TrustedIssuer) -> Principal:
    subject = _attribute(claims, issuer, "subject", "sub")
    department = _attribute(claims, issuer, "department", "department")
    division = _attribute(claims, issuer, "division", "division")
    if not isinstance(subject, str) or not subject:
        raise ValueError("no subject")
    if not isinstance(department, str) or not isinstance(division, str):
        raise ValueError("department and division are required")
    try:
        division_code = normalize_prefix_or_code(division)
    except InvalidDivisionCode as exc:
        raise ValueError(str(exc)) from None
    # An identity provider knows more roles and scopes than the hub; only the hub's count.
    roles = frozenset(r for r in _words(_attribute(claims, issuer, "roles", "roles")) if r in ROLES)
    scopes = frozenset(
        s for s in _words(_attribute(claims, issuer, "scopes", "scope")) if s in SCOPES
    )
    id_number = None
    if "citizen" in roles:
        raw = _attribute(claims, issuer, "id_number", "id_number")
        if not isinstance(raw, str):
            raise ValueError("a citizen token must carry an id number")
        id_number = idnumber.validate(raw).id_number
    client_id = _attribute(claims, issuer, "client_id", "client_id") or claims.get("azp")
    jti = claims.get("jti")
    return Principal(
        subject=subject,
        department=parse_department(department.strip().lower()),
        division_code=division_code,
        roles=roles,
        scopes=scopes,
        client_id=client_id if isinstance(client_id, str) else None,
        issuer=issuer.issuer,
        token_id=jti if isinstance(jti, str) else None,
        expires_at=int(claims["exp"]),
        id_number=id_number,
    )

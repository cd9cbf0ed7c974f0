"""Small shared vocabulary used across the hub's rooms."""

from __future__ import annotations

import enum


class Level(enum.IntEnum):
    """Administrative levels, region (1) down to village/community (5)."""

    REGION = 1
    CITY = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5


class Department(enum.StrEnum):
    """Departments; the token value is the lower snake case form."""

    CIVIL_AFFAIRS = "civil_affairs"
    PUBLIC_SECURITY = "public_security"
    HUMAN_RESOURCES = "human_resources"
    HOUSING = "housing"
    MEDICAL_SECURITY = "medical_security"
    FINANCE = "finance"
    DISABLED_FEDERATION = "disabled_federation"
    HEALTH = "health"
    MARKET_REGULATION = "market_regulation"
    TAXATION = "taxation"
    EDUCATION = "education"
    AUDIT = "audit"


ROLES = frozenset(
    {
        "clerk",
        "reviewer",
        "approver",
        "proxy_agent",
        "partner",
        "finance",
        "supervisor",
        "auditor",
        "admin",
        "citizen",
    }
)

SCOPES = frozenset(
    {
        "cases:write",
        "approvals:decide",
        "cases:certify",
        "payments:write",
        "audit:read",
        "supervision:read",
        "supervision:write",
        "admin",
        "schema:introspect",
    }
)

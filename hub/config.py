"""Settings from the environment (HUB_*), validated once at start-up with one clear line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./mzhub.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
TRUSTED_DOCUMENT_MODES = ("off", "enforce")


@dataclass(frozen=True)
class TrustedIssuer:
    """An external OIDC issuer whose tokens the hub accepts (HUB_TRUSTED_ISSUERS)."""

    issuer: str
    jwks_url: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    # Maps hub principal attributes to the issuer's claim names.
    claims: dict[str, str] = field(default_factory=dict)
    # Fixed values for attributes the issuer does not carry (e.g. citizens' department).
    defaults: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientLimits:
    """Per-client overrides of the cost budget and the rate limit (HUB_CLIENT_LIMITS)."""

    cost_budget: int | None = None
    cost_per_minute: int | None = None


@dataclass(frozen=True)
class Hardening:
    """Limits on what one client may ask (docs/security.md describes each one)."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_directives: int = 50
    max_body_bytes: int = 1_048_576
    # 1 = array batching off; N > 1 lets a POST carry an array of up to N operations.
    max_operations: int = 1
    cost_budget: int = 5000
    introspection_max_depth: int = 20
    # None: twice the cost of graphql-core's full introspection query on this schema.
    introspection_cost_budget: int | None = None
    # Cost units a client may spend per minute; 0 switches the rate limit off.
    cost_per_minute: int = 60_000
    clients: dict[str, ClientLimits] = field(default_factory=dict, hash=False)
    trusted_documents: str = "off"

    def budget_for(self, client_id: str | None) -> int:
        found = self.clients.get(client_id or "")
        if found is not None and found.cost_budget is not None:
            return found.cost_budget
        return self.cost_budget

    def rate_for(self, client_id: str | None) -> int:
        found = self.clients.get(client_id or "")
        if found is not None and found.cost_per_minute is not None:
            return found.cost_per_minute
        return self.cost_per_minute


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    env: str = "development"
    keys_dir: Path = Path("./.keys")
    issuer: str = "http://127.0.0.1:8000"
    audience: str = "mzhub"
    policy_file: Path | None = None
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    redis_url: str | None = None
    token_ttl_seconds: int = 600
    public_notice_days: int | None = None
    cors_origins: tuple[str, ...] = ()
    log_sql: bool = False
    # Serve supported read shapes with one SQL statement per root field (PostgreSQL only).
    compiled_reads: bool = True
    # Run repeated single-connection queries without graphql-core's executor (decision 0069).
    prepared_reads: bool = True
    # Connections each process keeps open to PostgreSQL (plus up to as many again for short
    # peaks of ORM sessions); compiled reads use all but one at once (decision 0068).
    db_pool_size: int = 10
    hardening: Hardening = field(default_factory=Hardening)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        database_url = env.get("HUB_DATABASE_URL", DEFAULT_DATABASE_URL)
        if not database_url.startswith(SUPPORTED_DRIVERS):
            raise ConfigError(
                "HUB_DATABASE_URL must start with one of "
                f"{', '.join(SUPPORTED_DRIVERS)} (e.g. {DEFAULT_DATABASE_URL})"
            )
        hub_env = env.get("HUB_ENV", "development")
        if hub_env not in ("development", "production"):
            raise ConfigError(f"HUB_ENV must be 'development' or 'production', got {hub_env!r}")
        policy = env.get("HUB_POLICY_FILE")
        return cls(
            database_url=database_url,
            env=hub_env,
            keys_dir=Path(env.get("HUB_KEYS_DIR", "./.keys")),
            issuer=env.get("HUB_ISSUER", "http://127.0.0.1:8000"),
            audience=env.get("HUB_AUDIENCE", "mzhub"),
            policy_file=Path(policy) if policy else None,
            trusted_issuers=_parse_trusted_issuers(env.get("HUB_TRUSTED_ISSUERS", "")),
            redis_url=env.get("HUB_REDIS_URL") or None,
            token_ttl_seconds=_positive_int(env, "HUB_TOKEN_TTL_SECONDS", 600),
            public_notice_days=_optional_int(env, "HUB_PUBLIC_NOTICE_DAYS"),
            cors_origins=tuple(o for o in env.get("HUB_CORS_ORIGINS", "").split(",") if o),
            log_sql=env.get("HUB_LOG_SQL", "") == "1",
            compiled_reads=_on_off(env, "HUB_COMPILED_READS", True),
            prepared_reads=_on_off(env, "HUB_PREPARED_READS", True),
            db_pool_size=_pool_size(env),
            hardening=_parse_hardening(env),
        )


def _on_off(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in ("on", "off"):
        raise ConfigError(f"{name} must be 'on' or 'off', got {raw!r}")
    return raw == "on"


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def _pool_size(env: dict[str, str]) -> int:
    size = _positive_int(env, "HUB_DB_POOL_SIZE", 10)
    if size < 2:
        raise ConfigError("HUB_DB_POOL_SIZE must be at least 2 (one connection is the audit log's)")
    return size


def _parse_hardening(env: dict[str, str]) -> Hardening:
    d = Hardening()
    mode = env.get("HUB_TRUSTED_DOCUMENTS", "") or d.trusted_documents
    if mode not in TRUSTED_DOCUMENT_MODES:
        raise ConfigError(f"HUB_TRUSTED_DOCUMENTS must be 'off' or 'enforce', got {mode!r}")
    per_minute = _optional_int(env, "HUB_RATE_LIMIT_COST_PER_MINUTE")
    return Hardening(
        max_depth=_positive_int(env, "HUB_MAX_DEPTH", d.max_depth),
        max_aliases=_positive_int(env, "HUB_MAX_ALIASES", d.max_aliases),
        max_tokens=_positive_int(env, "HUB_MAX_TOKENS", d.max_tokens),
        max_directives=_positive_int(env, "HUB_MAX_DIRECTIVES", d.max_directives),
        max_body_bytes=_positive_int(env, "HUB_MAX_BODY_BYTES", d.max_body_bytes),
        max_operations=_positive_int(env, "HUB_MAX_OPERATIONS", d.max_operations),
        cost_budget=_positive_int(env, "HUB_COST_BUDGET", d.cost_budget),
        introspection_max_depth=_positive_int(
            env, "HUB_INTROSPECTION_MAX_DEPTH", d.introspection_max_depth
        ),
        introspection_cost_budget=_optional_int(env, "HUB_INTROSPECTION_COST_BUDGET") or None,
        cost_per_minute=d.cost_per_minute if per_minute is None else per_minute,
        clients=_parse_client_limits(env.get("HUB_CLIENT_LIMITS", "")),
        trusted_documents=mode,
    )


def _parse_client_limits(raw: str) -> dict[str, ClientLimits]:
    """HUB_CLIENT_LIMITS: `{"client-id": {"costBudget": 20000, "costPerMinute": 400000}}`."""
    if not raw.strip():
        return {}
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"HUB_CLIENT_LIMITS is not valid JSON: {exc}") from exc
    if not isinstance(items, dict):
        raise ConfigError("HUB_CLIENT_LIMITS must be a JSON object keyed by client id")
    found: dict[str, ClientLimits] = {}
    for client, limits in items.items():
        if not isinstance(limits, dict) or set(limits) - {"costBudget", "costPerMinute"}:
            raise ConfigError(
                f"HUB_CLIENT_LIMITS[{client!r}] takes only costBudget and costPerMinute"
            )
        budget, per_minute = limits.get("costBudget"), limits.get("costPerMinute")
        if budget is not None and (type(budget) is not int or budget <= 0):
            raise ConfigError(f"HUB_CLIENT_LIMITS[{client!r}].costBudget must be a number > 0")
        if per_minute is not None and (type(per_minute) is not int or per_minute < 0):
            raise ConfigError(f"HUB_CLIENT_LIMITS[{client!r}].costPerMinute must be >= 0")
        found[client] = ClientLimits(cost_budget=budget, cost_per_minute=per_minute)
    return found


def _optional_int(env: dict[str, str], name: str) -> int | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number >= 0, got {raw!r}")
    return int(raw)


def _parse_trusted_issuers(raw: str) -> tuple[TrustedIssuer, ...]:
    """HUB_TRUSTED_ISSUERS is a JSON list of objects, or a path to a file holding one."""
    if not raw.strip():
        return ()
    text = raw
    if not raw.lstrip().startswith("["):
        path = Path(raw)
        if not path.is_file():
            raise ConfigError(f"HUB_TRUSTED_ISSUERS: no such file {raw!r} (or give a JSON list)")
        text = path.read_text(encoding="utf-8")
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"HUB_TRUSTED_ISSUERS is not valid JSON: {exc}") from exc
    if not isinstance(items, list):
        raise ConfigError("HUB_TRUSTED_ISSUERS must be a JSON list of issuer objects")
    issuers = []
    for i, item in enumerate(items):
        missing = [k for k in ("issuer", "jwks_url", "audience") if not item.get(k)]
        if missing:
            raise ConfigError(f"HUB_TRUSTED_ISSUERS[{i}] lacks {', '.join(missing)}")
        algorithms = tuple(item.get("algorithms", ["RS256", "ES256"]))
        if any(a.upper().startswith("HS") or a.lower() == "none" for a in algorithms):
            raise ConfigError(f"HUB_TRUSTED_ISSUERS[{i}]: only asymmetric algorithms are allowed")
        issuers.append(
            TrustedIssuer(
                issuer=item["issuer"],
                jwks_url=item["jwks_url"],
                audience=item["audience"],
                algorithms=algorithms,
                claims=dict(item.get("claims", {})),
                defaults=dict(item.get("defaults", {})),
            )
        )
    return tuple(issuers)

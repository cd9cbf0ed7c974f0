"""Settings from the environment (HUB_*), validated once at start-up with one clear line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./mzhub.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


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
        )


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


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

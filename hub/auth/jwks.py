"""Public keys of trusted external OIDC issuers, fetched over HTTP and cached per issuer."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.jwk import ECKey, OKPKey, RSAKey

log = logging.getLogger(__name__)

Key = RSAKey | ECKey | OKPKey
# Only asymmetric keys are ever taken from a JWKS: a published "oct" key would be a shared secret.
_ASYMMETRIC: dict[str, type[RSAKey] | type[ECKey] | type[OKPKey]] = {
    "RSA": RSAKey,
    "EC": ECKey,
    "OKP": OKPKey,
}


class JwksUnavailable(Exception):
    """The issuer's JWKS could not be fetched or parsed."""


@dataclass
class _Entry:
    keys: list[Key]
    fetched_at: float


class JwksCache:
    """JWKS per URL; refetched when older than `max_age` or, for an unknown kid, at most once per
    `min_refresh_interval` seconds (so a flood of forged kids cannot hammer the issuer)."""

    def __init__(
        self,
        *,
        max_age: float = 3600.0,
        min_refresh_interval: float = 30.0,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.max_age = max_age
        self.min_refresh_interval = min_refresh_interval
        self.timeout = timeout
        self.transport = transport
        self.fetch_count = 0
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key_for(self, url: str, kid: str | None, alg: str) -> Key | None:
        """The key with `kid` (or the only key fitting `alg` when the token names none)."""
        entry = self._entries.get(url)
        if entry is None or time.monotonic() - entry.fetched_at > self.max_age:
            entry = await self._refresh(url, entry)
        key = _pick(entry.keys, kid, alg)
        if key is None and time.monotonic() - entry.fetched_at >= self.min_refresh_interval:
            entry = await self._refresh(url, entry)
            key = _pick(entry.keys, kid, alg)
        return key

    async def _refresh(self, url: str, seen: _Entry | None) -> _Entry:
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            current = self._entries.get(url)
            if current is not None and current is not seen:
                return current  # another task refreshed while we waited
            try:
                keys = await self._fetch(url)
            except JwksUnavailable:
                if current is not None:  # keep serving the keys we had; retry later
                    current.fetched_at = time.monotonic()
                    return current
                raise
            entry = _Entry(keys=keys, fetched_at=time.monotonic())
            self._entries[url] = entry
            return entry

    async def _fetch(self, url: str) -> list[Key]:
        self.fetch_count += 1
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data: Any = response.json()
            items = data["keys"] if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ValueError("no 'keys' list")
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            log.warning("JWKS %s unavailable: %s", url, exc)
            raise JwksUnavailable(url) from exc
        keys: list[Key] = []
        for item in items:
            cls = _ASYMMETRIC.get(str(item.get("kty"))) if isinstance(item, dict) else None
            if cls is None or item.get("use", "sig") != "sig":
                continue
            try:
                keys.append(cls.import_key(item))
            except Exception as exc:  # one bad key must not hide the others
                log.warning("JWKS %s: skipping key %s: %s", url, item.get("kid"), exc)
        return keys


def _pick(keys: list[Key], kid: str | None, alg: str) -> Key | None:
    if kid is not None:
        return next((k for k in keys if k.kid == kid), None)
    kty = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}.get(alg[:2])
    fitting = [k for k in keys if k.key_type == kty]
    return fitting[0] if len(fitting) == 1 else None


__all__ = ["JwksCache", "JwksUnavailable"]

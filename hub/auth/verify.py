"""Access-token verification: a hub token or a trusted issuer's token becomes a `Principal`.

Algorithms are pinned per issuer and never read from the token; everything about the principal
comes from verified claims. Every refusal is `Unauthenticated` with a short reason.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

from cachetools import LRUCache
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError, MissingClaimError

from hub.auth.external import external_principal
from hub.auth.jwks import JwksCache, JwksUnavailable
from hub.auth.keys import KeyStore
from hub.auth.principal import Principal
from hub.auth.revocations import CLIENT_ID_PREFIX, DbRevocations, Revocations
from hub.auth.tokens import parse_department, parse_division, parse_roles, parse_scopes
from hub.config import Settings, TrustedIssuer
from hub.domain import idnumber
from hub.domain.clock import Clock
from hub.errors import Unauthenticated

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 60
MAX_TOKEN_LENGTH = 8192
HUB_ALGORITHMS = ("ES256",)
HUB_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# External OIDC providers (Keycloak, Azure AD, ...) often mark access tokens `JWT` or not at all;
# audience pinning, not `typ`, keeps their ID tokens out. Any other `typ` is refused.
EXTERNAL_TYPES = HUB_TYPES | {"jwt", "application/jwt", None}
# Client id of development tokens (`mzhub token`); refused outright in production.
DEV_CLIENT_ID = "mzhub-dev"

__all__ = ["DbRevocations", "Revocations", "TokenVerifier", "DEV_CLIENT_ID"]


class TokenVerifier:
    def __init__(
        self,
        settings: Settings,
        keys: KeyStore,
        clock: Clock,
        revocations: Revocations,
        *,
        jwks_cache: JwksCache | None = None,
        key_reload_interval: float = 10.0,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.clock = clock
        self.revocations = revocations
        self.jwks = jwks_cache or JwksCache()
        self.key_reload_interval = key_reload_interval
        self._issuers = {i.issuer: i for i in settings.trusted_issuers}
        self._verified: LRUCache[str, tuple[Any, str, dict[str, Any]]] = LRUCache(maxsize=10_000)
        # The principal a hub token's claims describe, per token text and key: parsing the
        # claims again gives the same principal (times and revocation are checked every time).
        self._principals: LRUCache[str, tuple[Any, Principal]] = LRUCache(maxsize=10_000)
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock.now().timestamp()),
            leeway=LEEWAY_SECONDS,
            exp={"essential": True},
            sub={"essential": True},
        )
        self._keys_reloaded_at = float("-inf")

    async def verify(self, token: str) -> Principal:
        header, payload = _peek(token)
        issuer = payload.get("iss")
        if issuer == self.settings.issuer:
            return await self._verify_hub(token, header)
        trusted = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trusted is None:
            raise Unauthenticated("unknown issuer")
        return await self._verify_external(token, header, trusted)

    # -- the hub's own tokens ------------------------------------------------------------------

    async def _verify_hub(self, token: str, header: dict[str, Any]) -> Principal:
        alg = _pinned_alg(header, HUB_ALGORITHMS)
        if _typ(header) not in HUB_TYPES:
            raise Unauthenticated("wrong token type")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthenticated("unknown key")
        key = self.keys.public_key(kid)
        if key is None and time.monotonic() - self._keys_reloaded_at >= self.key_reload_interval:
            self._keys_reloaded_at = time.monotonic()
            self.keys.reload()  # another replica may have rotated the keys
            key = self.keys.public_key(kid)
        if key is None:
            raise Unauthenticated("unknown key")
        claims = self._decode(token, key, alg, self.settings.issuer, self.settings.audience)
        cached = self._principals.get(token)
        if cached is not None and cached[0] is key:
            principal = cached[1]
        else:
            principal = self._hub_principal(claims)
            self._principals[token] = (key, principal)
        # Both are strings in every principal `_hub_principal` makes.
        jti, client_id = str(principal.token_id), str(principal.client_id)
        if await self.revocations.is_revoked(jti):
            raise Unauthenticated("token revoked")
        if client_id.startswith(CLIENT_ID_PREFIX) and await self.revocations.is_client_revoked(
            client_id
        ):
            raise Unauthenticated("client revoked")
        return principal

    def _hub_principal(self, claims: dict[str, Any]) -> Principal:
        jti, client_id = claims.get("jti"), claims.get("client_id")
        if not isinstance(jti, str) or not isinstance(client_id, str):
            raise Unauthenticated("token lacks jti or client_id")
        scope, roles = claims.get("scope", ""), claims.get("roles", [])
        if not isinstance(scope, str) or not _is_str_list(roles):
            raise Unauthenticated("invalid claim: scope or roles")
        try:
            department = parse_department(claims.get("department"))  # type: ignore[arg-type]
            division = parse_division(claims.get("division"))  # type: ignore[arg-type]
            role_set = frozenset(parse_roles(roles))
            scope_set = frozenset(parse_scopes(scope.split()))
        except (ValueError, TypeError) as exc:
            raise Unauthenticated(f"invalid claim: {exc}") from None
        if client_id == DEV_CLIENT_ID and self.settings.is_production:
            raise Unauthenticated("development token refused in production")
        id_number = None
        if "citizen" in role_set:
            raw = claims.get("id_number")
            if not isinstance(raw, str) or not idnumber.is_valid(raw):
                raise Unauthenticated("invalid claim: a citizen token needs a valid id_number")
            id_number = idnumber.normalize(raw)
        return Principal(
            subject=claims["sub"],
            department=department,
            division_code=division,
            roles=role_set,
            scopes=scope_set,
            client_id=client_id,
            issuer=self.settings.issuer,
            token_id=jti,
            expires_at=int(claims["exp"]),
            id_number=id_number,
        )

    # -- trusted external issuers --------------------------------------------------------------

    async def _verify_external(
        self, token: str, header: dict[str, Any], issuer: TrustedIssuer
    ) -> Principal:
        alg = _pinned_alg(header, issuer.algorithms)
        if _typ(header) not in EXTERNAL_TYPES:
            raise Unauthenticated("wrong token type")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise Unauthenticated("unknown key")
        try:
            key = await self.jwks.key_for(issuer.jwks_url, kid, alg)
        except JwksUnavailable:
            raise Unauthenticated("issuer keys unavailable") from None
        if key is None:
            raise Unauthenticated("unknown key")
        claims = self._decode(token, key, alg, issuer.issuer, issuer.audience)
        jti = claims.get("jti")
        if isinstance(jti, str) and await self.revocations.is_revoked(jti):
            raise Unauthenticated("token revoked")
        try:
            return external_principal(claims, issuer)
        except (ValueError, TypeError) as exc:
            raise Unauthenticated(f"invalid claim: {exc}") from None

    # -- shared --------------------------------------------------------------------------------

    def _decode(self, token: str, key: Any, alg: str, iss: str, aud: str) -> dict[str, Any]:
        # A token whose signature this key verified once verifies again: remember the claims
        # (per token text and key object; times, issuer and audience are checked every time).
        cached = self._verified.get(token)
        if cached is not None and cached[0] is key and cached[1] == alg:
            claims = cached[2]
        else:
            try:
                claims = jwt.decode(token, key, algorithms=[alg]).claims
            except BadSignatureError:
                raise Unauthenticated("bad signature") from None
            except (JoseError, ValueError, TypeError) as exc:
                log.info("token refused by the JOSE layer: %s", exc)
                raise Unauthenticated("invalid token") from None
            self._verified[token] = (key, alg, claims)
        try:
            self._claims.validate(claims)
        except ExpiredTokenError:
            raise Unauthenticated("token expired") from None
        except MissingClaimError as exc:
            raise Unauthenticated(f"missing claim {exc.claim}") from None
        except JoseError as exc:
            claim = getattr(exc, "claim", "")
            reason = "token not yet valid" if claim in ("nbf", "iat") else f"invalid claim {claim}"
            raise Unauthenticated(reason) from None
        if claims.get("iss") != iss:
            raise Unauthenticated("wrong issuer")
        audience = claims.get("aud")
        if not (audience == aud or (isinstance(audience, list) and aud in audience)):
            raise Unauthenticated("wrong audience")
        return claims


@functools.lru_cache(maxsize=4096)
def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload before verification: only to route the token to its issuer. A caller
    sends the same token for many requests; the dicts returned are shared, never changed."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("malformed token")
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthenticated("malformed token")
    try:
        header, payload = (json.loads(_b64decode(p)) for p in parts[:2])
    except (ValueError, UnicodeDecodeError):
        raise Unauthenticated("malformed token") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Unauthenticated("malformed token")
    return header, payload


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _pinned_alg(header: dict[str, Any], allowed: Iterable[str]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in tuple(allowed):
        raise Unauthenticated("algorithm not allowed")
    if "crit" in header:
        raise Unauthenticated("unsupported critical header")
    return alg


def _typ(header: dict[str, Any]) -> str | None:
    typ = header.get("typ")
    return typ.lower() if isinstance(typ, str) else typ


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)

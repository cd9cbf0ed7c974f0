"""Every forged, stale or misdirected token is refused with 401 UNAUTHENTICATED (never a 500),
and identity never comes from request headers. Runs on SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from hub.auth.clients import revoke_client
from hub.auth.jwks import JwksCache
from hub.auth.keys import KeyStore
from hub.auth.tokens import issue_access_token
from hub.auth.verify import TokenVerifier
from hub.config import TrustedIssuer
from hub.errors import Unauthenticated
from tests.auth_harness import AUDIENCE, ISSUER, Harness, b64url, harness, parts

CITIZEN_ID = "640104199003070030"  # valid GB 11643 number, Yinchuan Xingqing district


def _claims(h: Harness, **changes: Any) -> dict[str, Any]:
    now = int(h.clock.now().timestamp())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "someone",
        "client_id": "mzhub-dev",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j" * 32,
        "scope": "approvals:decide",
        "department": "public_security",
        "division": "640104000000",
        "roles": ["partner"],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _dev_token(h: Harness, **kwargs: Any) -> str:
    options: dict[str, Any] = {
        "subject": "dev",
        "client_id": "mzhub-dev",
        "department": "public_security",
        "division": "640104000000",
        "roles": ["partner"],
        "scopes": ["approvals:decide"],
    }
    options.update(kwargs)
    return issue_access_token(h.keys, h.services.settings, h.clock, **options)[0]


async def _refused(h: Harness, token: str, reason: str | None = None) -> None:
    response = await h.graphql(token)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    if reason is not None:
        assert reason in body["errors"][0]["message"]


@pytest.fixture
async def h(db_url: str, keys_dir: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, keys_dir) as hub:
        yield hub


# -- the hub's own tokens ----------------------------------------------------------------------


async def test_valid_hub_token_maps_to_principal(h: Harness) -> None:
    response = await h.graphql(_dev_token(h))
    assert response.status_code == 200
    me = response.json()["data"]["me"]
    assert me["department"] == "public_security"
    assert me["division"] == "640104000000"
    assert me["roles"] == ["partner"] and me["scopes"] == ["approvals:decide"]


async def test_alg_none_is_refused(h: Harness) -> None:
    header = {"alg": "none", "typ": "at+jwt", "kid": h.keys.current_kid}
    await _refused(h, f"{b64url(header)}.{b64url(_claims(h))}.", "algorithm")


async def test_hs256_signed_with_the_public_key_is_refused(h: Harness) -> None:
    public = ECKey.import_key(h.keys.jwks()["keys"][0])
    secrets = [public.as_pem(private=False), json.dumps(h.keys.jwks()["keys"][0]).encode()]
    for secret in secrets:
        header = {"alg": "HS256", "typ": "at+jwt", "kid": h.keys.current_kid}
        signing_input = f"{b64url(header)}.{b64url(_claims(h))}"
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        await _refused(h, f"{signing_input}.{b64url(mac)}", "algorithm")


async def test_tampered_payload_is_refused(h: Harness) -> None:
    token = _dev_token(h)
    head, claims, signature = parts(token)
    claims["roles"] = ["admin"]
    claims["department"] = "civil_affairs"
    await _refused(h, f"{b64url(head)}.{b64url(claims)}.{signature}", "signature")


async def test_expired_token_is_refused_after_the_leeway(h: Harness) -> None:
    token = _dev_token(h, ttl_seconds=60)
    h.clock.advance(timedelta(seconds=60 + 30))
    assert (await h.graphql(token)).status_code == 200  # inside the 60 s leeway
    h.clock.advance(timedelta(seconds=31))
    await _refused(h, token, "expired")


async def test_not_yet_valid_token_is_refused(h: Harness) -> None:
    token = _dev_token(h)
    h.clock.advance(timedelta(seconds=-120))
    await _refused(h, token, "not yet valid")


async def test_wrong_issuer_is_refused(h: Harness) -> None:
    token = h.keys.sign(_claims(h, iss="https://evil.example"), {"typ": "at+jwt"})
    await _refused(h, token, "issuer")


async def test_wrong_audience_is_refused(h: Harness) -> None:
    for audience in ("other-api", ["other-api", "more"]):
        token = h.keys.sign(_claims(h, aud=audience), {"typ": "at+jwt"})
        await _refused(h, token, "audience")


async def test_wrong_type_is_refused(h: Harness) -> None:
    for typ in ("JWT", "audit-checkpoint+jwt", None):
        header = {"typ": typ} if typ else {}
        await _refused(h, h.keys.sign(_claims(h), header), "type")


async def test_unknown_department_or_role_in_claims_is_refused(h: Harness) -> None:
    for changes in ({"department": "police"}, {"roles": ["root"]}, {"division": "64"}):
        await _refused(h, h.keys.sign(_claims(h, **changes), {"typ": "at+jwt"}), "claim")


async def test_unknown_kid_is_refused_after_one_key_reload(h: Harness) -> None:
    stranger = ECKey.generate_key("P-256")
    header = {"alg": "ES256", "typ": "at+jwt", "kid": stranger.thumbprint()}
    token = jwt.encode(header, _claims(h), stranger, algorithms=["ES256"])
    reloads: list[bool] = []
    original = h.keys.reload
    h.keys.reload = lambda: reloads.append(True) or original()  # type: ignore[method-assign]
    await _refused(h, token, "unknown key")
    assert len(reloads) == 1
    await _refused(h, token, "unknown key")  # throttled: no second reload right away
    assert len(reloads) == 1


async def test_token_from_another_replicas_new_key_is_accepted(h: Harness) -> None:
    other_replica = KeyStore.load(h.services.settings.keys_dir, create_if_missing=False)
    other_replica.rotate()
    token, _ = issue_access_token(
        other_replica, h.services.settings, h.clock, subject="s", client_id="mzhub-dev",
        department="health", division="640000000000", roles=["supervisor"], scopes=[],
    )  # fmt: skip
    assert (await h.graphql(token)).status_code == 200


async def test_revoked_token_is_refused(h: Harness) -> None:
    client_id, secret = await h.register()
    token = await h.access_token(client_id, secret)
    assert (await h.graphql(token)).status_code == 200
    response = await h.client.post("/oauth/revoke", data={"token": token}, auth=(client_id, secret))
    assert response.status_code == 200
    await _refused(h, token, "revoked")


async def test_token_of_a_revoked_client_is_refused(h: Harness) -> None:
    client_id, secret = await h.register()
    token = await h.access_token(client_id, secret)
    assert (await h.graphql(token)).status_code == 200
    async with h.services.sessions() as session:
        await revoke_client(session, h.clock, client_id)
        await session.commit()
    h.clock.advance(timedelta(seconds=6))  # past the brief cache of the client's standing
    await _refused(h, token, "client revoked")
    assert (await h.token(client_id, secret)).status_code == 401


async def test_development_token_is_refused_in_production(db_url: str, keys_dir: Path) -> None:
    async with harness(db_url, keys_dir, settings_overrides={"env": "production"}) as prod:
        await _refused(prod, _dev_token(prod), "production")


@pytest.mark.parametrize(
    "value",
    [
        b"Bearer",
        b"Bearer ",
        b"Bearer  ",
        b"Basic dXNlcjpwYXNz",
        b"Token abc",
        b"Bearer a b",
        b"Bearer !!!",
        b"Bearer abc.def.ghi",
        b"Bearer abc.def",
        b"Bearer " + b"a" * 10000,
        b"Bearer eyJhbGciOiJFUzI1NiJ9.e30.",
        b"Bearer \xff\xfe",
        b"Bearer e30.bm90IGpzb24.c2ln",
    ],
)
async def test_malformed_authorization_header_is_401_never_500(h: Harness, value: bytes) -> None:
    response = await h.client.post("/graphql", json={}, headers=[(b"authorization", value)])
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_two_authorization_headers_are_refused(h: Harness) -> None:
    token = _dev_token(h).encode()
    headers = [(b"authorization", b"Bearer " + token), (b"authorization", b"Bearer " + token)]
    assert (await h.client.post("/graphql", json={}, headers=headers)).status_code == 401


async def test_tokens_are_ignored_outside_graphql(h: Harness) -> None:
    response = await h.client.get("/healthz", headers={"Authorization": "Bearer junk"})
    assert response.status_code == 200


async def test_identity_headers_are_ignored_and_logged(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    injected = {
        "X-Department": "civil_affairs",
        "X-Division": "640000000000",
        "X-Roles": "admin",
        "X-Scopes": "admin",
    }
    with caplog.at_level(logging.WARNING, logger="hub.auth.middleware"):
        me = (await h.graphql(_dev_token(h), **injected)).json()["data"]["me"]
        anonymous = (await h.graphql(None, **injected)).json()["data"]["me"]
    assert me["department"] == "public_security" and me["division"] == "640104000000"
    assert me["roles"] == ["partner"] and me["scopes"] == ["approvals:decide"]
    assert anonymous is None
    assert any("x-department" in r.getMessage() for r in caplog.records)


async def test_websocket_upgrade_is_not_refused_but_carries_the_verifier(h: Harness) -> None:
    from hub.auth.middleware import AuthMiddleware

    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope)

    middleware = AuthMiddleware(app, lambda: h.verifier)
    scope = {"type": "websocket", "path": "/graphql", "headers": [(b"authorization", b"Bearer x")]}
    await middleware(scope, None, None)  # type: ignore[arg-type]
    assert seen["principal"] is None and seen["verifier"] is h.verifier and seen["auth_error"]
    with pytest.raises(Unauthenticated):
        await seen["verifier"].verify("x")


# -- a second, independent issuer over real HTTP -----------------------------------------------


class _Idp:
    """An external OIDC provider: its own RSA key and a JWKS served on a loopback port."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "idp-1"})
        self.issuer = "https://idp.region.test/realms/gov"
        self.requests = 0
        self.jwks = {"keys": [{**self.key.as_dict(private=False), "use": "sig"}]}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                idp.requests += 1
                body = json.dumps(idp.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        head = {"alg": "RS256", "typ": "JWT", "kid": "idp-1", **header}
        return jwt.encode(head, claims, self.key, algorithms=[head["alg"]])


@pytest.fixture
def idp() -> Iterator[_Idp]:
    provider = _Idp()
    provider.thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


def _trusted(idp: _Idp) -> tuple[TrustedIssuer, ...]:
    staff = TrustedIssuer(
        issuer=idp.issuer,
        jwks_url=idp.url,
        audience="mzhub-api",
        algorithms=("RS256",),
        claims={"department": "dept", "division": "org.division", "roles": "realm_access.roles"},
    )
    citizens = TrustedIssuer(
        issuer=idp.issuer + "-citizens",
        jwks_url=idp.url,
        audience="mzhub-api",
        algorithms=("RS256",),
        claims={"id_number": "id_card"},
        defaults={"department": "civil_affairs", "division": "640000000000", "roles": "citizen"},
    )
    return staff, citizens


@pytest.fixture
async def ext(db_url: str, keys_dir: Path, idp: _Idp) -> AsyncIterator[Harness]:
    overrides = {"trusted_issuers": _trusted(idp)}
    cache = JwksCache(min_refresh_interval=30.0)
    async with harness(db_url, keys_dir, settings_overrides=overrides, jwks_cache=cache) as hub:
        yield hub


def _idp_claims(h: Harness, idp: _Idp, **changes: Any) -> dict[str, Any]:
    now = int(h.clock.now().timestamp())
    claims = {
        "iss": idp.issuer,
        "aud": ["mzhub-api", "account"],
        "sub": "f:7d1c:zhang.wei",
        "azp": "township-portal",
        "iat": now,
        "exp": now + 300,
        "jti": "idp-token-1",
        "scope": "openid profile cases:write",
        "dept": "CIVIL_AFFAIRS",
        "org": {"division": "640104001"},
        "realm_access": {"roles": ["clerk", "offline_access", "uma_authorization"]},
    }
    claims.update(changes)
    return claims


async def test_external_issuer_token_maps_to_principal(ext: Harness, idp: _Idp) -> None:
    response = await ext.graphql(idp.sign(_idp_claims(ext, idp)))
    assert response.status_code == 200, response.text
    me = response.json()["data"]["me"]
    assert me["issuer"] == idp.issuer and me["subject"] == "f:7d1c:zhang.wei"
    assert me["department"] == "civil_affairs" and me["division"] == "640104001000"
    assert me["roles"] == ["clerk"] and me["scopes"] == ["cases:write"]
    assert me["clientId"] == "township-portal"
    assert idp.requests == 1  # the JWKS is cached
    assert (await ext.graphql(idp.sign(_idp_claims(ext, idp)))).status_code == 200
    assert idp.requests == 1


async def test_citizen_issuer_defaults_cannot_be_overridden(ext: Harness, idp: _Idp) -> None:
    claims = _idp_claims(ext, idp, iss=idp.issuer + "-citizens", id_card=CITIZEN_ID)
    claims.update(department="finance", roles=["admin"], division="640000000000")
    me = (await ext.graphql(idp.sign(claims))).json()["data"]["me"]
    assert me["roles"] == ["citizen"] and me["department"] == "civil_affairs"
    assert me["idNumber"] == CITIZEN_ID
    del claims["id_card"]
    await _refused(ext, idp.sign(claims), "id number")


async def test_external_token_with_unpinned_algorithm_is_refused(ext: Harness, idp: _Idp) -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "idp-1"})
    header = {"alg": "ES256", "typ": "JWT", "kid": "idp-1"}
    await _refused(ext, jwt.encode(header, _idp_claims(ext, idp), ec, algorithms=["ES256"]))
    pem = idp.key.as_pem(private=False)
    signing_input = f"{b64url({'alg': 'HS256', 'kid': 'idp-1'})}.{b64url(_idp_claims(ext, idp))}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    await _refused(ext, f"{signing_input}.{b64url(mac)}", "algorithm")


async def test_external_token_checks(ext: Harness, idp: _Idp) -> None:
    await _refused(ext, idp.sign(_idp_claims(ext, idp, aud="someone-else")), "audience")
    await _refused(ext, idp.sign(_idp_claims(ext, idp), typ="logout+jwt"), "type")
    await _refused(ext, idp.sign(_idp_claims(ext, idp, dept="police")), "claim")
    expired = _idp_claims(ext, idp, exp=int(ext.clock.now().timestamp()) - 120)
    await _refused(ext, idp.sign(expired), "expired")


async def test_external_unknown_kid_refreshes_jwks_once_then_refuses(
    ext: Harness, idp: _Idp
) -> None:
    assert (await ext.graphql(idp.sign(_idp_claims(ext, idp)))).status_code == 200
    ext.verifier.jwks.min_refresh_interval = 0.0
    await _refused(ext, idp.sign(_idp_claims(ext, idp), kid="idp-unknown"), "unknown key")
    assert idp.requests == 2  # the first fetch plus exactly one refresh
    ext.verifier.jwks.min_refresh_interval = 30.0
    await _refused(ext, idp.sign(_idp_claims(ext, idp), kid="idp-other"), "unknown key")
    assert idp.requests == 2  # refreshes are rate-limited


async def test_external_key_rotation_is_picked_up_on_unknown_kid(ext: Harness, idp: _Idp) -> None:
    assert (await ext.graphql(idp.sign(_idp_claims(ext, idp)))).status_code == 200
    new_key = RSAKey.generate_key(2048, parameters={"kid": "idp-2"})
    idp.jwks["keys"].append({**new_key.as_dict(private=False), "use": "sig"})
    ext.verifier.jwks.min_refresh_interval = 0.0
    header = {"alg": "RS256", "typ": "JWT", "kid": "idp-2"}
    token = jwt.encode(header, _idp_claims(ext, idp), new_key, algorithms=["RS256"])
    assert (await ext.graphql(token)).status_code == 200


async def test_verifier_refuses_unknown_issuers_directly(h: Harness, idp: _Idp) -> None:
    verifier = TokenVerifier(h.services.settings, h.keys, h.clock, h.verifier.revocations)
    with pytest.raises(Unauthenticated, match="unknown issuer"):
        await verifier.verify(idp.sign(_idp_claims(h, idp)))
    assert idp.requests == 0  # an untrusted issuer's keys are never fetched

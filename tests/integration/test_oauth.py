"""The OAuth endpoints over HTTP and the `mzhub client|keys|token` commands, on each engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hub.auth.cli import client_app, keys_app, token_command
from hub.auth.clients import authenticate_client
from hub.auth.keys import KeyStore
from hub.auth.tokens import issue_access_token
from hub.config import Settings
from hub.domain.clock import FixedClock, SystemClock
from hub.errors import Unauthenticated
from tests.auth_harness import ISSUER, Harness, harness, make_services, parts


@pytest.fixture
async def h(db_url: str, keys_dir: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, keys_dir) as hub:
        yield hub


def _error(response: object) -> str:
    return str(response.json()["error"])  # type: ignore[attr-defined]


# -- token endpoint ----------------------------------------------------------------------------


async def test_client_credentials_with_basic_auth(h: Harness) -> None:
    client_id, secret = await h.register(scopes=("approvals:decide", "cases:write"))
    response = await h.token(client_id, secret)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "approvals:decide cases:write"
    header, claims, _ = parts(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    assert header["kid"] == h.keys.current_kid
    assert claims["client_id"] == client_id and claims["department"] == "public_security"
    assert claims["division"] == "640104000000" and claims["roles"] == ["partner"]
    principal = await h.verifier.verify(body["access_token"])
    assert principal.client_id == client_id and principal.issuer == ISSUER
    assert h.audit_events[-1] == {"outcome": "issued", "client_id": client_id, "reason": None}


async def test_client_credentials_with_post_auth(h: Harness) -> None:
    client_id, secret = await h.register()
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    response = await h.client.post("/oauth/token", data=data)
    assert response.status_code == 200
    assert (await h.graphql(response.json()["access_token"])).status_code == 200


async def test_requested_scopes_are_narrowed_to_the_clients(h: Harness) -> None:
    client_id, secret = await h.register(scopes=("approvals:decide", "cases:write"))
    narrowed = await h.token(client_id, secret, scope="cases:write")
    assert narrowed.json()["scope"] == "cases:write"
    assert (await h.token(client_id, secret, scope="")).json()["scope"].split() == [
        "approvals:decide",
        "cases:write",
    ]
    refused = await h.token(client_id, secret, scope="cases:write admin")
    assert refused.status_code == 400 and _error(refused) == "invalid_scope"
    assert h.audit_events[-1]["outcome"] == "refused"


async def test_invalid_client_is_401_with_a_challenge(h: Harness) -> None:
    client_id, secret = await h.register()
    for auth in ((client_id, secret + "x"), ("mzc_unknown", secret), (client_id, "")):
        response = await h.token(*auth)
        assert response.status_code == 401 and _error(response) == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
    anonymous = await h.client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert anonymous.status_code == 401 and _error(anonymous) == "invalid_client"
    bad_basic = await h.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!notbase64"},
    )
    assert bad_basic.status_code == 401
    assert {e["reason"] for e in h.audit_events} >= {"client authentication failed"}


async def test_unsupported_grant_type(h: Harness) -> None:
    client_id, secret = await h.register()
    for grant in ("password", "authorization_code", "refresh_token"):
        response = await h.token(client_id, secret, grant_type=grant)
        assert response.status_code == 400 and _error(response) == "unsupported_grant_type"


async def test_invalid_request(h: Harness) -> None:
    client_id, secret = await h.register()
    no_grant = await h.client.post("/oauth/token", data={"scope": ""}, auth=(client_id, secret))
    as_json = await h.client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    two_methods = await h.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        auth=(client_id, secret),
    )
    repeated = await h.client.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client_id, secret),
    )
    too_big = await h.client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "padding": "a" * 20_000},
        auth=(client_id, secret),
    )
    for response in (no_grant, as_json, two_methods, repeated, too_big):
        assert response.status_code == 400 and _error(response) == "invalid_request"


async def test_rate_limit_per_client_and_per_address(db_url: str, keys_dir: Path) -> None:
    limits = {"client_rate_per_minute": 2, "address_rate_per_minute": 4}
    async with harness(db_url, keys_dir, rate_limits=limits) as h:
        client_id, secret = await h.register()
        assert [(await h.token(client_id, secret)).status_code for _ in range(2)] == [200, 200]
        limited = await h.token(client_id, secret)
        assert limited.status_code == 429 and _error(limited) == "slow_down"
        assert int(limited.headers["retry-after"]) >= 1
        other_id, other_secret = await h.register(name="other")
        assert (await h.token(other_id, other_secret)).status_code == 200
        by_address = await h.token(other_id, other_secret)
        assert by_address.status_code == 429  # the address's fifth request this minute


async def test_audit_failure_means_no_token(h: Harness) -> None:
    client_id, secret = await h.register()

    async def broken(session: object, **event: object) -> None:
        raise RuntimeError("audit store down")

    h.services.extras["audit_token_event"] = broken
    response = await h.token(client_id, secret)
    assert response.status_code == 500 and "access_token" not in response.json()


# -- revocation, introspection, metadata -------------------------------------------------------


async def test_revoke(h: Harness) -> None:
    client_id, secret = await h.register()
    token = await h.access_token(client_id, secret)
    other_id, other_secret = await h.register(name="other")
    # Another client cannot revoke it (answered 200, nothing done); its owner can.
    assert (
        await h.client.post("/oauth/revoke", data={"token": token}, auth=(other_id, other_secret))
    ).status_code == 200
    assert (await h.graphql(token)).status_code == 200
    unauthenticated = await h.client.post("/oauth/revoke", data={"token": token})
    assert unauthenticated.status_code == 401
    for value in (token, "not-a-token", token):
        response = await h.client.post(
            "/oauth/revoke", data={"token": value}, auth=(client_id, secret)
        )
        assert response.status_code == 200
    assert (await h.graphql(token)).status_code == 401


async def test_introspect_active_and_inactive(h: Harness) -> None:
    client_id, secret = await h.register(scopes=("approvals:decide",))
    token = await h.access_token(client_id, secret)

    async def introspect(value: str, auth: tuple[str, str]) -> dict[str, object]:
        response = await h.client.post("/oauth/introspect", data={"token": value}, auth=auth)
        assert response.status_code == 200
        return dict(response.json())

    active = await introspect(token, (client_id, secret))
    assert active["active"] is True and active["client_id"] == client_id
    assert active["scope"] == "approvals:decide" and active["department"] == "public_security"
    assert await introspect("garbage", (client_id, secret)) == {"active": False}
    other_id, other_secret = await h.register(name="other")
    assert await introspect(token, (other_id, other_secret)) == {"active": False}
    h.clock.advance(timedelta(seconds=700))
    assert await introspect(token, (client_id, secret)) == {"active": False}
    missing = await h.client.post("/oauth/introspect", data={}, auth=(client_id, secret))
    assert missing.status_code == 400 and _error(missing) == "invalid_request"


async def test_metadata_and_jwks(h: Harness) -> None:
    metadata = (await h.client.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == ISSUER
    assert metadata["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    response = await h.client.get("/.well-known/jwks.json")
    assert "max-age=300" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert [k["kid"] for k in keys] == [h.keys.current_kid]
    assert keys[0]["alg"] == "ES256" and "d" not in keys[0]


async def test_key_rotation_keeps_old_tokens_valid(h: Harness) -> None:
    client_id, secret = await h.register()
    old_token = await h.access_token(client_id, secret)
    old_kid = h.keys.current_kid
    h.keys.rotate()
    new_token = await h.access_token(client_id, secret)
    assert parts(new_token)[0]["kid"] == h.keys.current_kid != old_kid
    assert (await h.graphql(old_token)).status_code == 200
    assert (await h.graphql(new_token)).status_code == 200
    kids = [k["kid"] for k in (await h.client.get("/.well-known/jwks.json")).json()["keys"]]
    assert kids == [h.keys.current_kid, old_kid]


def test_keys_older_than_the_retention_are_retired(keys_dir: Path) -> None:
    clock = FixedClock(SystemClock().now())
    keys = KeyStore.load(keys_dir, create_if_missing=True, clock=clock, retention_seconds=660)
    first = keys.current_kid
    keys.rotate()
    clock.advance(timedelta(seconds=700))
    keys.rotate()
    assert first not in keys.kids() and len(keys.kids()) == 2
    assert [k["kid"] for k in keys.retired_jwks()["keys"]] == [first]
    assert not any(first in p.name for p in keys_dir.glob("*.jwk.json"))
    reloaded = KeyStore.load(keys_dir, create_if_missing=False)
    assert reloaded.current_kid == keys.current_kid


def test_production_refuses_a_missing_key_directory(tmp_path: Path) -> None:
    from hub.errors import ConfigError

    with pytest.raises(ConfigError, match="HUB_KEYS_DIR"):
        KeyStore.load(tmp_path / "absent", create_if_missing=False)


# -- the CLI -----------------------------------------------------------------------------------


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(client_app, name="client")
    app.add_typer(keys_app, name="keys")
    app.command("token")(token_command)
    return app


def _invoke(args: list[str], db_url: str, keys_dir: Path, **env: str):  # type: ignore[no-untyped-def]
    environment = {"HUB_DATABASE_URL": db_url, "HUB_KEYS_DIR": str(keys_dir), **env}
    return CliRunner().invoke(_cli(), args, env=environment)


CREATE = [
    "client", "create", "--name", "Public security bureau", "--department", "public_security",
    "--division", "640104000000", "--roles", "partner", "--scopes", "approvals:decide", "--json",
]  # fmt: skip


def test_cli_client_lifecycle(db_url: str, keys_dir: Path) -> None:
    created = _invoke(CREATE, db_url, keys_dir)
    assert created.exit_code == 0, created.output
    out = json.loads(created.stdout)
    client_id, secret = out["client_id"], out["client_secret"]
    assert client_id.startswith("mzc_") and len(secret) >= 40

    listed = json.loads(_invoke(["client", "list", "--json"], db_url, keys_dir).stdout)
    assert [c["client_id"] for c in listed] == [client_id]
    assert listed[0]["roles"] == ["partner"] and "secret" not in json.dumps(listed)

    rotated = _invoke(["client", "rotate", client_id, "--json"], db_url, keys_dir)
    new_secret = json.loads(rotated.stdout)["client_secret"]
    assert new_secret != secret

    settings = Settings(database_url=db_url, keys_dir=keys_dir, issuer=ISSUER)

    async def before_revocation() -> str:
        services = make_services(settings, FixedClock(SystemClock().now()))
        try:
            async with services.sessions() as session:
                assert await authenticate_client(session, client_id, secret) is None
                assert await authenticate_client(session, client_id, new_secret) is not None
            token, _ = issue_access_token(
                services.keys, settings, services.clock, subject=client_id,
                client_id=client_id, department="public_security", division="640104000000",
                roles=["partner"], scopes=[],
            )  # fmt: skip
            await services.verifier.verify(token)
            return token
        finally:
            await services.engine.dispose()

    async def after_revocation(token: str) -> None:
        services = make_services(settings, FixedClock(SystemClock().now()))
        try:
            with pytest.raises(Unauthenticated, match="client revoked"):
                await services.verifier.verify(token)
            async with services.sessions() as session:
                assert await authenticate_client(session, client_id, new_secret) is None
        finally:
            await services.engine.dispose()

    token = asyncio.run(before_revocation())
    revoked = _invoke(["client", "revoke", client_id], db_url, keys_dir)
    assert revoked.exit_code == 0 and client_id in revoked.stdout
    asyncio.run(after_revocation(token))
    listed = json.loads(_invoke(["client", "list", "--json"], db_url, keys_dir).stdout)
    assert listed[0]["revoked_at"] is not None


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--department", "CivilAffairs", "unknown department"),
        ("--division", "6401", "12-digit"),
        ("--roles", "partner,root", "unknown role"),
        ("--scopes", "approvals:decide everything", "unknown scope"),
    ],
)
def test_cli_bad_values_exit_2_and_write_nothing(
    db_url: str, keys_dir: Path, option: str, value: str, message: str
) -> None:
    args = list(CREATE)
    args[args.index(option) + 1] = value
    result = _invoke(args, db_url, keys_dir)
    assert result.exit_code == 2 and message in result.stderr
    assert json.loads(_invoke(["client", "list", "--json"], db_url, keys_dir).stdout) == []


def test_cli_unknown_client_exits_1(db_url: str, keys_dir: Path) -> None:
    result = _invoke(["client", "revoke", "mzc_nobody"], db_url, keys_dir)
    assert result.exit_code == 1 and "no client" in result.stderr


def test_cli_token_and_key_rotation(db_url: str, keys_dir: Path) -> None:
    args = ["token", "--department", "civil_affairs", "--division", "640104001000",
            "--roles", "clerk,reviewer", "--scopes", "", "--ttl", "120"]  # fmt: skip
    result = _invoke(args, db_url, keys_dir)
    assert result.exit_code == 0, result.output
    header, claims, _ = parts(result.stdout.strip())
    assert claims["roles"] == ["clerk", "reviewer"] and claims["scope"] == ""
    assert claims["exp"] - claims["iat"] == 120
    rotated = json.loads(_invoke(["keys", "rotate", "--json"], db_url, keys_dir).stdout)
    assert rotated["kid"] != header["kid"] and rotated["published"][-1] == rotated["kid"]
    assert header["kid"] in rotated["published"]
    refused = _invoke(args, db_url, keys_dir, HUB_ENV="production")
    assert refused.exit_code == 1 and "production" in refused.stderr
    bad = _invoke([*args[:-2], "--ttl", "999999"], db_url, keys_dir)
    assert bad.exit_code == 2

"""Two `mzhub serve` processes on one PostgreSQL database, and clients for HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect

from hub.auth.keys import KeyStore
from hub.auth.tokens import issue_access_token
from hub.config import Settings
from hub.domain.clock import SystemClock

ISSUER = "http://hub.replicas.test"
MZHUB = str(Path(sys.executable).parent / "mzhub")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    """One hub process; its output goes to a log file read back when a test fails."""

    def __init__(self, name: str, db_url: str, keys_dir: Path, log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "HUB_DATABASE_URL": db_url,
            "HUB_KEYS_DIR": str(keys_dir),
            "HUB_ISSUER": ISSUER,
            "HUB_ENV": "development",
        }
        env.pop("HUB_REDIS_URL", None)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [MZHUB, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} exited:\n{self.output()}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready in {within} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@contextlib.contextmanager
def two_replicas(db_url: str, keys_dir: Path, log_dir: Path) -> Iterator[tuple[Replica, Replica]]:
    replicas: list[Replica] = []
    try:
        replicas = [Replica(n, db_url, keys_dir, log_dir) for n in ("a", "b")]
        for replica in replicas:
            replica.wait_ready()
        yield replicas[0], replicas[1]
    finally:
        for replica in replicas:
            replica.stop()


def token(
    keys_dir: Path, department: str, division: str, roles: tuple[str, ...], scopes: tuple[str, ...],
    subject: str,
) -> str:  # fmt: skip
    """A hub-signed token on the real clock (the replicas verify with it)."""
    settings = Settings(keys_dir=keys_dir, issuer=ISSUER)
    keys = KeyStore.load(keys_dir, create_if_missing=False, clock=SystemClock())
    found, _ = issue_access_token(
        keys, settings, SystemClock(), subject=subject, client_id="replica-test",
        department=department, division=division, roles=list(roles), scopes=list(scopes),
    )  # fmt: skip
    return found


async def gql(
    client: httpx.AsyncClient, replica: Replica, query: str, bearer: str, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{replica.base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=20,
    )
    try:
        return dict(response.json())
    except ValueError:
        return {"status": response.status_code, "text": response.text}


@contextlib.asynccontextmanager
async def subscription(replica: Replica, bearer: str, query: str, **variables: Any) -> Any:
    """A graphql-transport-ws stream on `replica`, acknowledged and subscribed."""
    url = f"ws://127.0.0.1:{replica.port}/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {bearer}"}}
            )
        )
        assert (await receive(ws))["type"] == "connection_ack"
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


async def receive(ws: ClientConnection, within: float = 15.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), within)))


def admin_sql(db_url: str, *statements: str) -> None:
    """Run statements from an admin connection to the server's `postgres` database."""
    url = make_url(db_url).set(drivername="postgresql+psycopg2", database="postgres")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()

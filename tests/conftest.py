"""Shared fixtures: a fresh migrated database per engine, the ASGI app, and token helpers.

Every test that takes `db_url` runs on SQLite and, when HUB_TEST_POSTGRES_URL is set, on
PostgreSQL too (a fresh database per test session, dropped at the end). Tests marked
`postgres` run on PostgreSQL only.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.db.migrate import upgrade
from tests.factories import Hub, World, build_world
from tests.helpers import GraphQL

POSTGRES_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "")


def _engines() -> list[str]:
    return ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="HUB_TEST_POSTGRES_URL is not set")
    for item in items:
        if "postgres" in item.keywords and not POSTGRES_URL:
            item.add_marker(skip_pg)


def _create_pg_database(name: str, template: str | None = None) -> str:
    admin = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    admin = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


_templates: dict[str, str] = {}


def _migrated_template(engine: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database per engine and test run; each test gets a copy of it."""
    if engine not in _templates:
        if engine == "sqlite":
            path = tmp_path_factory.mktemp("template") / "template.db"
            upgrade(f"sqlite+aiosqlite:///{path}")
            _templates[engine] = str(path)
        else:
            name = f"mzhub_tpl_{uuid.uuid4().hex[:12]}"
            upgrade(_create_pg_database(name))
            _templates[engine] = name
    return _templates[engine]


def fresh_database(
    engine: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A newly migrated, empty database of the given engine; yields its async URL."""
    template = _migrated_template(engine, tmp_path_factory)
    if engine == "sqlite":
        target = tmp_path / "hub.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"mzhub_test_{uuid.uuid4().hex[:12]}"
    url = _create_pg_database(name, template=template)
    try:
        yield url
    finally:
        _drop_pg_database(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "postgres" in _templates:
        _drop_pg_database(_templates.pop("postgres"))


@pytest.fixture(params=_engines())
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(
    engine_name: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, migrated, empty database (one per test) on each engine."""
    yield from fresh_database(engine_name, tmp_path, tmp_path_factory)


@pytest.fixture
def pg_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated, empty PostgreSQL database (tests marked `postgres`)."""
    if not POSTGRES_URL:
        pytest.skip("HUB_TEST_POSTGRES_URL is not set")
    yield from fresh_database("postgres", tmp_path, tmp_path_factory)


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    path.mkdir()
    return path


# -- the app over HTTP ------------------------------------------------------------------------


@pytest.fixture
async def hub(db_url: str, keys_dir: Path) -> AsyncIterator[Hub]:
    """The ASGI app on a fresh database, with a fixed clock."""
    hub = Hub(db_url, keys_dir)
    yield hub
    await hub.services.engine.dispose()


@pytest.fixture
async def world(hub: Hub) -> World:
    """A small hand-made world whose right answers are known (tests/factories.py)."""
    async with hub.services.sessions() as session:
        return await build_world(session)


@pytest.fixture
async def client(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=hub.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as c:
        yield c


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    """POST a GraphQL document as a caller holding `token`; returns the JSON body."""

    async def call(query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    return call

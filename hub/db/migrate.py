"""Run and check alembic migrations from the CLI and at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, pool

from hub.db.engine import sync_url, use_wal
from hub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
    if make_url(database_url).get_backend_name() == "sqlite":
        _use_wal_now(database_url)


def _use_wal_now(database_url: str) -> None:
    """A SQLite file leaves migration in WAL mode, before any server or tool opens it."""
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            use_wal(conn.connection.cursor(), engine.dialect.loaded_dbapi.OperationalError)
    finally:
        engine.dispose()


def current_and_head(database_url: str) -> tuple[str | None, str | None]:
    cfg = alembic_config(database_url)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # the operator needs one line, not a traceback
        raise ConfigError(f"cannot reach the database at HUB_DATABASE_URL: {exc}") from exc
    finally:
        engine.dispose()
    return current, head


def ensure_migrated(database_url: str) -> None:
    """Stop start-up with one clear line when the schema is not at the latest migration."""
    current, head = current_and_head(database_url)
    if current != head:
        raise ConfigError(
            f"database schema is at revision {current or 'none'}, the hub needs {head}: "
            "run `mzhub db upgrade`"
        )

"""Alembic environment: runs migrations through a synchronous driver on SQLite or PostgreSQL."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import create_engine, pool

import hub.db.models  # noqa: F401  (registers every table on Base.metadata)
from hub.config import Settings
from hub.db.base import Base
from hub.db.engine import sync_url

config = context.config
# SQLite cannot reflect expression indexes; the one the models declare is PostgreSQL's only.
warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based")
target_metadata = Base.metadata


def _url() -> str:
    explicit = config.get_main_option("sqlalchemy.url")
    return explicit or sync_url(Settings.from_env().database_url)


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

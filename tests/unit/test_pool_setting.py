"""HUB_DB_POOL_SIZE: the connections each process keeps, validated at start-up."""

from __future__ import annotations

import pytest

from hub.config import Settings
from hub.db.engine import create_engine
from hub.errors import ConfigError

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/unused"  # no connection is made


def test_default_and_chosen_size_reach_the_pool() -> None:
    assert Settings.from_env({}).db_pool_size == 10
    settings = Settings.from_env({"HUB_DATABASE_URL": PG, "HUB_DB_POOL_SIZE": "24"})
    pool = create_engine(settings).sync_engine.pool
    assert (pool.size(), pool._max_overflow) == (24, 24)  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", ["0", "1", "-3", "ten", "2.5"])
def test_a_pool_too_small_or_not_a_number_stops_start_up(raw: str) -> None:
    with pytest.raises(ConfigError, match="HUB_DB_POOL_SIZE"):
        Settings.from_env({"HUB_DB_POOL_SIZE": raw})

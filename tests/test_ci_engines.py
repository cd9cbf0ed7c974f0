"""Under CI, the PostgreSQL half of the suite must run, never silently skip."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only enforced under CI")
def test_ci_runs_the_postgres_tests() -> None:
    url = os.environ.get("HUB_TEST_POSTGRES_URL")
    assert url, "CI must set HUB_TEST_POSTGRES_URL so the PostgreSQL tests run"
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg2"))
    with engine.connect() as conn:
        assert conn.execute(text("select 1")).scalar_one() == 1
    engine.dispose()

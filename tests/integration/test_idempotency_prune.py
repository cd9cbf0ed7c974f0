"""`mzhub db prune-idempotency`: kept results older than N days are forgotten, newer ones
kept; `--dry-run` only counts; a bad N is refused with a message (decision 0011)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models import IdempotencyRecord

runner = CliRunner()


async def _keep(db_url: str, ages_in_days: dict[str, float]) -> None:
    engine = create_engine(Settings(database_url=db_url))
    now = datetime.now(UTC)
    async with session_factory(engine)() as session, session.begin():
        for key, age in ages_in_days.items():
            session.add(
                IdempotencyRecord(
                    subject="clerk-1",
                    operation="submitCase",
                    key=key,
                    result={"caseId": key},
                    created_at=now - timedelta(days=age),
                )
            )
    await engine.dispose()


async def _keys(db_url: str) -> list[str]:
    engine = create_engine(Settings(database_url=db_url))
    async with session_factory(engine)() as session:
        keys = (await session.execute(select(IdempotencyRecord.key))).scalars().all()
    await engine.dispose()
    return sorted(keys)


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    asyncio.run(_keep(db_url, {"a-year-ago": 365, "last-month": 31, "last-week": 7, "now": 0}))
    return {"HUB_DATABASE_URL": db_url}


def test_results_older_than_the_days_given_are_forgotten(env: dict[str, str], db_url: str) -> None:
    result = runner.invoke(app, ["db", "prune-idempotency", "--older-than-days", "30"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("forgot 2 idempotency record(s) from before ")
    assert asyncio.run(_keys(db_url)) == ["last-week", "now"]
    again = runner.invoke(app, ["db", "prune-idempotency", "--older-than-days", "30"], env=env)
    assert again.stdout.startswith("forgot 0 idempotency record(s)")


def test_dry_run_counts_and_keeps_everything(env: dict[str, str], db_url: str) -> None:
    result = runner.invoke(
        app, ["db", "prune-idempotency", "--older-than-days", "5", "--dry-run"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("would forget 3 idempotency record(s) from before ")
    assert len(asyncio.run(_keys(db_url))) == 4


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_a_bad_number_of_days_is_refused_and_nothing_is_deleted(
    env: dict[str, str], db_url: str, days: str
) -> None:
    result = runner.invoke(app, ["db", "prune-idempotency", "--older-than-days", days], env=env)
    assert result.exit_code == 2
    assert "--older-than-days" in result.output
    assert len(asyncio.run(_keys(db_url))) == 4

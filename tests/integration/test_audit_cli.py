"""`mzhub audit verify|export|jwks`: exit codes, output forms and argument errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from hub.audit.checkpoints import CheckpointPolicy
from hub.audit.cli import audit_app
from hub.audit.events import Actor, AuditEntry
from hub.audit.recorder import record_standalone
from hub.auth.keys import KeyStore
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.domain.clock import FixedClock

runner = CliRunner()
EVERY_TWO = CheckpointPolicy(every_events=2, every_seconds=10**9)  # checkpoints at 1, 3, 5


async def _fill(db_url: str, keys_dir: Path, count: int) -> None:
    engine = create_engine(Settings(database_url=db_url))
    sessions, clock = session_factory(engine), FixedClock(datetime(2025, 3, 1, tzinfo=UTC))
    keys = KeyStore.load(keys_dir, create_if_missing=True)
    for n in range(count):
        entry = AuditEntry("QUERY", "OK", Actor(f"张三-{n}"), f"Op{n}", purpose="复核")
        await record_standalone(sessions, entry, clock, keys=keys, checkpoints=EVERY_TWO)
    await engine.dispose()


async def _execute(db_url: str, statement: str) -> None:
    engine = create_async_engine(db_url)
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(statement))
    await engine.dispose()


@pytest.fixture
def env(db_url: str, keys_dir: Path) -> dict[str, str]:
    asyncio.run(_fill(db_url, keys_dir, 5))
    return {"HUB_DATABASE_URL": db_url, "HUB_KEYS_DIR": str(keys_dir)}


def invoke(env: dict[str, str], *args: str) -> Result:
    return runner.invoke(audit_app, list(args), env=env)


def test_verify_exits_0_when_chain_and_checkpoints_hold(env) -> None:
    result = invoke(env, "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 5 events (seq 1..5), 3 checkpoints verified"


def test_verify_exits_1_naming_the_first_bad_seq(env, db_url) -> None:
    asyncio.run(_execute(db_url, "UPDATE audit_events SET purpose = 'x' WHERE seq = 3"))
    result = invoke(env, "verify")
    assert result.exit_code == 1
    assert result.stdout.startswith("FAILED at seq 3: hash does not match")


def test_verify_json_reports_the_failure_for_scripts(env, db_url) -> None:
    asyncio.run(_execute(db_url, "DELETE FROM audit_events WHERE seq = 2"))
    result = invoke(env, "verify", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["firstBadSeq"], report["count"]) == (False, 2, 1)


def test_export_after_seq_writes_json_lines_to_stdout(env) -> None:
    result = invoke(env, "export", "--after", "2")
    assert result.exit_code == 0, result.output
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [
        ("cp", d["checkpoint"]["seq"]) if "checkpoint" in d else ("ev", d["seq"]) for d in documents
    ]
    assert kinds == [("ev", 3), ("cp", 3), ("ev", 4), ("ev", 5), ("cp", 5)]
    assert documents[0]["actor"]["subject"] == "张三-2" and documents[0]["operationName"] == "Op2"


def test_export_without_checkpoints_has_only_event_lines(env) -> None:
    result = invoke(env, "export", "--no-checkpoints")
    assert [json.loads(line)["seq"] for line in result.stdout.splitlines()] == [1, 2, 3, 4, 5]


def test_exported_file_verifies_offline_with_the_jwks(env, tmp_path) -> None:
    export, jwks = tmp_path / "audit.jsonl", tmp_path / "jwks.json"
    assert invoke(env, "export", "--output", str(export)).exit_code == 0
    jwks.write_text(invoke(env, "jwks").stdout)
    offline = {"HUB_DATABASE_URL": "postgresql+asyncpg://nowhere.invalid/x"}  # never used
    result = invoke(offline, "verify", "--export", str(export), "--jwks", str(jwks))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 5 events (seq 1..5)")
    lines = export.read_text(encoding="utf-8").splitlines()
    export.write_text("\n".join(line.replace("复核", "无事") for line in lines) + "\n")
    result = invoke(offline, "verify", "--export", str(export), "--jwks", str(jwks))
    assert result.exit_code == 1 and result.stdout.startswith("FAILED at seq 1:")


def test_verify_with_a_held_checkpoint_catches_a_removed_tail(env, db_url, tmp_path) -> None:
    lines = invoke(env, "export").stdout.splitlines()
    held = json.loads(lines[-1])["checkpoint"]["jws"]  # the auditor kept the seq 5 checkpoint
    asyncio.run(_execute(db_url, "DELETE FROM audit_checkpoints WHERE seq >= 4"))
    asyncio.run(_execute(db_url, "DELETE FROM audit_events WHERE seq >= 4"))
    assert invoke(env, "verify").exit_code == 0
    result = invoke(env, "verify", "--checkpoint", held)
    assert result.exit_code == 1 and result.stdout.startswith("FAILED at seq 4:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "--after", "-1"), "--after"),
        (("verify", "--export", "missing.jsonl"), "--export needs --jwks"),
        (("verify", "--export", "missing.jsonl", "--jwks", "k.json"), "no such file"),
        (("verify", "--jwks", "missing.json"), "--jwks: no such file"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(env, args, message: str) -> None:
    result = invoke(env, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_jwks_file_that_is_not_json_exits_2(env, tmp_path) -> None:
    bad = tmp_path / "jwks.json"
    bad.write_text("not json")
    result = invoke(env, "verify", "--jwks", str(bad))
    assert result.exit_code == 2 and "not a JSON Web Key Set" in result.stderr


def test_a_missing_sqlite_database_exits_2_without_creating_it(tmp_path) -> None:
    database = tmp_path / "nothing.db"
    env = {"HUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}", "HUB_KEYS_DIR": str(tmp_path)}
    for command in ("verify", "export"):
        result = invoke(env, command)
        assert result.exit_code == 2 and "no such SQLite database" in result.stderr
    assert not database.exists()


def test_an_unsupported_database_url_exits_2(tmp_path) -> None:
    result = invoke({"HUB_DATABASE_URL": "mysql://x/y"}, "verify")
    assert result.exit_code == 2 and "HUB_DATABASE_URL" in result.stderr

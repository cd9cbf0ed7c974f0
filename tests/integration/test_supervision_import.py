"""`mzhub import ...`: a CSV file goes in whole or not at all, and every bad line is named."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli import app
from hub.config import Settings
from hub.db.engine import create_engine, session_factory
from hub.db.models import AuditEvent, FundingAllocation, ProxyPoint, TrainingRecord
from tests.integration import supervision_data as w


async def _with_session(db_url: str, work: Any) -> Any:
    engine = create_engine(Settings(database_url=db_url))
    try:
        async with session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


@pytest.fixture
def divisions(db_url: str) -> str:
    asyncio.run(_with_session(db_url, w.add_divisions))
    return db_url


def scalar(db_url: str, statement: Any) -> Any:
    async def run(session: Any) -> Any:
        return (await session.execute(statement)).scalar_one()

    return asyncio.run(_with_session(db_url, run))


def run_import(db_url: str, kind: str, path: Path, *options: str) -> Any:
    env = {"HUB_DATABASE_URL": db_url}
    return CliRunner().invoke(app, ["import", kind, str(path), *options], env=env)


def csv_file(tmp_path: Path, text: str, name: str = "records.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_is_imported_and_audited(divisions: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, (
        "village_code,agent_name,active_from,active_to\n"
        f"{w.V11},马代办,2020-01-01,\n"
        f"{w.V12},杨代办,2019-01-01,2026-06-30\n"
        "\n"
        f"{w.V21},丁代办,2026-12-01,\n"
    ))  # fmt: skip
    result = run_import(divisions, "proxy-points", path)
    assert result.exit_code == 0, result.output
    assert "imported 3 proxy-points record(s)" in result.output
    assert scalar(divisions, select(func.count()).select_from(ProxyPoint)) == 3
    event = scalar(divisions, select(AuditEvent).where(AuditEvent.operation_kind == "MUTATION"))
    assert event.operation_name == "import proxy-points"
    assert event.variables["rows"] == 3 and event.actor_subject.startswith("cli:")


def test_bad_lines_are_all_listed_and_nothing_is_written(divisions: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, (
        "division_code,person_kind,person_name,held_on,kind\n"
        f"{w.T1},STAFF,王专干,2026-03-10,ROTATION\n"        # line 2: good
        f"{w.T1},STAFF,王专干,2026-13-10,ROTATION\n"        # line 3: no 13th month
        f"{w.V11},STAFF,张,2026-03-10,ROTATION\n"           # line 4: staff train in a township
        f"{w.T1},COOK,李,2026-03-10,PARTY\n"                # line 5: two bad enums
        f"{w.T1},STAFF,王专干,2026-03-10\n"                 # line 6: a cell short
        "640104009000,STAFF,赵,2026-03-10,MEETING\n"       # line 7: no such township
        f'{w.V11},ASSISTANT,"张\n协理",2026-03-10,MEETING\n'  # lines 8-9: good (quoted newline)
        f"{w.V11},ASSISTANT,,2026-03-10,MEETING\n"          # line 10: no name
    ))  # fmt: skip
    result = run_import(divisions, "training", path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("records.csv")]
    assert [line.split(":")[1].split(",")[0].strip() for line in lines] == [
        "line 3", "line 4", "line 5", "line 5", "line 6", "line 7", "line 10",
    ]  # fmt: skip
    assert "held_on: must be a date written YYYY-MM-DD" in lines[0]
    assert "division_code: must be a township code" in lines[1]
    assert "no division 640104009000" in lines[5]
    assert "refused: 6 bad line(s); nothing was imported" in result.output
    assert scalar(divisions, select(func.count()).select_from(TrainingRecord)) == 0
    assert scalar(divisions, select(func.count()).select_from(AuditEvent)) == 0


def test_funding_repeats_in_the_file_or_the_database_are_refused(
    divisions: str, tmp_path: Path
) -> None:
    header = "township_code,year,population,amount,source\n"
    first = csv_file(tmp_path, header + f"{w.T1},2026,20000,40000,县级预算\n", "first.csv")
    assert run_import(divisions, "funding", first).exit_code == 0
    second = csv_file(tmp_path, header + (
        f"{w.T2},2026,40000,70000.00,县级预算\n"
        f"{w.T1},2026,20000,5000,县级预算\n"   # already stored
        f"{w.T2},2026,40000,100,县级预算\n"    # repeats line 2
        f"{w.T3},2026,60000,-5,县级预算\n"     # negative amount
    ), "second.csv")  # fmt: skip
    result = run_import(divisions, "funding", second, "--json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["imported"] == 0
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, None),
        (4, None),
        (5, "amount"),
    ]
    assert "already exists" in body["errors"][0]["message"]
    assert "repeats the township_code, year, source of line 2" in body["errors"][1]["message"]
    assert scalar(divisions, select(func.count()).select_from(FundingAllocation)) == 1


def test_a_wrong_header_is_refused_on_line_one(divisions: str, tmp_path: Path) -> None:
    path = csv_file(tmp_path, f"village,name,appointed\n{w.V11},张协理,2019-03-01\n")
    result = run_import(divisions, "assistants", path)
    assert result.exit_code == 1
    assert "line 1: the header must name the columns village_code, name, appointed_on" in (
        result.output
    )


def test_an_unreadable_file_is_refused(divisions: str, tmp_path: Path) -> None:
    result = run_import(divisions, "staff-posts", tmp_path / "missing.csv")
    assert result.exit_code == 1 and "no such file" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"township_code,title,holder_name,kind\n" + b"\xff\xfe\n")
    assert run_import(divisions, "staff-posts", latin).exit_code == 1


def test_a_spreadsheet_export_with_a_bom_is_read(divisions: str, tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    text = f"township_code,title,holder_name,kind\n{w.T1},民政专干,,established\n"
    path.write_bytes("\ufeff".encode() + text.encode())
    result = run_import(divisions, "staff-posts", path)
    assert result.exit_code == 0, result.output

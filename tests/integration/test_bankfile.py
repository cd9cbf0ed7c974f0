"""The bank batch file and the bank's answer file through `mzhub payments`: a round trip, and
bad answer files refused whole with every bad line named."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from hub.cli import app
from hub.db.models import AuditEvent, Payment
from hub.payments.bankfile import BATCH_COLUMNS
from hub.schema.ids import int_pk_of, to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL
from tests.payment_driver import Payments
from tests.workflow_driver import COUNTY


async def cli(db_url: str, *args: str) -> Any:
    """The command in a thread of its own (it runs its own event loop)."""
    env = {"HUB_DATABASE_URL": db_url}
    return await asyncio.to_thread(CliRunner().invoke, app, ["payments", *args], env=env)


async def statuses(hub: Hub) -> dict[int, str]:
    async with hub.services.sessions() as session:
        rows = (await session.execute(select(Payment.id, Payment.status))).all()
    return {pk: status for pk, status in rows}


async def _november(hub: Hub, gql: GraphQL, world: World) -> tuple[Payments, list[dict[str, str]]]:
    d = Payments(hub, gql, world)
    await d.approved("DB_URBAN")
    result = await d.cycle("2026-11")
    assert result["data"]["runPaymentCycle"]["created"] == 2
    out = await cli(hub.settings.database_url, "export", "--period", "2026-11",
                    "--division", COUNTY)  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    return d, rows


async def test_export_then_import_results_round_trip(
    hub: Hub, gql: GraphQL, world: World, tmp_path: Path
) -> None:
    d, rows = await _november(hub, gql, world)
    assert len(rows) == 2 and tuple(rows[0]) == BATCH_COLUMNS
    assert {r["batch"] for r in rows} == {"PAY-640104-202611"}
    assert all(r["payee_name"].endswith("*") for r in rows)  # finance sees names masked
    assert {r["amount"] for r in rows} == {"90.00", "240.00"}
    answer = tmp_path / "answer.csv"
    answer.write_text(
        "payment_id,result,reason,paid_at\n"
        f"{rows[0]['payment_id']},PAID,,2026-11-20T09:00:00+08:00\n"
        f"{rows[1]['payment_id']},FAILED,户名与账号不符,\n",
        encoding="utf-8",
    )
    done = await cli(hub.settings.database_url, "import-results", str(answer))
    assert done.exit_code == 0, done.output
    now = await statuses(hub)
    ids = [int_pk_of(r["payment_id"], "Payment") for r in rows]
    assert [now[ids[0]], now[ids[1]]] == ["PAID", "FAILED"]
    again = await cli(hub.settings.database_url, "import-results", str(answer))
    assert again.exit_code == 0 and "recorded 0" in again.stdout  # the same file twice: no-op
    async with hub.services.sessions() as session:
        names = (await session.execute(select(AuditEvent.operation_name))).scalars().all()
    assert "payments import-results" in names
    later = await cli(hub.settings.database_url, "export", "--period", "2026-11",
                      "--division", COUNTY)  # fmt: skip
    assert later.stdout.strip() == ",".join(BATCH_COLUMNS)  # nothing SCHEDULED is left


async def test_a_bad_answer_file_is_refused_whole(
    hub: Hub, gql: GraphQL, world: World, tmp_path: Path
) -> None:
    d, rows = await _november(hub, gql, world)
    before = await statuses(hub)
    good, other = rows[0]["payment_id"], rows[1]["payment_id"]
    answer = tmp_path / "bad.csv"
    answer.write_text(
        "payment_id,result,reason,paid_at\n"
        f"{good},PAID,,\n"
        f"{to_global_id('Payment', 99999)},PAID,,\n"
        f"{good},FAILED,账户冻结,\n"
        f"{other},LOST,,\n"
        "nonsense,PAID,,\n",
        encoding="utf-8",
    )
    out = await cli(hub.settings.database_url, "import-results", str(answer))
    assert out.exit_code == 1
    for line in ("line 4: duplicate of line 2", "line 5:", "line 6:"):
        assert line in out.output, out.output
    assert await statuses(hub) == before
    # Lines that parse but name no payment are found against the database, still all-or-none.
    answer.write_text(
        f"payment_id,result,reason,paid_at\n{good},PAID,,\n"
        f"{to_global_id('Payment', 99999)},PAID,,\n",
        encoding="utf-8",
    )
    out = await cli(hub.settings.database_url, "import-results", str(answer))
    assert out.exit_code == 1 and "line 3: unknown payment" in out.output, out.output
    assert await statuses(hub) == before
    header = tmp_path / "header.csv"
    header.write_text("id,result\n", encoding="utf-8")
    out = await cli(hub.settings.database_url, "import-results", str(header))
    assert out.exit_code == 1 and "line 1" in out.output
    bad_period = await cli(hub.settings.database_url, "export", "--period", "2026-13",
                           "--division", COUNTY)  # fmt: skip
    assert bad_period.exit_code == 2

"""`mzhub seed` on each engine: the division tree, valid residents, cases in every status,
entitlements and payments that agree with their cases, determinism, and the reset rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text

from hub.db.base import Base
from hub.db.engine import sync_url
from hub.domain import idnumber
from hub.domain.catalogue import load_catalogue
from hub.domain.workflow import CaseStatus
from hub.seed import (
    DatabaseNotEmpty,
    SeedError,
    SeedReport,
    cases,
    database_is_seeded,
    divisions,
    payments,
    people,
    run_seed,
    supervision,
)
from hub.seed.context import DEFAULT_AS_OF, next_period
from hub.seed.writer import SEEDED_TABLES
from tests.conftest import fresh_database

RESIDENTS = 300
AS_OF = DEFAULT_AS_OF
CURRENT_PERIOD = f"{AS_OF:%Y-%m}"


@pytest.fixture
async def seeded(db_url: str) -> AsyncIterator[tuple[Engine, SeedReport]]:
    """One seeded database per engine, read through a synchronous engine."""
    report = await run_seed(db_url, RESIDENTS, 7)
    engine = create_engine(sync_url(db_url))
    yield engine, report
    engine.dispose()


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(
                select(table).order_by(*table.primary_key.columns)
            )]
            for table in SEEDED_TABLES
        }  # fmt: skip


def test_row_layouts_name_every_column_of_their_table() -> None:
    layouts = {
        "divisions": divisions.DIVISION_COLUMNS,
        "residents": people.RESIDENT_COLUMNS,
        "households": people.HOUSEHOLD_COLUMNS,
        "household_members": people.MEMBER_COLUMNS,
        "service_items": cases.SERVICE_ITEM_COLUMNS,
        "cases": cases.CASE_COLUMNS,
        "approval_tasks": cases.TASK_COLUMNS,
        "case_events": cases.EVENT_COLUMNS,
        "entitlements": payments.ENTITLEMENT_COLUMNS,
        "payments": payments.PAYMENT_COLUMNS,
        "proxy_points": supervision.PROXY_POINT_COLUMNS,
        "civil_affairs_assistants": supervision.ASSISTANT_COLUMNS,
        "staff_posts": supervision.STAFF_POST_COLUMNS,
        "training_records": supervision.TRAINING_COLUMNS,
        "funding_allocations": supervision.FUNDING_COLUMNS,
    }
    for name, columns in layouts.items():
        assert sorted(columns) == sorted(Base.metadata.tables[name].c.keys()), name


def test_seed_builds_the_division_tree_and_valid_residents(
    seeded: tuple[Engine, SeedReport],
) -> None:
    engine, report = seeded
    levels = dict(_rows(engine, "SELECT level, COUNT(*) FROM divisions GROUP BY level"))
    assert (levels[1], levels[2], levels[3], levels[4]) == (1, 5, 22, 259)
    per_township = _rows(
        engine, "SELECT parent_code, COUNT(*) FROM divisions WHERE level = 5 GROUP BY parent_code"
    )
    assert len(per_township) == 259 and all(8 <= n <= 15 for _, n in per_township)
    assert report.counts["divisions"] == 287 + levels[5]
    sample = _rows(engine, "SELECT full_name FROM divisions WHERE code = '640104001001'")[0][0]
    assert sample.startswith("宁夏回族自治区银川市兴庆区凤凰北街街道") and sample.endswith("社区")

    residents = _rows(
        engine, "SELECT id_number, gender, birth_date, division_code, ethnicity, address, "
        "phone FROM residents",
    )  # fmt: skip
    assert len(residents) == RESIDENTS
    for number, gender, birth, division, _, address, phone in residents:
        info = idnumber.validate(number, today=AS_OF)
        assert (info.gender, str(info.birth_date)) == (gender, str(birth)[:10])
        assert info.area_code == division[:6]
        assert phone is None or (len(phone) == 11 and phone[0] == "1" and phone[1] in "3456789")
        assert "组" in address or "室" in address
    hui = sum(1 for r in residents if r[4] == "回族") / len(residents)
    assert abs(hui - 0.3504) < 0.05
    households = _rows(engine, "SELECT COUNT(*) FROM households")[0][0]
    assert 2.3 <= RESIDENTS / households <= 3.0
    heads = _rows(engine, "SELECT COUNT(*) FROM household_members WHERE relation = 'SELF'")
    assert heads[0][0] == households


def test_seeded_cases_cover_the_lifecycle_and_pay_only_approved_money_items(
    seeded: tuple[Engine, SeedReport],
) -> None:
    engine, _ = seeded
    statuses = {row[0] for row in _rows(engine, "SELECT DISTINCT status FROM cases")}
    assert statuses == {s.value for s in CaseStatus}
    items = {row[0] for row in _rows(engine, "SELECT DISTINCT item_code FROM cases")}
    assert items == {item.code for item in load_catalogue()}
    money = {item.code for item in load_catalogue() if item.money_item}
    approved_money = {
        case_id
        for case_id, item, status in _rows(engine, "SELECT id, item_code, status FROM cases")
        if item in money and status == "APPROVED"
    }
    entitled = dict(_rows(engine, "SELECT case_id, id FROM entitlements"))
    assert set(entitled) == approved_money
    pending = _rows(
        engine, "SELECT c.status FROM approval_tasks t JOIN cases c ON c.id = t.case_id "
        "WHERE t.status = 'PENDING'",
    )  # fmt: skip
    assert {row[0] for row in pending} <= {"ACCEPTED", "VERIFYING", "REVIEWED", "IN_PUBLIC_NOTICE"}
    last_event = _rows(
        engine, "SELECT c.status, e.to_status FROM cases c JOIN case_events e ON e.case_id = c.id "
        "WHERE e.id = (SELECT MAX(id) FROM case_events WHERE case_id = c.id)",
    )  # fmt: skip
    assert all(status == to_status for status, to_status in last_event)


def test_payments_run_month_by_month_up_to_the_scheduled_current_period(
    seeded: tuple[Engine, SeedReport],
) -> None:
    engine, _ = seeded
    one_off = {item.code for item in load_catalogue() if item.one_off}
    by_entitlement: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    for entitlement_id, period, attempt, status in _rows(
        engine, "SELECT entitlement_id, period, attempt, status FROM payments ORDER BY id"
    ):
        by_entitlement[entitlement_id].append((period, attempt, status))
    entitlements = _rows(
        engine, "SELECT id, item_code, start_period, end_period, status FROM entitlements"
    )
    assert entitlements
    for entitlement_id, item, start, end, status in entitlements:
        paid = by_entitlement[entitlement_id]
        firsts = [p for p in paid if p[1] == 1]
        periods = [p[0] for p in firsts]
        assert periods[0] == start and periods == sorted(set(periods))
        expected = start
        for period in periods:
            assert period == expected
            expected = next_period(expected)
        retried = {p[0] for p in paid if p[1] == 2}
        assert retried == {p[0] for p in firsts if p[2] in ("FAILED", "RETURNED")}
        if item in one_off:
            assert periods == [start] and end == start
        elif status == "ACTIVE":
            assert periods[-1] == CURRENT_PERIOD and firsts[-1][2] == "SCHEDULED"
        elif status == "TERMINATED":
            assert end == periods[-1] and end < CURRENT_PERIOD
        # Not yet paid: the current period, or a first payment still on its way.
        assert all(p in (CURRENT_PERIOD, start) for p, _, s in paid if s == "SCHEDULED")


async def test_same_seed_gives_identical_rows_and_another_seed_differs(
    engine_name: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    dumps = []
    for attempt in range(2):
        (tmp_path / f"db{attempt}").mkdir()
        for url in fresh_database(engine_name, tmp_path / f"db{attempt}", tmp_path_factory):
            await run_seed(url, 120, 3)
            engine = create_engine(sync_url(url))
            dumps.append(_dump(engine))
            if attempt == 1:
                await run_seed(url, 120, 4, reset=True)
                dumps.append(_dump(engine))
            engine.dispose()
    first, second, other = dumps
    assert first == second
    assert first["residents"] != other["residents"] and first["cases"] != other["cases"]


async def test_seed_refuses_a_non_empty_database_unless_reset(db_url: str) -> None:
    await run_seed(db_url, 50, 1)
    with pytest.raises(DatabaseNotEmpty, match="--reset"):
        await run_seed(db_url, 50, 1)
    report = await run_seed(db_url, 60, 2, reset=True)
    assert report.counts["residents"] == 60


async def test_a_failed_seed_asks_for_reset_and_is_not_taken_for_a_complete_one(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases, "build_cases", fail)
    with pytest.raises(SeedError, match="cases phase: disk full.*--reset"):
        await run_seed(db_url, 30, 1)
    assert not await database_is_seeded(db_url)
    with pytest.raises(DatabaseNotEmpty, match="no finished seed"):
        await run_seed(db_url, 30, 1)
    monkeypatch.undo()
    await run_seed(db_url, 30, 1, reset=True)
    assert await database_is_seeded(db_url)

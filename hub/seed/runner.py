"""`run_seed`: generate and write a whole synthetic region, phase by phase.

Restart policy: the seed writes in many short transactions (one per batch), so a run that fails
half-way leaves a partial seed behind. Rather than resume, the seed refuses to touch a database
whose seeded tables hold any row unless `reset=True` (`mzhub seed --reset`), which empties those
tables first (and any table referencing them; OAuth clients and the audit log are kept). A
finished run records itself in `idempotency_records` (subject `mzhub-seed`), so the refusal can
say whether the rows there are a complete seed or the remains of a failed one.

Determinism: each phase draws from its own `random.Random(f"{seed}:{phase}")`, primary keys are
explicit, and all times derive from `as_of` (default `DEFAULT_AS_OF`, a constant), never from
the clock: the same residents count, seed and as-of date give byte-identical rows.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hub.config import Settings
from hub.db import models
from hub.db.base import Base
from hub.db.engine import create_engine
from hub.db.migrate import ensure_migrated
from hub.seed import cases, divisions, payments, people, supervision
from hub.seed.context import DEFAULT_AS_OF, SeedContext
from hub.seed.writer import Row, Writer

# (phase, rows written so far, rows the phase will write or None while it is generating)
Progress = Callable[[str, int, int | None], None]
PHASES = ("divisions", "people", "supervision", "cases", "payments")


class SeedError(RuntimeError):
    """Seeding could not run or did not finish; the message says what to do next."""


class DatabaseNotEmpty(SeedError):
    """The seeded tables already hold rows and no reset was asked for."""


@dataclass(frozen=True)
class SeedReport:
    residents: int
    seed: int
    as_of: date
    dialect: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def marker(self) -> dict[str, Any]:
        """What the completion marker stores (no timing, so reruns stay byte-identical)."""
        return {"residents": self.residents, "seed": self.seed,
                "as_of": self.as_of.isoformat(), "counts": self.counts}  # fmt: skip


async def run_seed(
    database_url: str,
    residents: int,
    seed: int,
    progress: Progress | None = None,
    *,
    as_of: date = DEFAULT_AS_OF,
    reset: bool = False,
) -> SeedReport:
    """Seed `residents` residents (and everything around them) into a migrated database."""
    if residents < 0:
        raise SeedError(f"--residents must not be negative, got {residents}")
    await asyncio.to_thread(ensure_migrated, database_url)
    started = time.perf_counter()
    engine = create_engine(Settings(database_url=database_url))
    writer = Writer(engine)
    report = SeedReport(residents, seed, as_of, engine.dialect.name)
    try:
        await _check_or_reset(writer, reset)
        run = _Run(writer, progress or (lambda phase, done, total: None), report)
        try:
            await _seed(run, residents, seed, SeedContext(as_of))
        except Exception as exc:
            raise SeedError(
                f"seeding stopped during the {run.phase} phase: {exc}. The database now holds a "
                "partial seed; run the seed again with --reset to start over"
            ) from exc
        await writer.finish(report.marker(), SeedContext(as_of).instant)
    finally:
        await engine.dispose()
    return SeedReport(
        residents, seed, as_of, report.dialect, report.counts, time.perf_counter() - started
    )


async def database_is_seeded(database_url: str) -> bool:
    """True when a seed ran to completion in this database."""
    engine = create_engine(Settings(database_url=database_url))
    try:
        return await Writer(engine).completed_seed() is not None
    finally:
        await engine.dispose()


async def _check_or_reset(writer: Writer, reset: bool) -> None:
    if reset:
        await writer.reset()
        return
    filled = await writer.nonempty_tables()
    if not filled:
        return
    done = await writer.completed_seed()
    what = (
        f"a complete seed ({done['residents']} residents, seed {done['seed']})"
        if done
        else "rows that no finished seed recorded (an interrupted seed, or real data)"
    )
    raise DatabaseNotEmpty(
        f"the database already holds {what} in {', '.join(filled[:4])}"
        f"{', ...' if len(filled) > 4 else ''}; pass --reset to empty the seeded tables first"
    )


class _Run:
    """Writes each phase's tables and reports progress per phase."""

    def __init__(self, writer: Writer, progress: Progress, report: SeedReport) -> None:
        self.writer = writer
        self.progress = progress
        self.report = report
        self.phase = "start"

    def begin(self, phase: str) -> None:
        self.phase = phase
        self.progress(phase, 0, None)

    async def write(
        self, tables: Sequence[tuple[type[Base], Sequence[str], Sequence[Row]]]
    ) -> None:
        total = sum(len(rows) for _, _, rows in tables)
        done = 0
        self.progress(self.phase, 0, total)

        def advance(count: int) -> None:
            nonlocal done
            done += count
            self.progress(self.phase, done, total)

        for model, columns, rows in tables:
            table = Base.metadata.tables[model.__tablename__]
            await self.writer.insert(table, columns, rows, advance)
            self.report.counts[table.name] = len(rows)


def _rng(seed: int, phase: str) -> random.Random:
    return random.Random(f"{seed}:{phase}")


async def _seed(run: _Run, residents: int, seed: int, ctx: SeedContext) -> None:
    run.begin("divisions")
    tree = divisions.build_divisions(_rng(seed, "divisions"))
    await run.write([(models.Division, divisions.DIVISION_COLUMNS, tree.rows)])

    run.begin("people")
    folk = people.build_people(_rng(seed, "people"), tree.villages, residents, ctx)
    await run.write([
        (models.Household, people.HOUSEHOLD_COLUMNS, folk.households),
        (models.Resident, people.RESIDENT_COLUMNS, folk.residents),
        (models.HouseholdMember, people.MEMBER_COLUMNS, folk.members),
    ])  # fmt: skip

    run.begin("supervision")
    watch = supervision.build_supervision(_rng(seed, "supervision"), tree, ctx)
    await run.write([
        (models.ProxyPoint, supervision.PROXY_POINT_COLUMNS, watch.proxy_points),
        (models.CivilAffairsAssistant, supervision.ASSISTANT_COLUMNS, watch.assistants),
        (models.StaffPost, supervision.STAFF_POST_COLUMNS, watch.staff_posts),
        (models.TrainingRecord, supervision.TRAINING_COLUMNS, watch.trainings),
        (models.FundingAllocation, supervision.FUNDING_COLUMNS, watch.funding),
    ])  # fmt: skip

    run.begin("cases")
    plan = cases.build_cases(_rng(seed, "cases"), folk, watch.active_proxy_villages, ctx)
    await run.write([
        (models.ServiceItem, cases.SERVICE_ITEM_COLUMNS, plan.service_items),
        (models.Case, cases.CASE_COLUMNS, plan.cases),
        (models.ApprovalTask, cases.TASK_COLUMNS, plan.tasks),
        (models.CaseEvent, cases.EVENT_COLUMNS, plan.events),
    ])  # fmt: skip

    run.begin("payments")
    money = payments.build_payments(_rng(seed, "payments"), plan.approved_money, ctx)
    await run.write([
        (models.Entitlement, payments.ENTITLEMENT_COLUMNS, money.entitlements),
        (models.Payment, payments.PAYMENT_COLUMNS, money.payments),
    ])  # fmt: skip
    await run.writer.mark_deceased(money.deceased)

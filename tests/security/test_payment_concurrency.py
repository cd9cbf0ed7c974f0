"""Racing payment commands (PostgreSQL row locks and ON CONFLICT; SQLite's writer lock):
overlapping cycles create each (entitlement, period) payment once; racing results and
re-issues on one payment apply once."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select, update

from hub.db.models import Payment, Resident
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes
from tests.payment_driver import REISSUE, Payments

RACERS = 12


async def _payments(hub: Hub, period: str) -> list[tuple[int, int]]:
    async with hub.services.sessions() as session:
        stmt = select(Payment.entitlement_id, Payment.attempt).where(Payment.period == period)
        return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


async def test_overlapping_cycles_create_each_payment_once(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    await d.approved("DB_URBAN")
    results = await asyncio.gather(
        *(d.cycle("2026-12", idempotencyKey=f"run-{n}") for n in range(RACERS))
    )
    assert all("errors" not in r for r in results), results
    counts = [r["data"]["runPaymentCycle"] for r in results]
    assert sum(c["created"] for c in counts) == 2
    assert sum(c["skipped"] for c in counts) == 2 * RACERS - 2
    rows = await _payments(hub, "2026-12")
    assert len(rows) == 2 and len(set(rows)) == 2
    # The same key raced: one run acts, the others replay its answer.
    same = await asyncio.gather(*(d.cycle("2027-01", idempotencyKey="one") for _ in range(4)))
    assert all(codes(r) == ["BAD_USER_INPUT"] for r in same)  # beyond next month
    twins = await asyncio.gather(*(d.cycle("2026-11", idempotencyKey="nov") for _ in range(6)))
    assert len({str(t["data"]["runPaymentCycle"]) for t in twins}) == 1
    assert twins[0]["data"]["runPaymentCycle"]["created"] == 2


async def test_racing_results_on_one_payment_apply_once(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    await d.cycle("2026-11")
    (payment,) = await d.payments(period="2026-11")
    racers = [d.result(payment["id"], "PAID") if n % 2 else
              d.result(payment["id"], "FAILED", "账户冻结") for n in range(RACERS)]  # fmt: skip
    results = await asyncio.gather(*racers)
    outcomes = Counter(tuple(codes(r)) for r in results)
    assert set(outcomes) <= {(), ("CONFLICT",)}
    final = (await d.payments(period="2026-11"))[0]["status"]
    winners = [r for r in results if "errors" not in r]
    assert {w["data"]["recordPaymentResult"]["payment"]["status"] for w in winners} == {final}


async def test_racing_reissues_create_one_next_attempt(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    await d.cycle("2026-11")
    (payment,) = await d.payments(period="2026-11")
    await d.result(payment["id"], "FAILED", "账户已销户")
    async with hub.services.sessions() as session, session.begin():
        await session.execute(update(Resident).where(Resident.id == world.residents["li"])
                              .values(bank_account="6217000099998888777"))  # fmt: skip
    results = await asyncio.gather(
        *(d.call(REISSUE, d.finance(), paymentId=payment["id"]) for _ in range(RACERS))
    )
    assert sum("errors" not in r for r in results) == 1
    assert {tuple(codes(r)) for r in results} == {(), ("CONFLICT",)}
    async with hub.services.sessions() as session:
        attempts = await session.scalar(
            select(func.max(Payment.attempt)).where(Payment.period == "2026-11")
        )
    assert attempts == 2

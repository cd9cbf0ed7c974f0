"""Subsidy payments end to end over HTTP on both engines: certifyCase creates the real amount,
finance runs monthly cycles and records results, civil affairs and public security stop them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, update

from hub.db.models import AuditEvent, Payment, Resident
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes
from tests.payment_driver import REISSUE, RESUME, STANDARD, SUSPEND, TERMINATE, Payments
from tests.workflow_driver import COUNTY, OTHER_COUNTY


async def _count(hub: Hub, model: type = Payment) -> int:
    async with hub.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_certified_case_gets_the_standard_amount_and_one_payment_per_period(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    case = await d.approved("DB_URBAN", income="600.00")
    # 银川 urban 低保 standard 2026: 840; one member with 600 declared: (840 - 600) x 1.
    assert Decimal(str(case["entitlement"]["monthlyAmount"])) == Decimal("240.00")

    first = await d.cycle("2026-11", idempotencyKey="nov-1")
    assert first["data"]["runPaymentCycle"] == {"created": 2, "skipped": 0, "totalAmount": "330.00"}
    again = await d.cycle("2026-11", idempotencyKey="nov-1")
    assert again["data"]["runPaymentCycle"] == first["data"]["runPaymentCycle"]
    other = await d.cycle("2026-11", idempotencyKey="nov-2")
    assert other["data"]["runPaymentCycle"] == {"created": 0, "skipped": 2, "totalAmount": "0.00"}

    paid = await d.payments(period="2026-11")
    assert sorted(Decimal(str(p["amount"])) for p in paid) == [Decimal(90), Decimal(240)]
    assert {p["status"] for p in paid} == {"SCHEDULED"}
    assert all(p["bankAccount"].startswith("622848") for p in paid)  # finance: FULL
    assert {p["batch"] for p in paid} == {"PAY-640104-202611"}
    civil = await d.payments(token=d.clerk(COUNTY), period="2026-11")
    assert all(p["bankAccount"].startswith("****") for p in civil)  # civil affairs: MASKED


async def test_bad_cycle_input_is_refused_with_nothing_written(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    before = (await _count(hub), await _count(hub, AuditEvent))
    for period, division in [
        ("2026-13", None), ("2026-1", None), ("2027-01", None), ("2026-11", OTHER_COUNTY),
        ("2026-11", "64010400"),
    ]:  # fmt: skip
        result = await d.cycle(period, divisionCode=division)
        assert codes(result) == ["BAD_USER_INPUT"], (period, division, result)
    unknown = await d.result("UGF5bWVudDo5OTk5", "PAID")
    assert codes(unknown) == ["BAD_USER_INPUT"]
    assert await _count(hub) == before[0]
    async with hub.services.sessions() as session:
        changes = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "OK",
                                                                AuditEvent.operation_kind == "MUTATION")
        )  # fmt: skip
    assert changes == 0


async def test_only_finance_runs_cycles_and_records_results(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    assert codes(await d.cycle("2026-11", token=d.clerk(COUNTY))) == ["FORBIDDEN"]
    weak = hub.token("finance", COUNTY, ("finance",), (), "fin-2")
    assert codes(await d.cycle("2026-11", token=weak)) == ["FORBIDDEN"]
    li = d.world.payments["li_10"]
    from hub.schema.ids import to_global_id

    assert codes(await d.result(to_global_id("Payment", li), "RETURNED", "退回",
                                token=d.approver())) == ["FORBIDDEN"]  # fmt: skip


async def test_results_and_reissue_after_the_account_is_corrected(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    await d.cycle("2026-11")
    (payment,) = await d.payments(period="2026-11")
    assert codes(await d.result(payment["id"], "FAILED")) == ["BAD_USER_INPUT"]  # no reason
    failed = await d.result(payment["id"], "FAILED", "账户已销户")
    assert failed["data"]["recordPaymentResult"]["payment"]["status"] == "FAILED"
    assert codes(await d.result(payment["id"], "PAID")) == ["CONFLICT"]

    refused = await d.call(REISSUE, d.finance(), paymentId=payment["id"])
    assert codes(refused) == ["BAD_USER_INPUT"]  # the account is still the closed one
    async with hub.services.sessions() as session, session.begin():
        await session.execute(
            update(Resident).where(Resident.id == world.residents["li"])
            .values(bank_account="6217000011112222333")
        )  # fmt: skip
    again = await d.call(REISSUE, d.finance(), paymentId=payment["id"])
    new = again["data"]["reissuePayment"]["payment"]
    assert (new["attempt"], new["status"], new["bankAccount"]) == (
        2,
        "SCHEDULED",
        "6217000011112222333",
    )
    assert codes(await d.call(REISSUE, d.finance(), paymentId=payment["id"])) == ["CONFLICT"]
    paid = await d.result(new["id"], "PAID")
    assert paid["data"]["recordPaymentResult"]["payment"]["paidAt"]
    assert "errors" not in await d.result(new["id"], "PAID")  # the same answer twice: no-op


async def test_death_reported_by_public_security_stops_later_payments(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    await d.cycle("2026-11")
    await d.cycle("2026-12")
    ent = d.entitlement_id("li")
    review = await d.call(TERMINATE, d.police(), entitlementId=ent, reason="REVIEW",
                          note="x", expectedVersion=1)  # fmt: skip
    assert codes(review) == ["FORBIDDEN"]  # public security: deaths only
    result = await d.call(
        TERMINATE, d.police(), entitlementId=ent, reason="DEATH", note="公安户籍注销: 死亡",
        diedOn="2026-11-05", expectedVersion=1,
    )  # fmt: skip
    entitlement = result["data"]["terminateEntitlement"]["entitlement"]
    assert (entitlement["status"], entitlement["endPeriod"]) == ("TERMINATED", "2026-11")
    assert entitlement["statusReason"].startswith("DEATH")
    by_period = {p["period"]: p["status"] for p in await d.payments()}
    assert by_period["2026-11"] == "SCHEDULED" and by_period["2026-12"] == "CANCELLED"
    later = await d.cycle("2026-12")
    assert later["data"]["runPaymentCycle"]["created"] == 0
    async with hub.services.sessions() as session:
        resident = await session.get(Resident, world.residents["li"])
        assert resident is not None and str(resident.deceased_on) == "2026-11-05"


async def test_suspended_entitlement_is_skipped_until_resumed(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    ent = d.entitlement_id("li")
    no_reason = await d.call(SUSPEND, d.approver(), entitlementId=ent, expectedVersion=1)
    assert codes(no_reason) == ["BAD_USER_INPUT"]
    done = await d.call(SUSPEND, d.approver(), entitlementId=ent, reason="年度复核",
                        expectedVersion=1)  # fmt: skip
    assert done["data"]["suspendEntitlement"]["entitlement"]["status"] == "SUSPENDED"
    assert (await d.cycle("2026-11"))["data"]["runPaymentCycle"]["created"] == 0
    stale = await d.call(RESUME, d.approver(), entitlementId=ent, expectedVersion=1)
    assert codes(stale) == ["CONFLICT"]
    await d.call(RESUME, d.approver(), entitlementId=ent, expectedVersion=2)
    assert (await d.cycle("2026-11"))["data"]["runPaymentCycle"]["created"] == 1
    outside = d.approver(OTHER_COUNTY)
    assert codes(await d.call(SUSPEND, outside, entitlementId=ent, reason="x",
                              expectedVersion=3)) == ["NOT_FOUND"]  # fmt: skip


async def test_a_new_standard_applies_to_cases_certified_after_it(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    d = Payments(hub, gql, world)
    bad = await d.call(STANDARD, d.finance(), itemCode="ELDERLY_ALLOWANCE", component="monthly",
                       divisionCode=COUNTY, effectiveFrom="2026-11-01", amount="-5")  # fmt: skip
    assert codes(bad) == ["BAD_USER_INPUT"]
    outside = await d.call(STANDARD, d.finance(), itemCode="ELDERLY_ALLOWANCE",
                           component="monthly", divisionCode=OTHER_COUNTY,
                           effectiveFrom="2026-11-01", amount="150")  # fmt: skip
    assert codes(outside) == ["BAD_USER_INPUT"]
    set_ = await d.call(STANDARD, d.approver(), itemCode="ELDERLY_ALLOWANCE",
                        component="monthly", divisionCode=COUNTY, effectiveFrom="2026-11-01",
                        amount="150")  # fmt: skip
    assert set_["data"]["setAssistanceStandard"]["standard"]["setBy"] == "approver-1"
    case = await d.approved("ELDERLY_ALLOWANCE")
    assert Decimal(str(case["entitlement"]["monthlyAmount"])) == Decimal("150.00")

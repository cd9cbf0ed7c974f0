"""Drives subsidies through the public mutations: approved cases (hence entitlements), payment
cycles, bank results and stops, as the right principals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.domain.catalogue import load_catalogue
from hub.schema.ids import to_global_id
from hub.types import Level
from tests.factories import Hub, World
from tests.helpers import GraphQL
from tests.workflow_driver import CERTIFY, COUNTY, REVIEW, TOWNSHIP, Driver

PAYMENT_FIELDS = "id period attempt amount status bankAccount batch paidAt failureReason"
ENTITLEMENT_FIELDS = "id status statusReason startPeriod endPeriod monthlyAmount version"
CYCLE = (
    "mutation Cycle($input: RunPaymentCycleInput!) "
    "{ runPaymentCycle(input: $input) { created skipped totalAmount } }"
)
RESULT = (
    "mutation Result($input: RecordPaymentResultInput!) "
    "{ recordPaymentResult(input: $input) { payment { %s } } }" % PAYMENT_FIELDS
)
REISSUE = (
    "mutation Reissue($input: ReissuePaymentInput!) "
    "{ reissuePayment(input: $input) { payment { %s } } }" % PAYMENT_FIELDS
)
SUSPEND = (
    "mutation Suspend($input: EntitlementStatusInput!) "
    "{ suspendEntitlement(input: $input) { entitlement { %s } } }" % ENTITLEMENT_FIELDS
)
RESUME = (
    "mutation Resume($input: EntitlementStatusInput!) "
    "{ resumeEntitlement(input: $input) { entitlement { %s } } }" % ENTITLEMENT_FIELDS
)
TERMINATE = (
    "mutation Terminate($input: TerminateEntitlementInput!) "
    "{ terminateEntitlement(input: $input) { entitlement { %s } } }" % ENTITLEMENT_FIELDS
)
STANDARD = (
    "mutation Standard($input: SetAssistanceStandardInput!) { setAssistanceStandard("
    "input: $input) { standard { itemCode component divisionCode effectiveFrom amount setBy } } }"
)
PAYMENTS = (
    "query Payments($filter: PaymentFilter) { payments(first: 100, filter: $filter) "
    "{ totalCount edges { node { %s entitlement { id } } } } }" % PAYMENT_FIELDS
)


class Payments(Driver):
    def __init__(self, hub: Hub, gql: GraphQL, world: World) -> None:
        super().__init__(hub, gql, world)

    def finance(self, division: str = COUNTY) -> str:
        return self.hub.token("finance", division, ("finance",), ("payments:write",), "fin-1")

    def police(self, division: str = COUNTY) -> str:
        return self.hub.token(
            "public_security", division, ("partner",), ("approvals:decide",), "gongan"
        )

    async def approved(self, item: str, resident: str = "ma", **kwargs: Any) -> dict[str, Any]:
        """A case of `item` taken through every step to APPROVED; returns the case."""
        spec = load_catalogue().get(item)
        case = await self.verify_all(await self.accept(await self.submitted(item, resident,
                                                                           **kwargs)))  # fmt: skip
        result = await self.case_decision(REVIEW, case, "APPROVE", self.reviewer(), "符合条件")
        assert "errors" not in result, result
        case = result["data"]["reviewCase"]["case"]
        if spec.public_notice_days:
            self.hub.clock.advance(timedelta(days=spec.public_notice_days))
        certifier = TOWNSHIP if spec.certifying_level is Level.TOWNSHIP else COUNTY
        result = await self.case_decision(CERTIFY, case, "APPROVE", self.approver(certifier))
        assert "errors" not in result, result
        return dict(result["data"]["certifyCase"]["case"])

    async def cycle(self, period: str, token: str | None = None, **extra: Any) -> dict[str, Any]:
        return await self.call(CYCLE, token or self.finance(), period=period, **extra)

    async def payments(self, token: str | None = None, **filter_: Any) -> list[dict[str, Any]]:
        result = await self.gql(PAYMENTS, token or self.finance(), filter=filter_ or None)
        assert "errors" not in result, result
        return [e["node"] for e in result["data"]["payments"]["edges"]]

    async def result(self, payment: str, result: str, reason: str | None = None,
                     token: str | None = None) -> dict[str, Any]:  # fmt: skip
        return await self.call(
            RESULT, token or self.finance(), paymentId=payment, result=result, reason=reason
        )

    def entitlement_id(self, key: str) -> str:
        return to_global_id("Entitlement", self.world.entitlements[key])

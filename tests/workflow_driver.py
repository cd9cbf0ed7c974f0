"""Drives cases through the mutations as the right principals (clerk, departments, reviewer,
approver, proxy agent, citizen), for the workflow, concurrency and subscription tests."""

from __future__ import annotations

import uuid
from typing import Any

from hub.auth.tokens import issue_access_token
from hub.schema.ids import to_global_id
from tests.factories import Hub, World
from tests.helpers import GraphQL

COUNTY = "640104000000"  # 兴庆区
TOWNSHIP = "640104001000"  # 凤凰北街街道
VILLAGE = "640104001002"  # 红星社区 (马晓燕's village)
OTHER_COUNTY = "640105000000"

CASE_FIELDS = """
  id caseNumber status version channel proxyAgent inPersonVisitRequired dueDate acceptedAt
  decidedAt noticeEndsAt item { code }
  certificate { number }
  entitlement { monthlyAmount startPeriod endPeriod status }
  approvalTasks { id department kind status version dueDate assigneeDivision { code }
                  decidedBy opinion findings }
  events { kind fromStatus toStatus opinion actor { subject department division } }
"""
SUBMIT = (
    "mutation Submit($input: SubmitCaseInput!) { submitCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
ACCEPT = (
    "mutation Accept($input: AcceptCaseInput!) { acceptCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
DECIDE = (
    "mutation Decide($input: DecideApprovalTaskInput!) { decideApprovalTask(input: $input) "
    "{ task { id status version decidedBy opinion findings } case { %s } } }" % CASE_FIELDS
)
REVIEW = (
    "mutation Review($input: CaseDecisionInput!) { reviewCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
CERTIFY = (
    "mutation Certify($input: CaseDecisionInput!) { certifyCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
RETURN = (
    "mutation Return($input: CaseReasonInput!) { returnCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
WITHDRAW = (
    "mutation Withdraw($input: CaseReasonInput!) { withdrawCase(input: $input) { case { %s } } }"
    % CASE_FIELDS
)
RESUBMIT = (
    "mutation Resubmit($input: ResubmitCaseInput!) { resubmitCase(input: $input) "
    "{ case { %s } } }" % CASE_FIELDS
)
CASE = "query Case($id: ID!) { case(id: $id) { %s } }" % CASE_FIELDS


class Driver:
    """Tokens are issued afresh for every call, so moving the hub's clock never expires them."""

    def __init__(self, hub: Hub, gql: GraphQL, world: World) -> None:
        self.hub, self.gql, self.world = hub, gql, world

    # -- principals ------------------------------------------------------------------------

    def clerk(self, division: str = TOWNSHIP) -> str:
        return self.hub.token("civil_affairs", division, ("clerk",), ("cases:write",), "clerk-1")

    def reviewer(self, division: str = TOWNSHIP) -> str:
        return self.hub.token(
            "civil_affairs", division, ("reviewer",), ("cases:write",), "reviewer-1"
        )

    def approver(self, division: str = COUNTY) -> str:
        return self.hub.token(
            "civil_affairs", division, ("approver",), ("cases:certify",), "approver-1"
        )

    def partner(self, department: str, division: str = COUNTY) -> str:
        return self.hub.token(
            department, division, ("partner",), ("approvals:decide",), f"{department}-system"
        )

    def proxy(self, division: str = VILLAGE, subject: str = "agent-7") -> str:
        return self.hub.token(
            "civil_affairs", division, ("proxy_agent",), ("cases:write",), subject
        )

    def citizen(self, resident: str, scopes: tuple[str, ...] = ("cases:write",)) -> str:
        """A resident's token, as the identity provider mapping gives it (role citizen)."""
        id_number = self.id_number(resident)
        token, _ = issue_access_token(
            self.hub.services.keys,
            self.hub.settings,
            self.hub.services.clock,
            subject=f"citizen-{resident}",
            client_id="citizen-portal",
            department="civil_affairs",
            division="640000000000",
            roles=["citizen"],
            scopes=list(scopes),
            id_number=id_number,
        )
        return token

    def id_number(self, resident: str) -> str:
        from hub.domain.idnumber import generate
        from tests.factories import RESIDENTS

        for n, (key, village, _name, gender, birth, *_rest) in enumerate(RESIDENTS):
            if key == resident:
                return generate(village[:6], birth, gender, n + 1)
        raise KeyError(resident)

    # -- mutations -------------------------------------------------------------------------

    async def call(self, document: str, token: str | None, **input: Any) -> dict[str, Any]:
        return await self.gql(document, token, input=input)

    async def submit(
        self, item: str, resident: str = "ma", *, channel: str = "WINDOW",
        token: str | None = None, key: str | None = None, consent: bool = True,
        income: str | None = "600.00",
    ) -> dict[str, Any]:  # fmt: skip
        token = token or {"WINDOW": self.clerk, "PROXY": self.proxy}.get(channel, self.clerk)()
        return await self.call(
            SUBMIT, token, itemCode=item, channel=channel, consent=consent,
            applicantId=to_global_id("Resident", self.world.residents[resident]),
            declaredMonthlyIncome=income, idempotencyKey=key,
        )  # fmt: skip

    async def submitted(self, item: str, resident: str = "ma", **kwargs: Any) -> dict[str, Any]:
        result = await self.submit(item, resident, **kwargs)
        assert "errors" not in result, result
        return dict(result["data"]["submitCase"]["case"])

    async def accept(self, case: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        result = await self.call(
            ACCEPT, token or self.clerk(), caseId=case["id"], expectedVersion=case["version"]
        )
        assert "errors" not in result, result
        return dict(result["data"]["acceptCase"]["case"])

    async def decide(
        self, task: dict[str, Any], decision: str = "APPROVE", *, token: str | None = None,
        opinion: str | None = "核查无异常", findings: str | None = None, key: str | None = None,
        version: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        token = token or self.partner(task["department"].lower())
        return await self.call(
            DECIDE, token, taskId=task["id"], decision=decision, opinion=opinion,
            findings=findings, expectedVersion=task["version"] if version is None else version,
            idempotencyKey=key or uuid.uuid4().hex,
        )  # fmt: skip

    async def case_decision(
        self, document: str, case: dict[str, Any], decision: str, token: str,
        opinion: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        return await self.call(
            document, token, caseId=case["id"], decision=decision, opinion=opinion,
            expectedVersion=case["version"],
        )  # fmt: skip

    async def reload(self, case: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        result = await self.gql(CASE, token or self.clerk(COUNTY), id=case["id"])
        assert "errors" not in result, result
        return dict(result["data"]["case"])

    async def verify_all(self, case: dict[str, Any]) -> dict[str, Any]:
        """Every open VERIFY task approved by its own department."""
        for task in pending(case, "VERIFY"):
            result = await self.decide(task)
            assert "errors" not in result, result
            case = result["data"]["decideApprovalTask"]["case"]
        return case


def pending(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [t for t in case["approvalTasks"] if t["kind"] == kind and t["status"] == "PENDING"]


def kinds(case: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    return [(e["kind"], e["fromStatus"], e["toStatus"]) for e in case["events"]]

"""The rules of the case commands: illegal transitions, bad input, permissions, jurisdiction,
atomicity, the public-notice clock, returns and rejections, and the audit of every change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub.db.models import ApprovalTask, AuditEvent, Case, CaseEvent
from tests.factories import Hub, World, build_world
from tests.helpers import GraphQL, codes
from tests.workflow_driver import (
    ACCEPT,
    CERTIFY,
    COUNTY,
    OTHER_COUNTY,
    RETURN,
    REVIEW,
    WITHDRAW,
    Driver,
    pending,
)  # fmt: skip


@pytest.fixture
def d(hub: Hub, gql: GraphQL, world: World) -> Driver:
    return Driver(hub, gql, world)


async def verified(d: Driver, item: str = "TEMPORARY") -> dict[str, Any]:
    return await d.verify_all(await d.accept(await d.submitted(item)))


async def counts(hub: Hub) -> list[int]:
    async with hub.services.sessions() as session:
        return [
            (await session.execute(select(func.count()).select_from(model))).scalar_one()
            for model in (Case, ApprovalTask, CaseEvent)
        ]


# -- illegal transitions are CONFLICT, naming the current status ---------------------------


async def test_certify_before_review_is_conflict_naming_the_status(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    result = await d.case_decision(CERTIFY, case, "APPROVE", d.approver())
    assert codes(result) == ["CONFLICT"]
    assert "ACCEPTED" in result["errors"][0]["message"]


async def test_accepting_twice_is_conflict(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    again = await d.call(ACCEPT, d.clerk(), caseId=case["id"], expectedVersion=case["version"])
    assert codes(again) == ["CONFLICT"]
    assert "cannot accept a case in status ACCEPTED" in again["errors"][0]["message"]
    stale = await d.call(ACCEPT, d.clerk(), caseId=case["id"], expectedVersion=1)
    assert codes(stale) == ["CONFLICT"]
    message = stale["errors"][0]["message"]
    assert "version 2" in message and "ACCEPTED" in message
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2


async def test_deciding_a_closed_task_is_conflict(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    task = pending(case, "VERIFY")[0]
    assert "errors" not in await d.decide(task)
    again = await d.decide({**task, "version": task["version"] + 1})
    assert codes(again) == ["CONFLICT"]
    assert "already APPROVED" in again["errors"][0]["message"]
    stale = await d.decide(task)
    assert codes(stale) == ["CONFLICT"] and "APPROVED" in stale["errors"][0]["message"]


async def test_a_withdrawn_case_cannot_be_accepted(d: Driver) -> None:
    case = await d.submitted("TEMPORARY")
    result = await d.call(WITHDRAW, d.clerk(), caseId=case["id"], expectedVersion=1)
    case = result["data"]["withdrawCase"]["case"]
    assert case["status"] == "WITHDRAWN"
    late = await d.call(ACCEPT, d.clerk(), caseId=case["id"], expectedVersion=case["version"])
    assert codes(late) == ["CONFLICT"] and "WITHDRAWN" in late["errors"][0]["message"]


# -- bad input -----------------------------------------------------------------------------


async def test_unknown_item_is_bad_user_input(d: Driver) -> None:
    assert codes(await d.submit("NO_SUCH_ITEM")) == ["BAD_USER_INPUT"]


async def test_applicant_outside_jurisdiction_looks_like_a_missing_one(
    d: Driver, world: World
) -> None:
    outside = await d.submit("TEMPORARY", "ding")  # 西夏区, not the clerk's township
    world.residents["ghost"] = 999_999
    missing = await d.submit("TEMPORARY", "ghost")
    assert codes(outside) == codes(missing) == ["BAD_USER_INPUT"]
    assert outside["errors"][0]["message"] == missing["errors"][0]["message"]


async def test_missing_consent_is_bad_user_input(d: Driver) -> None:
    result = await d.submit("TEMPORARY", consent=False)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["extensions"]["argument"] == "consent"


async def test_an_open_case_of_the_same_item_is_bad_user_input(d: Driver) -> None:
    assert codes(await d.submit("DB_URBAN", "zhang")) == ["BAD_USER_INPUT"]  # world: VERIFYING
    await d.submitted("TEMPORARY")
    second = await d.submit("TEMPORARY")
    assert (
        codes(second) == ["BAD_USER_INPUT"]
        and "open TEMPORARY case" in second["errors"][0]["message"]
    )


async def test_inputs_cannot_carry_status_amount_or_decider(d: Driver, gql: GraphQL) -> None:
    result = await gql(
        '{ __type(name: "DecideApprovalTaskInput") { inputFields { name } } }', d.clerk()
    )
    names = {f["name"] for f in result["data"]["__type"]["inputFields"]}
    assert names.isdisjoint({"status", "monthlyAmount", "amount", "decidedBy", "version"})
    case = await d.submitted("TEMPORARY")
    forced = await d.call(
        ACCEPT, d.clerk(), caseId=case["id"], expectedVersion=1, status="APPROVED"
    )
    assert codes(forced) == ["BAD_USER_INPUT"]
    assert (await d.reload(case))["status"] == "SUBMITTED"


async def test_a_rejection_needs_its_reasons(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    result = await d.decide(pending(case, "VERIFY")[0], "REJECT", opinion="  ")
    assert codes(result) == ["BAD_USER_INPUT"]


# -- nothing partial -----------------------------------------------------------------------


async def test_a_failed_command_leaves_no_case_task_or_event(
    d: Driver, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await counts(hub)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("hub.resolvers.mutation_audit.record", broken)
    result = await d.submit("TEMPORARY")
    assert codes(result) == ["INTERNAL"]
    assert await counts(hub) == before
    monkeypatch.undo()
    case = await d.submitted("TEMPORARY")
    monkeypatch.setattr("hub.resolvers.mutation_audit.record", broken)
    assert codes(await d.call(ACCEPT, d.clerk(), caseId=case["id"], expectedVersion=1)) == [
        "INTERNAL"
    ]
    monkeypatch.undo()
    after = await d.reload(case)
    assert after["status"] == "SUBMITTED" and after["version"] == 1
    assert after["approvalTasks"] == [] and len(after["events"]) == 1


# -- permissions: scope, role, department, jurisdiction ------------------------------------


@pytest.mark.parametrize(
    ("department", "division", "roles", "scopes"),
    [
        ("civil_affairs", "640104001000", ("clerk",), ()),  # no scope
        ("civil_affairs", "640104001000", ("reviewer",), ("cases:write",)),  # wrong role
        ("public_security", "640104001000", ("clerk",), ("cases:write",)),  # wrong department
    ],
)
async def test_accept_needs_scope_role_and_department(
    d: Driver, hub: Hub, department: str, division: str, roles: tuple[str, ...],
    scopes: tuple[str, ...],
) -> None:  # fmt: skip
    case = await d.submitted("TEMPORARY")
    token = hub.token(department, division, roles, scopes)
    result = await d.call(ACCEPT, token, caseId=case["id"], expectedVersion=1)
    assert codes(result) == ["FORBIDDEN"]


async def test_a_department_cannot_decide_another_departments_task(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    task = next(t for t in pending(case, "VERIFY") if t["department"] == "PUBLIC_SECURITY")
    result = await d.decide(task, token=d.partner("human_resources"))
    assert codes(result) == ["FORBIDDEN"] and "public_security" in result["errors"][0]["message"]


async def test_cases_and_tasks_outside_jurisdiction_are_not_found(d: Driver) -> None:
    case = await d.submitted("TEMPORARY")
    other_clerk = d.clerk("640105002000")
    result = await d.call(ACCEPT, other_clerk, caseId=case["id"], expectedVersion=1)
    assert codes(result) == ["NOT_FOUND"]
    case = await d.accept(case)
    task = pending(case, "VERIFY")[0]
    far = await d.decide(task, token=d.partner(task["department"].lower(), OTHER_COUNTY))
    assert codes(far) == ["NOT_FOUND"]


async def test_review_and_certify_tasks_are_decided_with_their_own_mutations(d: Driver) -> None:
    case = await verified(d)
    review_task = pending(case, "REVIEW")[0]
    result = await d.decide(review_task, token=d.partner("civil_affairs", "640104001000"))
    assert codes(result) == ["BAD_USER_INPUT"] and "reviewCase" in result["errors"][0]["message"]


async def test_only_the_certifying_level_of_the_cases_county_certifies(d: Driver) -> None:
    case = await verified(d)
    result = await d.case_decision(REVIEW, case, "APPROVE", d.reviewer())
    case = result["data"]["reviewCase"]["case"]
    township = await d.case_decision(CERTIFY, case, "APPROVE", d.approver("640104001000"))
    assert codes(township) == ["FORBIDDEN"] and "COUNTY" in township["errors"][0]["message"]
    other = await d.case_decision(CERTIFY, case, "APPROVE", d.approver(OTHER_COUNTY))
    assert codes(other) == ["NOT_FOUND"]
    no_scope = d.hub.token("civil_affairs", COUNTY, ("approver",), ("cases:write",))
    assert codes(await d.case_decision(CERTIFY, case, "APPROVE", no_scope)) == ["FORBIDDEN"]


# -- public notice, returns and rejections ------------------------------------------------


async def test_certification_waits_for_the_end_of_the_public_notice(d: Driver, hub: Hub) -> None:
    case = await verified(d, "DB_URBAN")
    case = (await d.case_decision(REVIEW, case, "APPROVE", d.reviewer()))["data"]["reviewCase"][
        "case"
    ]
    assert case["status"] == "IN_PUBLIC_NOTICE"
    hub.clock.advance(timedelta(days=7) - timedelta(minutes=1))
    early = await d.case_decision(CERTIFY, case, "APPROVE", d.approver())
    assert (
        codes(early) == ["CONFLICT"] and "public notice runs until" in early["errors"][0]["message"]
    )
    hub.clock.advance(timedelta(minutes=1))
    done = await d.case_decision(CERTIFY, case, "APPROVE", d.approver())
    assert done["data"]["certifyCase"]["case"]["status"] == "APPROVED"


async def test_public_notice_days_zero_allows_certifying_right_after_review(
    db_url: str, keys_dir: Path
) -> None:
    hub = Hub(db_url, keys_dir, public_notice_days=0)
    try:
        async with hub.services.sessions() as session:
            world = await build_world(session)
        transport = httpx.ASGITransport(app=hub.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:

            async def gql(query: str, token: str | None = None, **variables: Any) -> Any:
                headers = {"Authorization": f"Bearer {token}"}
                body = {"query": query, "variables": variables}
                return (await client.post("/graphql", json=body, headers=headers)).json()

            d = Driver(hub, gql, world)
            case = await verified(d, "DB_URBAN")
            reviewed = await d.case_decision(REVIEW, case, "APPROVE", d.reviewer())
            case = reviewed["data"]["reviewCase"]["case"]
            assert case["status"] == "REVIEWED" and case["noticeEndsAt"] is None
            done = await d.case_decision(CERTIFY, case, "APPROVE", d.approver())
            assert done["data"]["certifyCase"]["case"]["status"] == "APPROVED"
    finally:
        await hub.services.engine.dispose()


async def test_a_rejected_verification_rejects_the_case_and_cancels_the_rest(d: Driver) -> None:
    case = await d.accept(await d.submitted("DB_URBAN"))
    task = pending(case, "VERIFY")[0]
    result = await d.decide(task, "REJECT", opinion="名下有商品房两套", findings="不动产登记")
    case = result["data"]["decideApprovalTask"]["case"]
    assert case["status"] == "REJECTED" and case["decidedAt"]
    statuses = sorted(t["status"] for t in case["approvalTasks"])
    assert statuses == ["CANCELLED", "CANCELLED", "CANCELLED", "REJECTED"]
    assert case["events"][-1]["kind"] == "TASK_DECIDED"
    assert case["events"][-1]["opinion"] == "名下有商品房两套"
    assert result["data"]["decideApprovalTask"]["task"]["findings"] == "不动产登记"


async def test_a_returned_case_is_corrected_and_runs_a_new_round(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    result = await d.decide(pending(case, "VERIFY")[0], "RETURN", opinion="缺少收入证明")
    case = result["data"]["decideApprovalTask"]["case"]
    assert case["status"] == "RETURNED" and pending(case, "VERIFY") == []
    from tests.workflow_driver import RESUBMIT

    result = await d.call(RESUBMIT, d.clerk(), caseId=case["id"], expectedVersion=case["version"])
    case = result["data"]["resubmitCase"]["case"]
    assert case["status"] == "SUBMITTED"
    case = await d.accept(case)
    assert len(pending(case, "VERIFY")) == 2 and len(case["approvalTasks"]) == 4
    case = await d.verify_all(case)
    assert len(pending(case, "REVIEW")) == 1


async def test_the_township_returns_a_case_for_correction(d: Driver) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    missing = await d.call(RETURN, d.clerk(), caseId=case["id"], expectedVersion=case["version"])
    assert codes(missing) == ["BAD_USER_INPUT"]
    result = await d.call(
        RETURN, d.clerk(), caseId=case["id"], reason="户口簿复印件不清晰", expectedVersion=2
    )
    case = result["data"]["returnCase"]["case"]
    assert case["status"] == "RETURNED"
    assert {t["status"] for t in case["approvalTasks"]} == {"CANCELLED"}
    assert case["events"][-1]["opinion"] == "户口簿复印件不清晰"


# -- audit ---------------------------------------------------------------------------------


async def test_every_change_is_audited_with_its_case(d: Driver, hub: Hub) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))
    async with hub.services.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(AuditEvent).where(AuditEvent.operation_kind == "MUTATION")
                )
            )
            .scalars()
            .all()
        )
    assert [(r.operation_name, r.outcome) for r in rows] == [("Submit", "OK"), ("Accept", "OK")]
    accepted = rows[-1]
    assert {"type": "Case", "id": case["id"]} in [
        {"type": r["type"], "id": r["id"]} for r in accepted.resources
    ]
    assert sum(1 for r in accepted.resources if r["type"] == "ApprovalTask") == 2
    assert accepted.actor_subject == "clerk-1"
    denied = await d.call(ACCEPT, d.reviewer(), caseId=case["id"], expectedVersion=2)
    assert codes(denied) == ["FORBIDDEN"]
    async with hub.services.sessions() as session:
        last = (
            await session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        ).scalar_one()
    assert (last.operation_kind, last.outcome) == ("MUTATION", "DENIED")


async def test_overdue_filters_count_open_cases_and_pending_tasks_past_their_due_date(
    d: Driver, hub: Hub, gql: GraphQL
) -> None:
    case = await d.accept(await d.submitted("TEMPORARY"))  # 10 working days; tasks 5
    query = """query($late: Boolean!) {
      cases(filter: {overdue: $late, itemCode: "TEMPORARY"}) { totalCount }
      approvalTasks(filter: {overdue: $late}) { edges { node { id } } } }"""
    county = d.clerk(COUNTY)
    on_time = await gql(query, county, late=True)
    assert on_time["data"]["cases"]["totalCount"] == 0
    assert on_time["data"]["approvalTasks"]["edges"] == []
    hub.clock.advance(timedelta(days=9))  # past the tasks' 5 working days, not the case's 10
    tasks_late = await gql(query, d.clerk(COUNTY), late=True)
    late_ids = {e["node"]["id"] for e in tasks_late["data"]["approvalTasks"]["edges"]}
    assert late_ids == {t["id"] for t in pending(case, "VERIFY")}
    assert tasks_late["data"]["cases"]["totalCount"] == 0
    hub.clock.advance(timedelta(days=7))
    all_late = await gql(query, d.clerk(COUNTY), late=True)
    assert all_late["data"]["cases"]["totalCount"] == 1
    await d.verify_all(case)
    done = await gql(query, d.clerk(COUNTY), late=True)
    late_kinds = {e["node"]["id"] for e in done["data"]["approvalTasks"]["edges"]}
    assert late_kinds.isdisjoint(late_ids)  # decided tasks are no longer overdue

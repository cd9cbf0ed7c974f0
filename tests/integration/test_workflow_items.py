"""Every item of the catalogue driven end to end through the mutations, with the principals
of each step: township clerk, each VERIFY department, township reviewer, the certifying level."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from hub.domain.amounts import AmountFacts, monthly_amount
from hub.domain.catalogue import load_catalogue
from hub.domain.clock import china_date
from hub.domain.standards import packaged_book
from hub.domain.workflow import CASE_NUMBER_PATTERN, CERTIFICATE_NUMBER_PATTERN, TaskKind
from hub.resolvers.transitions import TASK_WORKING_DAYS, working_calendar
from hub.types import Level
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes
from tests.workflow_driver import (
    CERTIFY,
    COUNTY,
    REVIEW,
    TOWNSHIP,
    VILLAGE,
    Driver,
    kinds,
    pending,
)  # fmt: skip

ITEMS = load_catalogue().codes


@pytest.mark.parametrize("code", ITEMS)
async def test_item_case_runs_from_submission_to_certificate(
    hub: Hub, gql: GraphQL, world: World, code: str
) -> None:
    item = load_catalogue().get(code)
    d = Driver(hub, gql, world)
    today = china_date(hub.clock.now())

    case = await d.submitted(code)
    assert case["status"] == "SUBMITTED" and case["version"] == 1
    assert CASE_NUMBER_PATTERN.fullmatch(case["caseNumber"])
    assert case["caseNumber"] == f"MZ{today:%Y%m%d}640104001000001"
    assert case["inPersonVisitRequired"] is True and case["channel"] == "WINDOW"

    case = await d.accept(case)
    assert case["status"] == "ACCEPTED" and case["version"] == 2
    calendar = working_calendar()
    assert case["dueDate"] == str(calendar.add_working_days(today, item.time_limit_working_days))
    verify = pending(case, "VERIFY")
    assert sorted(t["department"].lower() for t in verify) == sorted(item.verify_departments)
    for task in verify:
        assert task["assigneeDivision"]["code"] == COUNTY
        assert task["dueDate"] == str(
            calendar.add_working_days(today, TASK_WORKING_DAYS[TaskKind.VERIFY])
        )

    case = await d.verify_all(case)
    review_tasks = pending(case, "REVIEW")
    assert len(review_tasks) == 1 and review_tasks[0]["assigneeDivision"]["code"] == TOWNSHIP
    assert case["status"] == ("VERIFYING" if item.verify_departments else "ACCEPTED")

    result = await d.case_decision(REVIEW, case, "APPROVE", d.reviewer(), "材料齐全，符合条件")
    assert "errors" not in result, result
    case = result["data"]["reviewCase"]["case"]
    certifier = TOWNSHIP if item.certifying_level is Level.TOWNSHIP else COUNTY
    certify_tasks = pending(case, "CERTIFY")
    assert [t["assigneeDivision"]["code"] for t in certify_tasks] == [certifier]
    if item.public_notice_days:
        assert case["status"] == "IN_PUBLIC_NOTICE" and case["noticeEndsAt"]
        early = await d.case_decision(CERTIFY, case, "APPROVE", d.approver(certifier))
        assert codes(early) == ["CONFLICT"]
        assert "IN_PUBLIC_NOTICE" in early["errors"][0]["message"]
        hub.clock.advance(timedelta(days=item.public_notice_days))
    else:
        assert case["status"] == "REVIEWED" and case["noticeEndsAt"] is None

    result = await d.case_decision(CERTIFY, case, "APPROVE", d.approver(certifier), "同意")
    assert "errors" not in result, result
    case = result["data"]["certifyCase"]["case"]
    assert case["status"] == "APPROVED" and case["decidedAt"]
    number = case["certificate"]["number"]
    assert CERTIFICATE_NUMBER_PATTERN.fullmatch(number) and number.startswith("ZS-640104-2026-")
    assert all(t["status"] == "APPROVED" for t in case["approvalTasks"])
    assert all(t["decidedBy"] for t in case["approvalTasks"])

    entitlement = case["entitlement"]
    if item.money_item:
        assert entitlement["status"] == "ACTIVE"
        assert entitlement["startPeriod"] == china_date(hub.clock.now()).strftime("%Y-%m")
        expected_end = entitlement["startPeriod"] if item.one_off else None
        assert entitlement["endPeriod"] == expected_end
        facts = AmountFacts(VILLAGE, 1, Decimal("600.00"))
        amount = monthly_amount(code, facts, packaged_book(), china_date(hub.clock.now()))
        assert Decimal(str(entitlement["monthlyAmount"])) == amount
    else:
        assert entitlement is None

    verify_steps = [("TASK_DECIDED", "ACCEPTED", "VERIFYING")] + [
        ("TASK_DECIDED", "VERIFYING", "VERIFYING")
    ] * (len(item.verify_departments) - 1)
    before_review = "VERIFYING" if item.verify_departments else "ACCEPTED"
    review_steps = [("REVIEWED", before_review, "REVIEWED")]
    if item.public_notice_days:
        review_steps.append(("NOTICE_STARTED", "REVIEWED", "IN_PUBLIC_NOTICE"))
    assert kinds(case) == [
        ("SUBMITTED", None, "SUBMITTED"),
        ("ACCEPTED", "SUBMITTED", "ACCEPTED"),
        *(verify_steps if item.verify_departments else []),
        *review_steps,
        ("CERTIFIED", review_steps[-1][2], "APPROVED"),
    ]
    certified = case["events"][-1]["actor"]
    assert certified == {
        "subject": "approver-1",
        "department": "CIVIL_AFFAIRS",
        "division": certifier,
    }
    decided = [e["actor"]["department"] for e in case["events"] if e["kind"] == "TASK_DECIDED"]
    assert sorted(decided) == sorted(d.upper() for d in item.verify_departments)

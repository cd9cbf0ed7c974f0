"""Personal data a committed mutation's payload returns is recorded as a read of its own
(decision 0070): the MUTATION event names the change, a QUERY event after it the fields."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from hub.db.models import AuditEvent, Case
from tests.factories import Hub, World
from tests.helpers import GraphQL, codes
from tests.workflow_driver import Driver

SUBMIT_READING = """mutation SubmitReading($input: SubmitCaseInput!) {
  submitCase(input: $input) { case { id applicant { id name idNumber phone } } } }"""

SUBMIT_PLAIN = """mutation SubmitPlain($input: SubmitCaseInput!) {
  submitCase(input: $input) { case { id status version applicant { id } } } }"""


def submission(world: World, resident: str = "ma") -> dict[str, Any]:
    return {
        "itemCode": "TEMPORARY",
        "channel": "WINDOW",
        "consent": True,
        "applicantId": to_base64("Resident", world.residents[resident]),
        "declaredMonthlyIncome": "600.00",
    }


async def all_events(hub: Hub) -> list[AuditEvent]:
    async with hub.services.sessions() as session:
        return list((await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars())


async def submit_case(
    gql: GraphQL, token: str, document: str, input_: dict[str, Any]
) -> dict[str, Any]:
    result = await gql(document, token, input=input_)
    assert "errors" not in result, result
    return dict(result["data"]["submitCase"]["case"])


async def case_count(hub: Hub) -> int:
    async with hub.services.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())


async def test_personal_data_in_a_payload_is_recorded_after_the_change(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    clerk = Driver(hub, gql, world).clerk()
    applicant = (await submit_case(gql, clerk, SUBMIT_READING, submission(world)))["applicant"]

    change, read = await all_events(hub)
    assert (change.operation_kind, change.outcome) == ("MUTATION", "OK")
    assert (read.operation_kind, read.outcome) == ("QUERY", "OK")
    assert read.operation_name == change.operation_name == "SubmitReading"
    assert read.document_hash == change.document_hash
    # Both record the variables as the client sent them: no coerced enum, no added default.
    assert read.variables == change.variables == {"input": submission(world)}
    assert read.actor_subject == change.actor_subject
    # The change names the resident without fields; the read names the fields it returned,
    # at the grant the answer shows (a township clerk sees this applicant in full).
    (before,) = [r for r in change.resources if r["id"] == applicant["id"]]
    assert before["fields"] == []
    (after,) = [r for r in read.resources if r["id"] == applicant["id"]]
    grants = {f["field"]: f["grant"] for f in after["fields"]}
    assert set(grants) == {"name", "idNumber", "phone"}
    assert "*" not in applicant["idNumber"] and grants["idNumber"] == "FULL"


async def test_a_payload_without_personal_data_adds_no_event(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    await submit_case(gql, Driver(hub, gql, world).clerk(), SUBMIT_PLAIN, submission(world))
    assert [(e.operation_kind, e.operation_name) for e in await all_events(hub)] == [
        ("MUTATION", "SubmitPlain")
    ]


async def test_a_masked_field_in_a_payload_is_recorded_at_its_grant(
    hub: Hub, gql: GraphQL, world: World
) -> None:
    proxy = Driver(hub, gql, world).proxy()
    input_ = {**submission(world), "channel": "PROXY"}
    applicant = (await submit_case(gql, proxy, SUBMIT_READING, input_))["applicant"]
    read = (await all_events(hub))[-1]
    assert read.operation_kind == "QUERY"
    (after,) = [r for r in read.resources if r["id"] == applicant["id"]]
    grants = {f["field"]: f["grant"] for f in after["fields"]}
    # Whatever the proxy agent's policy gives, the event says it field by field.
    for field in ("idNumber", "phone"):
        masked = applicant[field] is not None and "*" in applicant[field]
        assert grants[field] == ("MASKED" if masked else "FULL"), (field, applicant, grants)


async def test_a_failed_payload_record_withholds_the_payload_and_keeps_the_change(
    hub: Hub, gql: GraphQL, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("hub.resolvers.audit_operation.record_standalone", broken)
    clerk = Driver(hub, gql, world).clerk()
    before = await case_count(hub)
    result = await gql(SUBMIT_READING, clerk, input=submission(world))
    assert result.get("data") is None
    assert codes(result) == ["INTERNAL"]
    assert "马晓燕" not in str(result)
    # The change committed with its own record; only the payload was withheld.
    assert await case_count(hub) == before + 1
    assert [(e.operation_kind, e.outcome) for e in await all_events(hub)] == [("MUTATION", "OK")]

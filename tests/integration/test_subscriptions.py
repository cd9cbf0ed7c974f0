"""Subscriptions over graphql-transport-ws: connection_init authentication, a case's events,
tasks opened for a department, and streams that end when their token stops being valid."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from hub.events import InProcessBroker, broker_of, case_channel, tasks_channel
from hub.schema.ids import int_pk_of
from tests.factories import Hub, World, build_world
from tests.workflow_driver import Driver, pending

PROTOCOL = ["graphql-transport-ws"]
CASE_EVENTS = """subscription Follow($id: ID!) {
  caseEvents(caseId: $id) { kind fromStatus toStatus opinion actor { subject department } }
}"""
TASKS = """subscription Inbox {
  approvalTaskAssigned { id department kind status
    case { caseNumber applicant { idNumber phone } } }
}"""


class Live:
    """The app in a TestClient (its own event loop), with a synchronous GraphQL caller."""

    def __init__(self, hub: Hub, client: TestClient, world: World) -> None:
        self.hub, self.client, self.world = hub, client, world
        self.driver = Driver(hub, self.gql, world)

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        return response.json()

    def run(self, coroutine_function: Any, *args: Any) -> Any:
        """Run a driver call (written async for the HTTP tests) from this synchronous test."""
        return anyio.run(coroutine_function, *args)

    @contextmanager
    def connect(self, token: str | None, **kwargs: Any) -> Iterator[WebSocketTestSession]:
        """A connection whose `connection_init` carries `token` (none: an empty payload)."""
        with self.client.websocket_connect("/graphql", subprotocols=PROTOCOL, **kwargs) as ws:
            payload = {"Authorization": f"Bearer {token}"} if token else {}
            ws.send_json({"type": "connection_init", "payload": payload})
            yield ws

    def wait_for_subscriber(self, channel: str) -> None:
        self._wait(lambda broker: broker.subscriber_count(channel) > 0, f"a {channel} stream")

    def wait_for_streams_to_end(self) -> None:
        """Closed streams finish in the background (their SUBSCRIPTION_END audit record)."""
        self._wait(lambda broker: broker.subscriber_count() == 0, "the streams to end")

    def _wait(self, condition: Any, what: str) -> None:
        broker = broker_of(self.hub.services)
        assert isinstance(broker, InProcessBroker)
        deadline = time.monotonic() + 10
        while not condition(broker):
            assert time.monotonic() < deadline, f"waited in vain for {what}"
            time.sleep(0.01)


def receive(ws: WebSocketTestSession, timeout: float = 10.0) -> dict[str, Any]:
    """The next message, or a failure after `timeout` seconds instead of a hung test."""

    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return dict(json.loads(message["text"]))


def subscribe(ws: WebSocketTestSession, query: str, **variables: Any) -> None:
    payload = {"query": query, "variables": variables}
    ws.send_json({"id": "1", "type": "subscribe", "payload": payload})


@pytest.fixture
def live(db_url: str, keys_dir: Path) -> Iterator[Live]:
    hub = Hub(db_url, keys_dir)
    with TestClient(hub.app) as client:

        async def world() -> World:
            async with hub.services.sessions() as session:
                return await build_world(session)

        live = Live(hub, client, client.portal.call(world))
        yield live
        live.wait_for_streams_to_end()
        client.portal.call(hub.services.engine.dispose)


def test_a_case_follower_receives_each_new_event(live: Live) -> None:
    d = live.driver
    case = live.run(d.submitted, "TEMPORARY")
    with live.connect(d.clerk()) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, CASE_EVENTS, id=case["id"])
        live.wait_for_subscriber(case_channel(int_pk_of(case["id"], "Case")))
        case = live.run(d.accept, case)
        message = receive(ws)
        assert message["type"] == "next" and message["id"] == "1"
        assert message["payload"]["data"]["caseEvents"] == {
            "kind": "ACCEPTED", "fromStatus": "SUBMITTED", "toStatus": "ACCEPTED", "opinion": None,
            "actor": {"subject": "clerk-1", "department": "CIVIL_AFFAIRS"},
        }  # fmt: skip
        live.run(d.decide, pending(case, "VERIFY")[0])
        event = receive(ws)["payload"]["data"]["caseEvents"]
        assert (event["kind"], event["fromStatus"], event["toStatus"]) == (
            "TASK_DECIDED", "ACCEPTED", "VERIFYING",
        )  # fmt: skip


def test_a_department_learns_of_its_new_tasks_without_polling(live: Live) -> None:
    d = live.driver
    with live.connect(d.partner("public_security")) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, TASKS)
        live.wait_for_subscriber(tasks_channel("public_security"))
        case = live.run(d.accept, live.run(d.submitted, "TEMPORARY"))
        task = receive(ws)["payload"]["data"]["approvalTaskAssigned"]
        ours = next(t for t in pending(case, "VERIFY") if t["department"] == "PUBLIC_SECURITY")
        assert (task["id"], task["kind"], task["status"]) == (ours["id"], "VERIFY", "PENDING")
        applicant = task["case"]["applicant"]
        assert len(applicant["idNumber"]) == 18 and "*" not in applicant["idNumber"]  # need to know
        assert "*" in applicant["phone"]  # MASKED for public security


def test_tasks_of_another_county_are_not_delivered(live: Live) -> None:
    d = live.driver
    with live.connect(d.partner("public_security", "640105000000")) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, TASKS)
        live.wait_for_subscriber(tasks_channel("public_security"))
        live.run(d.accept, live.run(d.submitted, "TEMPORARY"))  # 兴庆区: not theirs
        far_clerk = d.clerk("640105002000")
        theirs = live.run(
            d.accept, live.run(lambda: d.submitted("TEMPORARY", "ding", token=far_clerk)), far_clerk
        )
        task = receive(ws)["payload"]["data"]["approvalTaskAssigned"]
        assert task["case"]["caseNumber"] == theirs["caseNumber"]


@pytest.mark.parametrize("token", [None, "not-a-token", "a.b.c"])
def test_connection_init_without_a_valid_token_is_closed_4401(
    live: Live, token: str | None
) -> None:
    with live.connect(token) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 4401


def test_the_upgrade_requests_authorization_header_is_accepted(live: Live) -> None:
    headers = {"Authorization": f"Bearer {live.driver.clerk()}"}
    with live.connect(None, headers=headers) as ws:
        assert receive(ws)["type"] == "connection_ack"


def test_a_case_outside_jurisdiction_cannot_be_followed(live: Live) -> None:
    d = live.driver
    case = live.run(d.submitted, "TEMPORARY")
    with live.connect(d.clerk("640105002000")) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, CASE_EVENTS, id=case["id"])
        message = receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert receive(ws)["type"] == "complete"


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def test_a_revoked_token_ends_the_stream(live: Live) -> None:
    d = live.driver
    case = live.run(d.submitted, "TEMPORARY")
    token = d.clerk()
    with live.connect(token) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, CASE_EVENTS, id=case["id"])
        live.wait_for_subscriber(case_channel(int_pk_of(case["id"], "Case")))
        claims = _claims(token)
        revocations = live.hub.services.verifier.revocations
        live.client.portal.call(revocations.revoke, claims["jti"], claims["exp"], None)
        live.run(d.accept, case)
        message = receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert receive(ws)["type"] == "complete"
        subscribe(ws, CASE_EVENTS, id=case["id"])  # a new operation: the connection ends
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
        assert closed.value.code == 4401


def test_an_expired_token_ends_the_stream(live: Live) -> None:
    d = live.driver
    case = live.run(d.submitted, "TEMPORARY")
    with live.connect(d.clerk()) as ws:
        assert receive(ws)["type"] == "connection_ack"
        subscribe(ws, CASE_EVENTS, id=case["id"])
        live.wait_for_subscriber(case_channel(int_pk_of(case["id"], "Case")))
        live.hub.clock.advance(timedelta(hours=1))
        live.run(d.accept, case)
        message = receive(ws)
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

"""Prepared reads (hub/compiled/prepared.py) against the ordinary execution, on the inputs the
generated differential requests never send to a prepared document: variables that do not
coerce, arguments a resolver refuses, a filter the compiled path leaves to the resolvers, NUL
characters, and the rate limit. Two apps share one database, one with prepared reads off; each
request goes to both and the answers (status, data, errors, extensions, the Retry-After header)
and the audit events must be the same. PostgreSQL: the compiled path's engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hub.config import Hardening
from hub.db.models.audit import AuditEvent
from tests.differential.test_compiled_reads import audit_events_after, audit_view
from tests.factories import Hub, build_world

pytestmark = pytest.mark.postgres

COUNTY, TOWNSHIP = "640104000000", "640104001000"
PAGE = """query Page($division: String!, $first: Int, $after: String, $name: String) {
  residents(first: $first, after: $after, filter: {divisionCode: $division, nameContains: $name}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name idNumber phone cases { caseNumber status } } }
  }
}"""
GOOD = {"division": TOWNSHIP, "first": 2}


@dataclass
class Pair:
    ordinary: Hub
    prepared: Hub
    clients: dict[str, httpx.AsyncClient]
    token: str
    seen: int = 0

    async def ask(self, side: str, variables: dict[str, Any], query: str = PAGE) -> Any:
        response = await self.clients[side].post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        events = await audit_events_after(self.ordinary, self.seen)
        if events:
            self.seen = events[-1].seq
        return response, [audit_view(e) for e in events]

    async def both(
        self, variables: dict[str, Any], query: str = PAGE, *, timed: bool = False
    ) -> dict[str, Any]:
        """`timed`: a refusal's wait is read off the clock, on each side at its own moment:
        the same codes and the header's presence, not the same seconds."""
        ordinary, ordinary_events = await self.ask("ordinary", variables, query)
        prepared, prepared_events = await self.ask("prepared", variables, query)
        assert prepared.status_code == ordinary.status_code
        if timed:
            assert ("retry-after" in prepared.headers) == ("retry-after" in ordinary.headers)
            assert _codes(prepared.json()) == _codes(ordinary.json())
            assert prepared.json().get("data") == ordinary.json().get("data")
        else:
            assert prepared.headers.get("retry-after") == ordinary.headers.get("retry-after")
            assert prepared.content == ordinary.content, (variables, prepared.text, ordinary.text)
        assert prepared_events == ordinary_events
        assert len(ordinary_events) == 1
        return dict(ordinary.json())

    @property
    def served(self) -> int:
        return int(self.prepared.app.state.schema.prepared.served)


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def _pair(
    pg_url: str, keys_dir: Path, *, world: bool = True, **settings: Any
) -> AsyncIterator[Pair]:
    ordinary = Hub(pg_url, keys_dir, prepared_reads=False, **settings)
    prepared = Hub(pg_url, keys_dir, **settings)
    if world:
        async with ordinary.services.sessions() as session:
            await build_world(session)
    clients = {
        side: httpx.AsyncClient(transport=httpx.ASGITransport(app=hub.app), base_url="http://t")
        for side, hub in (("ordinary", ordinary), ("prepared", prepared))
    }
    async with ordinary.services.sessions() as session:
        seen = int(
            (await session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0)))).scalar_one()
        )
    try:
        yield Pair(ordinary, prepared, clients, ordinary.token("civil_affairs", COUNTY), seen)
    finally:
        for client in clients.values():
            await client.aclose()
        await ordinary.services.engine.dispose()
        await prepared.services.engine.dispose()


@pytest.fixture
async def pair(pg_url: str, keys_dir: Path) -> AsyncIterator[Pair]:
    async for found in _pair(pg_url, keys_dir, hardening=Hardening(cost_per_minute=0)):
        yield found


async def test_a_repeated_page_is_served_prepared_with_the_same_answer(pair: Pair) -> None:
    first = await pair.both(GOOD)  # teaches the prepared app the document
    assert pair.served == 0 and "errors" not in first
    assert first["data"]["residents"]["edges"], first
    for _ in range(3):
        assert await pair.both(GOOD) == first
    cursor = first["data"]["residents"]["pageInfo"]["endCursor"]
    await pair.both({**GOOD, "after": cursor})
    assert pair.served == 4


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 2}, "BAD_USER_INPUT"),  # $division missing: the variables do not coerce
        ({"division": None}, "BAD_USER_INPUT"),
        ({"division": 640104001000}, "BAD_USER_INPUT"),  # not a string
        ({"division": "64010400100X"}, "BAD_USER_INPUT"),  # the resolver refuses the code
        ({**GOOD, "first": 1000}, "BAD_USER_INPUT"),  # beyond the page limit
        ({**GOOD, "after": "not a cursor"}, "BAD_USER_INPUT"),
        ({**GOOD, "division": "640104\u0000001000"}, "BAD_USER_INPUT"),  # NUL
        ({**GOOD, "name": "张"}, None),  # a filter the compiled path leaves to the resolvers
    ],
)
async def test_what_the_prepared_path_hands_over_is_answered_as_before(
    pair: Pair, variables: dict[str, Any], code: str | None
) -> None:
    await pair.both(GOOD)
    await pair.both(GOOD)
    assert pair.served == 1
    body = await pair.both(variables)
    assert _codes(body) == ([code] if code else []), body
    assert pair.served == 1  # handed over, not answered prepared
    await pair.both(GOOD)  # and the document stays prepared
    assert pair.served == 2


async def test_the_rate_limit_is_spent_once_and_refuses_as_before(
    pg_url: str, keys_dir: Path
) -> None:
    cost = 0
    async for pair in _pair(pg_url, keys_dir, hardening=Hardening(cost_per_minute=0)):
        cost = (await pair.both(GOOD))["extensions"]["cost"]["requested"]
    # A minute's budget of four and a half pages: the fifth is refused on both sides (a
    # second spend per request would refuse the third).
    budget = cost * 9 // 2
    limited = Hardening(cost_per_minute=budget)
    async for pair in _pair(pg_url, keys_dir, world=False, hardening=limited):
        answers = [await pair.both(GOOD, timed=True) for _ in range(6)]
        assert [_codes(a) for a in answers] == [[], [], [], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]
        assert pair.served == 3  # the first teaches; refusals are handed over


async def test_other_documents_are_never_prepared(pair: Pair) -> None:
    two_roots = "query { residents(first: 1) { totalCount } payments(first: 1) { totalCount } }"
    with_directive = "query ($d: Boolean!) { residents(first: 1) @include(if: $d) { totalCount } }"
    nested_only = "query { me { subject } }"
    for query, variables in ((two_roots, {}), (with_directive, {"d": True}), (nested_only, {})):
        for _ in range(2):
            await pair.both(variables, query)
    assert pair.served == 0


async def test_a_failed_audit_write_fails_the_prepared_read_as_before(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    await pair.both(GOOD)  # teaches the prepared app the document

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("hub.resolvers.audit_operation.record_standalone", broken)
    answers = {}
    for side in ("ordinary", "prepared"):
        response = await pair.clients[side].post(
            "/graphql",
            json={"query": PAGE, "variables": GOOD},
            headers={"Authorization": f"Bearer {pair.token}"},
        )
        body = response.json()
        body["errors"][0]["extensions"].pop("requestId")  # a new one per request
        body["errors"][0].pop("message")  # names that request id
        answers[side] = (response.status_code, body)
    assert answers["prepared"] == answers["ordinary"]
    status, body = answers["prepared"]
    assert body["data"] is None and _codes(body) == ["INTERNAL"]
    assert pair.served == 1  # it ran prepared, and failed closed

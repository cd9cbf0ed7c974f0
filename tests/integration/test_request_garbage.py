"""A compiled read leaves no reference cycle behind: the operation's context, with its audit
collector and the page's JSON, is freed as the request ends, without a garbage-collector pass
(which the server runs rarely, hub/app.py). PostgreSQL: the compiled path's engine."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.graphql_view import HubGraphQL
from tests.factories import Hub, build_world

pytestmark = pytest.mark.postgres

PAGE = """query Page($division: String!) {
  residents(first: 50, filter: {divisionCode: $division}) {
    edges { node { id name idNumber phone address
      cases { id caseNumber status submittedAt
        entitlement { id monthlyAmount payments(last: 12) { id period amount status } } } } }
  }
}"""


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_a_compiled_page_is_freed_as_its_request_ends(
    pg_url: str, keys_dir: Path, monkeypatch: pytest.MonkeyPatch, no_collector: None
) -> None:
    hub = Hub(pg_url, keys_dir)
    contexts: list[weakref.ref[Any]] = []
    get_context = HubGraphQL.get_context

    async def remembered(self: HubGraphQL, request: Any, response: Any) -> Any:
        context = await get_context(self, request, response)
        contexts.append(weakref.ref(context))
        return context

    monkeypatch.setattr(HubGraphQL, "get_context", remembered)
    try:
        async with hub.services.sessions() as session:
            await build_world(session)
        token = hub.token("civil_affairs", "640104000000")
        transport = httpx.ASGITransport(app=hub.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for _ in range(3):  # the first loads the division directory and plans
                response = await http.post(
                    "/graphql",
                    json={"query": PAGE, "variables": {"division": "640104001000"}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                assert "errors" not in body and body["data"]["residents"]["edges"]
                del response, body
        assert hub.services.read_paths[("compiled", "residents")] == 3
        assert [ref() for ref in contexts[1:]] == [None, None]
    finally:
        await hub.services.engine.dispose()

"""The compiled path writes its JSON as text in PostgreSQL; the answer must be the very bytes
the resolver path sends, strings that need escaping included (PostgreSQL only: SQLite serves
every read through the resolvers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from hub.db.models import Resident
from tests.factories import Hub, World, build_world

pytestmark = pytest.mark.postgres

PAGE = """query Page($division: String!) {
  residents(first: 20, filter: {divisionCode: $division}) {
    __typename totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges { cursor __typename node { __typename id name idNumber phone address monthlyIncome
      disabilityLevel healthCondition gender birthDate ethnicity
      flags { specialHardship keySpecialCare leftBehindElder }
      household { id registrationType declaredMonthlyIncome size
        members { relation resident { id name } } head { id name } }
      entitlements { id status startPeriod }
      cases { id caseNumber channel status submittedAt decidedAt dueDate inPersonVisitRequired
        version certificate { number issuedAt }
        approvalTasks { id department kind status decidedBy }
        entitlement { id monthlyAmount status
          payments(last: 3) { id period amount status paidAt failureReason } } } } }
  }
}"""

# Quotes, backslashes, the escapes JSON names (\n \t \r \b \f), other control characters,
# DEL, the line and paragraph separators, an emoji and CJK text.
TRICKY = '马"引号"\\反斜杠\n换行\t制表\r\b\f\x01\x1f\x7f\u2028\u2029😀 末'


@pytest.fixture
async def hubs(pg_url: str, keys_dir: Path) -> AsyncIterator[tuple[Hub, Hub, World]]:
    resolved = Hub(pg_url, keys_dir, compiled_reads=False)
    compiled = Hub(pg_url, keys_dir, compiled_reads=True, prepared_reads=False)
    async with resolved.services.sessions() as session:
        world = await build_world(session)
        await session.execute(
            update(Resident)
            .where(Resident.id == world.residents["zhang"])
            .values(name=TRICKY, address=TRICKY + " 1号")
        )
        await session.commit()
    yield resolved, compiled, world
    for hub in (resolved, compiled):
        await hub.services.engine.dispose()


async def page_bytes(hub: Hub, token: str, division: str) -> bytes:
    transport = httpx.ASGITransport(app=hub.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        response = await client.post(
            "/graphql",
            json={"query": PAGE, "variables": {"division": division}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize(
    ("department", "division", "roles"),
    [
        ("civil_affairs", "640104000000", ("clerk",)),  # full grants
        ("human_resources", "640104000000", ()),  # masked fields, need to know
    ],
)
async def test_compiled_pages_are_the_resolver_paths_bytes(
    hubs: tuple[Hub, Hub, World], department: str, division: str, roles: tuple[str, ...]
) -> None:
    resolved, compiled, _ = hubs
    token = resolved.token(department, division, roles)
    expected = await page_bytes(resolved, token, "640104")
    served = await page_bytes(compiled, token, "640104")
    assert served == expected
    assert compiled.services.read_paths == {("compiled", "residents"): 1}
    assert resolved.services.read_paths == {("resolved", "residents"): 1}
    assert "末" in expected.decode() and '\\"引号\\"' in expected.decode()


async def test_an_empty_page_is_the_resolver_paths_bytes(hubs: tuple[Hub, Hub, World]) -> None:
    resolved, compiled, _ = hubs
    token = resolved.token("civil_affairs", "640104000000", ("clerk",))
    # A village of the caller's county with nobody in it: no edges, null cursors.
    assert await page_bytes(compiled, token, "640104999999") == await page_bytes(
        resolved, token, "640104999999"
    )
    assert compiled.services.read_paths == {("compiled", "residents"): 1}

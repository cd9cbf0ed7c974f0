"""The dashboard in headless Chromium: sign in, drill from the region to a county, read the charts
and the misses list against the API's own answer, and save the screenshot the docs show.

Needs Debian's `chromium` (/usr/bin/chromium) and the `playwright` package (no downloaded
browsers). Without them the test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.app import create_app
from hub.auth.tokens import issue_access_token
from hub.config import Settings
from hub.db.migrate import upgrade
from hub.domain.clock import FixedClock

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "dashboard.png"
REGION, CITY, COUNTY = "640000000000", "640100000000", "640104000000"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}: `.ci/run` must `apt-get install -y chromium`")
    pytest.skip(reason)


def _sync_playwright() -> Any:
    if not CHROMIUM.exists():
        _unavailable("/usr/bin/chromium is missing (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the `playwright` package is not installed (pip install -e '.[dev]')")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RunningHub:
    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app

    def token(self, *, roles: tuple[str, ...] = ("supervisor",), division: str = REGION) -> str:
        services = self.app.state.services
        token, _ = issue_access_token(
            services.keys, services.settings, services.clock,
            subject="督导员-e2e", client_id="e2e", department="civil_affairs",
            division=division, roles=list(roles), scopes=["supervision:read"], ttl_seconds=3600,
        )  # fmt: skip
        return token

    def report(self, code: str) -> dict[str, Any]:
        query = """query($c: String!) { supervision(divisionCode: $c) {
            children { division { code } proxyPointCoverage { met } }
            misses { division { code } indicator } } }"""
        response = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": {"c": code}},
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        return dict(response.json()["data"]["supervision"])


@pytest.fixture(scope="module")
def running_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    import uvicorn

    from hub.seed.runner import run_seed

    _sync_playwright()  # skip before the (slower) seeding when no browser is there
    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite+aiosqlite:///{root / 'hub.db'}"
    upgrade(url)
    asyncio.run(run_seed(url, 12000, 7))
    keys = root / "keys"
    keys.mkdir()
    app = create_app(Settings(database_url=url, keys_dir=keys), clock=FixedClock(NOW))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    try:
        yield RunningHub(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(running_hub: RunningHub) -> Iterator[Any]:
    with _sync_playwright()() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        browser.close()
        assert not errors, errors


def _wait_for(page: Any, code: str) -> None:
    page.wait_for_selector(f'#app[data-division="{code}"]:not([aria-busy])', timeout=15_000)


def test_supervisor_signs_in_and_drills_from_region_to_county(
    running_hub: RunningHub, page: Any
) -> None:
    page.goto(f"{running_hub.base_url}/dashboard")
    page.fill("#token", running_hub.token())
    page.click("#sign-in")
    _wait_for(page, REGION)
    assert page.locator("#division-title").inner_text() == "宁夏回族自治区"
    region = running_hub.report(REGION)
    chart = 'figure[data-indicator="proxyPointCoverage"]'
    assert page.locator(f"{chart} rect.bar").count() == len(region["children"]) == 5
    assert page.locator(f"{chart} line.target-line").count() == 1

    page.click(f'{chart} rect.bar[data-code="{CITY}"]')
    _wait_for(page, CITY)
    page.click(f'{chart} rect.bar[data-code="{COUNTY}"]')
    _wait_for(page, COUNTY)

    crumbs = page.locator("#breadcrumb").inner_text()
    assert [c.strip() for c in crumbs.split("›")] == ["宁夏回族自治区", "银川市", "兴庆区"]
    county = running_hub.report(COUNTY)
    townships = county["children"]
    bars = page.locator(f"{chart} rect.bar")
    assert bars.count() == len(townships) > 0
    for township in townships:
        bar = page.locator(f'{chart} rect.bar[data-code="{township["division"]["code"]}"]')
        expected = "met" if township["proxyPointCoverage"]["met"] else "miss"
        assert expected in (bar.get_attribute("class") or "").split()
    # Eight charts: seven rates with a target line, and overdue cases.
    assert page.locator("#charts figure.chart").count() == 8
    assert page.locator("#charts line.target-line").count() == 7

    rows = page.locator("#misses tbody tr")
    assert rows.count() == len(county["misses"]) > 0
    first = county["misses"][0]
    assert rows.first.get_attribute("data-code") == first["division"]["code"]
    assert rows.first.get_attribute("data-indicator") == first["indicator"]

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.click("#breadcrumb a[data-code='640000000000']")
    _wait_for(page, REGION)
    assert page.locator("#breadcrumb").inner_text().strip() == "宁夏回族自治区"


def test_token_in_the_address_signs_in_and_leaves_the_address(
    running_hub: RunningHub, page: Any
) -> None:
    page.goto(f"{running_hub.base_url}/dashboard#token={running_hub.token(division=CITY)}")
    _wait_for(page, CITY)
    assert "token" not in page.url
    assert page.locator("#division-title").inner_text() == "银川市"


def test_a_token_without_supervision_rights_is_told_why(running_hub: RunningHub, page: Any) -> None:
    page.goto(f"{running_hub.base_url}/dashboard")
    page.fill("#token", running_hub.token(roles=("clerk",), division="640104001000"))
    page.press("#token", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "supervision:read" in page.locator("#error").inner_text()
